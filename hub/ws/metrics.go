package ws

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tourhub/tourhub/hub/sock"
)

// wsMetrics are the socket metrics of a node.
type wsMetrics struct {
	sockets     prometheus.Gauge
	in          *prometheus.CounterVec // by message type
	out         *prometheus.CounterVec // by message type
	closes      *prometheus.CounterVec // by close code the server chose
	slow        prometheus.Counter
	refused     prometheus.Counter // upgrades refused past Config.MaxPerAddr
	fanoutLag   prometheus.Histogram
	deliverLost prometheus.Counter
	// outKinds are out's counters of the message types the node writes, resolved once: writes are
	// the hottest path. Static after construction.
	outKinds map[string]prometheus.Counter
	// inKinds are in's counters of every label it takes (wsInTypes, invalid, rate_limited),
	// resolved once: every message a client sends counts. Static after construction.
	inKinds map[string]prometheus.Counter
}

// wsOutTypes are the message types the node writes (docs/protocol.md).
var wsOutTypes = []string{"event", "notice", "snapshot", "subscribed", "unsubscribed", "reported", "auth_ok", "pong", "error"}

// sent counts one message of type kind written to a socket.
func (m *wsMetrics) sent(kind string) {
	if c, ok := m.outKinds[kind]; ok {
		c.Inc()
		return
	}
	m.out.WithLabelValues(kind).Inc()
}

// wsInTypes bounds the label values of messages in; anything else counts as "invalid".
var wsInTypes = map[string]bool{"auth": true, "subscribe": true, "unsubscribe": true, "report": true, "join": true, "ping": true}

// The label values of messages in that are not a type: not JSON or an unknown type, and
// dropped past the socket's rate limit.
const (
	inInvalid     = "invalid"
	inRateLimited = "rate_limited"
)

// received counts one message in under kind: a key of wsInTypes, inInvalid or inRateLimited.
func (m *wsMetrics) received(kind string) {
	if c, ok := m.inKinds[kind]; ok {
		c.Inc()
		return
	}
	m.in.WithLabelValues(kind).Inc()
}

// newWSMetrics makes the node's socket metrics, the bulk gate's pauses and the batched writes
// among them, and registers them with r (nil: none).
func newWSMetrics(r prometheus.Registerer, gate *sock.BulkGate, rings *sock.Rings) *wsMetrics {
	m := &wsMetrics{
		sockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tourhub_ws_sockets",
			Help: "Open WebSocket connections.",
		}),
		in: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tourhub_ws_messages_in_total",
			Help: "Messages received from clients, by type (invalid: not JSON or an unknown type).",
		}, []string{"type"}),
		out: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tourhub_ws_messages_out_total",
			Help: "Messages written to clients, by type.",
		}, []string{"type"}),
		closes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tourhub_ws_server_closes_total",
			Help: "Sockets the server closed, by close code.",
		}, []string{"code"}),
		slow: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tourhub_ws_slow_consumer_closes_total",
			Help: "Sockets closed with 4001 because their send queue overflowed or a write timed out.",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tourhub_ws_refused_total",
			Help: "WebSocket upgrades refused with 429 because the client address holds as many sockets as it may.",
		}),
		fanoutLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tourhub_ws_fanout_lag_seconds",
			Help:    "Time from the store delivering an entry to its event message being written to a socket.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
		}),
		deliverLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tourhub_ws_resyncs_total",
			Help: "Times a tournament's subscribers were sent fresh snapshots because delivery lost the thread.",
		}),
	}
	m.outKinds = make(map[string]prometheus.Counter, len(wsOutTypes))
	for _, k := range wsOutTypes {
		m.outKinds[k] = m.out.WithLabelValues(k)
	}
	m.inKinds = make(map[string]prometheus.Counter, len(wsInTypes)+2)
	for k := range wsInTypes {
		m.inKinds[k] = m.in.WithLabelValues(k)
	}
	for _, k := range []string{inInvalid, inRateLimited} {
		m.inKinds[k] = m.in.WithLabelValues(k)
	}
	if r != nil {
		r.MustRegister(m.sockets, m.in, m.out, m.closes, m.slow, m.refused, m.fanoutLag, m.deliverLost,
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "tourhub_ws_bulk_paused_seconds_total",
				Help: "Time bulk writes (snapshots, bursts of 32 KiB or more) were held back so that they take at most --ws-bulk-cpu of one CPU.",
			}, func() float64 { return gate.Paused().Seconds() }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "tourhub_ws_uring_writes_total",
				Help: "Socket writes of fan-outs sent to the kernel together through io_uring (0 where --ws-uring is off or io_uring is unavailable).",
			}, func() float64 { w, _ := rings.Counts(); return float64(w) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "tourhub_ws_uring_calls_total",
				Help: "System calls (io_uring_enter) that sent tourhub_ws_uring_writes_total.",
			}, func() float64 { _, c := rings.Counts(); return float64(c) }))
	}
	return m
}
