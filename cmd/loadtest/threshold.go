package main

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A threshold is one --threshold, as k6 has them: a figure of the result, a comparison and a
// limit, such as p99<10ms. A run whose thresholds do not all pass exits 1, so that a script or a
// CI job can gate on what a run measured without reading its JSON.
type threshold struct {
	src    string // as given
	metric string // a key of metrics(scenario, nodes)
	op     string // < <= > >= == !=
	limit  float64
	pct    bool // limit is a per cent of --rate (rate only)
}

// thresholdResult is how one threshold fared, as the JSON's thresholds list has it.
type thresholdResult struct {
	Threshold string `json:"threshold"`
	// Value is the measured figure in Unit; null when this run did not measure it (no samples,
	// or the run failed before it), which fails the threshold.
	Value *float64 `json:"value"`
	Unit  string   `json:"unit"`
	// Limit is in Unit: a per cent of --rate is resolved to results/s.
	Limit  float64 `json:"limit"`
	Passed bool    `json:"passed"`
	// About says what the value is where the name leaves it open (p99 is cross-node latency on
	// several nodes, same-node latency on one, the fan-out completion time in fanout).
	About string `json:"about,omitempty"`
}

// metric is a figure of a result that a threshold can name.
type metric struct {
	unit string
	// units are the suffixes a limit may carry and their factor to unit; a bare number is in unit.
	units map[string]float64
	pids  bool // measured only with --pids
	// value returns the figure and what it is; ok is false when the run did not measure it.
	value func(r *Result) (v float64, about string, ok bool)
}

var (
	msUnits    = map[string]float64{"": 1, "ms": 1, "s": 1000, "us": 0.001, "µs": 0.001}
	usUnits    = map[string]float64{"": 1, "us": 1, "µs": 1, "ms": 1000}
	rateUnits  = map[string]float64{"": 1, "/s": 1, "%": 1} // % is resolved against --rate
	countUnits = map[string]float64{"": 1}
	kibUnits   = map[string]float64{"": 1, "KiB": 1}
	coreUnits  = map[string]float64{"": 1, "cores": 1}
	pctUnits   = map[string]float64{"": 1, "%": 1}
)

// latencyStats are the statistics of a latency a threshold can name, as in p99<10ms.
var latencyStats = []string{"p50", "p90", "p95", "p99", "p99.9", "max", "mean"}

func statOf(s Summary, stat string) float64 {
	switch stat {
	case "p50":
		return s.P50MS
	case "p90":
		return s.P90MS
	case "p95":
		return s.P95MS
	case "p99":
		return s.P99MS
	case "p99.9":
		return s.P999MS
	case "max":
		return s.MaxMS
	default: // mean
		return s.MeanMS
	}
}

// latencyMetrics adds every statistic of one latency under prefix: of returns the latency of a
// result and what it is, nil when the result has none.
func latencyMetrics(ms map[string]metric, prefix string, of func(r *Result) (*Summary, string)) {
	for _, stat := range latencyStats {
		ms[prefix+stat] = metric{unit: "ms", units: msUnits, value: func(r *Result) (float64, string, bool) {
			s, about := of(r)
			if s == nil || s.Count == 0 {
				return 0, about, false
			}
			return statOf(*s, stat), about, true
		}}
	}
}

func count(of func(r *Result) int64) metric {
	return metric{unit: "", units: countUnits, value: func(r *Result) (float64, string, bool) { return float64(of(r)), "", true }}
}

