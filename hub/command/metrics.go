package command

import "github.com/prometheus/client_golang/prometheus"

// metrics are the node's command metrics.
type metrics struct {
	commands    *prometheus.CounterVec // by command type and outcome
	storeErrors *prometheus.CounterVec // by store operation
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tourhub_commands_total",
			Help: "Commands submitted to the store by this node, by type and outcome: applied, duplicate, canceled (the caller went away before the answer), or the error code of a rejection.",
		}, []string{"type", "outcome"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tourhub_store_errors_total",
			Help: "Store calls that failed for a reason other than a rejected command or an unknown tournament, by operation.",
		}, []string{"op"}),
	}
	if reg != nil {
		reg.MustRegister(m.commands, m.storeErrors)
	}
	return m
}
