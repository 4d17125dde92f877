package api

import "github.com/prometheus/client_golang/prometheus"

// metrics are the node's HTTP metrics (the command metrics are the command service's, the socket
// metrics the WebSocket server's own).
type metrics struct {
	requests *prometheus.CounterVec   // by route, method and status
	duration *prometheus.HistogramVec // by route
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tourhub_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tourhub_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern (WebSocket upgrades excluded).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
		}, []string{"route"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration)
	}
	return m
}