// metrics are the figures a scenario's thresholds can name, with the given number of nodes.
func metrics(scenario string, nodes int) map[string]metric {
	ms := map[string]metric{
		"errors": count(func(r *Result) int64 {
			var n int64
			for _, v := range r.Errors {
				n += v
			}
			return n
		}),
		"rate_limited":     count(func(r *Result) int64 { return r.HTTP429 + r.WSRateLimited }),
		"http_429":         count(func(r *Result) int64 { return r.HTTP429 }),
		"ws_rate_limited":  count(func(r *Result) int64 { return r.WSRateLimited }),
		"dropped":          count(func(r *Result) int64 { return r.Dropped }),
		"connect_failures": count(func(r *Result) int64 { return r.ConnFails }),
	}
	switch scenario {
	case "latency", "maxrate":
		lat := func(r *Result) *latencyResult {
			if r.Latency == nil || r.Latency.MeasureSeconds == 0 {
				return nil
			}
			return r.Latency
		}
		latencyMetrics(ms, "", func(r *Result) (*Summary, string) {
			if lat(r) == nil {
				return nil, ""
			}
			s, name := lat(r).headline(nodes)
			if nodes == 1 {
				return &s, name + " latency, one node"
			}
			return &s, name + " latency"
		})
		if nodes > 1 {
			latencyMetrics(ms, "cross_", func(r *Result) (*Summary, string) {
				if lat(r) == nil {
					return nil, ""
				}
				return lat(r).CrossNode, ""
			})
		}
		latencyMetrics(ms, "same_", func(r *Result) (*Summary, string) {
			if lat(r) == nil {
				return nil, ""
			}
			return &lat(r).SameNode, ""
		})
		latencyMetrics(ms, "reply_", func(r *Result) (*Summary, string) {
			if lat(r) == nil {
				return nil, ""
			}
			return &lat(r).Reply, ""
		})
		ms["rate"] = metric{unit: "results/s", units: rateUnits, value: func(r *Result) (float64, string, bool) {
			l := lat(r)
			switch {
			case l == nil:
				return 0, "", false
			case scenario == "maxrate":
				return l.MaxRateHeld, "the highest rate a maxrate step held", true
			}
			return l.AckedPerSecond, "achieved over the measured window", true
		}}
		ms["hub_cpu_per_result"] = metric{unit: "ms", units: msUnits, pids: true, value: func(r *Result) (float64, string, bool) {
			if lat(r) == nil || len(lat(r).Usage.Hubs) == 0 {
				return 0, "", false
			}
			return lat(r).Usage.HubCPUPerResult, "", true
		}}
		ms["retried"] = metric{unit: "%", units: pctUnits, value: func(r *Result) (float64, string, bool) {
			if lat(r) == nil || lat(r).Commits == nil || lat(r).Commits.Commits == 0 {
				return 0, "", false
			}
			return lat(r).Commits.RetriedPct, "commits whose compare-and-set lost and was retried, per 100 (hubs on Redis)", true
		}}
	case "fanout":
		latencyMetrics(ms, "", func(r *Result) (*Summary, string) {
			if r.Fanout == nil {
				return nil, ""
			}
			return &r.Fanout.Completion, "completion: until the last spectator had it"
		})
		latencyMetrics(ms, "delivery_", func(r *Result) (*Summary, string) {
			if r.Fanout == nil {
				return nil, ""
			}
			return &r.Fanout.Delivery, ""
		})
		ms["missing"] = count(func(r *Result) int64 {
			if r.Fanout == nil {
				return 0
			}
			return r.Fanout.Missing
		})
		ms["cpu_per_delivery"] = metric{unit: "µs", units: usUnits, pids: true, value: func(r *Result) (float64, string, bool) {
			if r.Fanout == nil || !r.Fanout.CPUMeasured || r.Fanout.Deliveries == 0 {
				return 0, "", false
			}
			return r.Fanout.CPUPerDeliveryUS, "", true
		}}
		ms["window_cpu_per_delivery"] = metric{unit: "µs", units: usUnits, pids: true, value: func(r *Result) (float64, string, bool) {
			if r.Fanout == nil || !r.Fanout.CPUMeasured || r.Fanout.Deliveries == 0 {
				return 0, "", false
			}
			return r.Fanout.CPUPerDeliveryWindowUS, "server CPU per delivery over the whole publishing window", true
		}}
		ms["bytes_per_delivery"] = metric{unit: "bytes", units: countUnits, value: func(r *Result) (float64, string, bool) {
			if r.Fanout == nil || r.Fanout.Deliveries == 0 {
				return 0, "", false
			}
			return r.Fanout.BytesPerDelivery, "event bytes one publish delivers to a spectator", true
		}}
	case "idle":
		ms["connect_failures"] = count(func(r *Result) int64 {
			if r.Idle == nil {
				return r.ConnFails
			}
			return r.Idle.Failed // its worker processes' too, and the sockets that failed to subscribe
		})
		ms["kib_per_socket"] = metric{unit: "KiB", units: kibUnits, pids: true, value: func(r *Result) (float64, string, bool) {
			if r.Idle == nil || !r.Idle.RSSMeasured || r.Idle.Connected == 0 {
				return 0, "", false
			}
			return r.Idle.KiBPerSocket, "hub RSS per idle socket", true
		}}
		ms["idle_cores"] = metric{unit: "cores", units: coreUnits, pids: true, value: func(r *Result) (float64, string, bool) {
			if r.Idle == nil || !r.Idle.RSSMeasured || r.Idle.Connected == 0 || r.Idle.IdleSeconds == 0 {
				return 0, "", false
			}
			return r.Idle.CPUCores, "hub CPU while the sockets are idle", true
		}}
	}
	return ms
}

// thresholdSyntax is what every malformed threshold is told.
const thresholdSyntax = "want METRIC OP VALUE, as in 'p99<10ms', 'rate>=95%', 'errors==0' (OP: < <= > >= == !=; loadtest --help lists the metrics)"

var thresholdRE = regexp.MustCompile(`^\s*([a-z0-9_.()]+)\s*(<=|>=|==|!=|<|>)\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(\S*)\s*$`)

