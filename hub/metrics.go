package hub

import "github.com/prometheus/client_golang/prometheus"

// metrics are the node's HTTP and command metrics (the socket metrics are the WS's own).
type metrics struct {
	commands    *prometheus.CounterVec   // by command type and outcome
	requests    *prometheus.CounterVec   // by route, method and status
	duration    *prometheus.HistogramVec // by route
	storeErrors *prometheus.CounterVec   // by store operation
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tourhub_commands_total",
			Help: "Commands submitted to the store by this node, by type and outcome: applied, duplicate, or the error code of a rejection.",
		}, []string{"type", "outcome"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tourhub_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tourhub_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern (WebSocket upgrades excluded).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
		}, []string{"route"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tourhub_store_errors_total",
			Help: "Store calls that failed for a reason other than a rejected command or an unknown tournament, by operation.",
		}, []string{"op"}),
	}
	if reg != nil {
		reg.MustRegister(m.commands, m.requests, m.duration, m.storeErrors)
	}
	return m
}