// parseThreshold reads one --threshold for a run of scenario on nodes nodes, with or without
// --pids. Everything a run could not evaluate is refused here, before anything runs.
func parseThreshold(src, scenario string, nodes int, pids bool) (threshold, error) {
	m := thresholdRE.FindStringSubmatch(src)
	if m == nil {
		return threshold{}, fmt.Errorf("--threshold %q: %s", src, thresholdSyntax)
	}
	name, op, num, unit := m[1], m[2], m[3], m[4]
	// k6 writes p(99): take it too.
	if inner, ok := strings.CutPrefix(name, "p("); ok && strings.HasSuffix(inner, ")") {
		name = "p" + strings.TrimSuffix(inner, ")")
	} else if i := strings.Index(name, "_p("); i >= 0 && strings.HasSuffix(name, ")") {
		name = name[:i+2] + strings.TrimSuffix(name[i+3:], ")")
	}
	ms := metrics(scenario, nodes)
	mt, ok := ms[name]
	if !ok {
		if strings.HasPrefix(name, "cross_") && nodes < 2 {
			return threshold{}, fmt.Errorf("--threshold %q: cross-node latency needs two or more --nodes; with one node p99 and the rest are the same-node latency", src)
		}
		return threshold{}, fmt.Errorf("--threshold %q: no metric %q in the %s scenario; it has %s", src, name, scenario, metricNames(ms))
	}
	if mt.pids && !pids {
		return threshold{}, fmt.Errorf("--threshold %q: %s is measured only with --pids (the hub processes' ids)", src, name)
	}
	factor, ok := mt.units[unit]
	if !ok {
		var us []string
		for u := range mt.units {
			if u != "" {
				us = append(us, u)
			}
		}
		slices.Sort(us)
		if len(us) == 0 {
			return threshold{}, fmt.Errorf("--threshold %q: %s is a count: give a bare number, as in %s==0", src, name, name)
		}
		return threshold{}, fmt.Errorf("--threshold %q: unit %q does not fit %s; use %s or a bare number (%s)", src, unit, name, strings.Join(us, ", "), mt.unit)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil { // the pattern admits only numbers
		return threshold{}, fmt.Errorf("--threshold %q: %s", src, thresholdSyntax)
	}
	return threshold{src: strings.TrimSpace(src), metric: name, op: op, limit: v * factor, pct: unit == "%" && name == "rate"}, nil
}

// metricNames lists a scenario's metrics, each latency's statistics folded into one STAT entry.
func metricNames(ms map[string]metric) string {
	seen := map[string]bool{}
	var out []string
	stats := false
	for name := range ms {
		for _, stat := range latencyStats {
			if p, ok := strings.CutSuffix(name, stat); ok && (p == "" || strings.HasSuffix(p, "_")) {
				name, stats = p+"STAT", true
				break
			}
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	slices.Sort(out)
	s := strings.Join(out, ", ")
	if stats {
		s += " (STAT: " + strings.Join(latencyStats, ", ") + ")"
	}
	return s
}

// evalThresholds measures every threshold against a finished run.
func evalThresholds(ts []threshold, res *Result) []thresholdResult {
	if len(ts) == 0 {
		return nil
	}
	ms := metrics(res.Scenario, len(res.Nodes))
	out := make([]thresholdResult, 0, len(ts))
	for _, t := range ts {
		mt := ms[t.metric]
		r := thresholdResult{Threshold: t.src, Unit: mt.unit, Limit: t.limit}
		if t.pct {
			r.Limit = 0
			if res.Latency != nil {
				r.Limit = t.limit / 100 * res.Latency.TargetRate
			}
		}
		if mt.value != nil {
			v, about, ok := mt.value(res)
			r.About = about
			if ok {
				r.Value = &v
				r.Passed = compare(v, t.op, r.Limit)
			}
		}
		out = append(out, r)
	}
	return out
}

func compare(v float64, op string, limit float64) bool {
	switch op {
	case "<":
		return v < limit
	case "<=":
		return v <= limit
	case ">":
		return v > limit
	case ">=":
		return v >= limit
	case "==":
		return v == limit
	default: // !=
		return v != limit
	}
}

// String is the threshold's line in the table: the verdict and the measured value.
func (r thresholdResult) String() string {
	verdict := "passed"
	if !r.Passed {
		verdict = "FAILED"
	}
	value := "n/a (not measured)"
	if r.Value != nil {
		value = strconv.FormatFloat(*r.Value, 'f', -1, 64)
		if *r.Value != float64(int64(*r.Value)) {
			value = strconv.FormatFloat(*r.Value, 'f', 2, 64)
		}
		if r.Unit != "" {
			value += " " + r.Unit
		}
	}
	if r.About != "" {
		value += " (" + r.About + ")"
	}
	if strings.HasSuffix(r.Threshold, "%") {
		value += fmt.Sprintf("; limit %.1f %s", r.Limit, r.Unit)
	}
	return fmt.Sprintf("%s  %s", verdict, value)
}
