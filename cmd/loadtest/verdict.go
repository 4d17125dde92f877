package main

import (
	"fmt"
	"strings"
)

// codeRateLimited is the hub's error code for a request or socket message over its rate limits:
// HTTP 429 on the API, an error message on a socket (docs/api.md, docs/protocol.md).
const codeRateLimited = "rate_limited"

// defaultMinRatePct is --min-rate-pct: a latency run passes when it achieves at least this share
// of --rate. A hub that keeps up achieves 100 % within a fraction of a per cent (120.5 of 120/s
// and 301 of 300/s in bench/results/2026-11-22-latency-10k-120 and -300), while one that falls
// behind misses by far more than 5 %.
const defaultMinRatePct = 95

// throttle is how often the hub refused this run for its rate limits.
type throttle struct {
	http   int64 // API answers 429 rate_limited
	ws     int64 // socket messages answered error rate_limited (and dropped)
	closed int64 // sockets closed with 4008: rate limited for too long
}

// throttle is the refusals counted so far, for the progress line's warning.
func (s *stats) throttle() throttle {
	errs, _ := s.errorCounts()
	return throttle{http: s.http429.Load(), ws: s.wsRateLimited.Load(), closed: errs["closed_4008"]}
}

// throttle is the refusals a finished run counted.
func (r *Result) throttle() throttle {
	return throttle{http: r.HTTP429, ws: r.WSRateLimited, closed: r.Errors["closed_4008"]}
}

func (t throttle) any() bool { return t.http > 0 || t.ws > 0 || t.closed > 0 }

// String names the cause and the fix in one line, for a reader who has never seen the hub's
// configuration.
func (t throttle) String() string {
	var what []string
	if t.http > 0 {
		what = append(what, fmt.Sprintf("%d API requests with HTTP 429 rate_limited", t.http))
	}
	if t.ws > 0 {
		what = append(what, fmt.Sprintf("%d socket messages with error rate_limited", t.ws))
	}
	if t.closed > 0 {
		what = append(what, fmt.Sprintf("closed %d sockets with 4008 (rate limited for too long)", t.closed))
	}
	return "THROTTLED: the hub refused " + strings.Join(what, " and ") + ". " + throttleFix
}

// throttleFix is what to do about a throttled run.
const throttleFix = "Its rate limits are meant for people (by default 20 API requests/s, burst 40, " +
	"per client address, and 20 messages/s, burst 40, per socket) and this load comes from one address: " +
	"start the hub for load tests with --http-rate 100000 --http-burst 100000 --ws-rate 100000 --ws-burst 100000 " +
	"(or HUB_HTTP_RATE, HUB_HTTP_BURST, HUB_WS_RATE, HUB_WS_BURST; see docs/configuration.md)."

// judge decides whether a finished run passes and returns why not, one reason a line, empty
// when it passes; failed: the run itself failed, and the hub's rate limits may be why. It records
// the target rate check and the thresholds' verdicts in res.
//
// A latency run must achieve --min-rate-pct of its --rate over the measured window, whatever
// kept it from it. The other scenarios have no target rate, and there a throttled run fails:
// maxrate would report the hub's rate limit as its capacity, and fanout's and idle's set-up and
// publishes would include the waits for it. A latency run that was throttled but still reached
// its rate passes, with the warning.
func judge(cfg config, res *Result, failed bool) []string {
	var why []string
	t := res.throttle()
	if l := res.Latency; l != nil && res.Scenario == "latency" && l.MeasureSeconds > 0 {
		l.MinRatePct = cfg.minRatePct
		reached := l.AckedPerSecond >= cfg.minRatePct/100*l.TargetRate
		l.TargetReached = &reached
		if !reached {
			why = append(why, fmt.Sprintf("target rate not reached: %.1f of %.0f results/s (%.0f %%, under --min-rate-pct %g)",
				l.AckedPerSecond, l.TargetRate, 100*l.AckedPerSecond/l.TargetRate, cfg.minRatePct))
		}
	}
	if t.any() && (failed || len(why) > 0 || res.Scenario != "latency") {
		why = append(why, t.String())
	}
	res.Thresholds = evalThresholds(cfg.thresholds, res)
	var missed []string
	for _, r := range res.Thresholds {
		if !r.Passed {
			missed = append(missed, r.Threshold)
		}
	}
	if len(missed) > 0 {
		why = append(why, fmt.Sprintf("%d of %d thresholds failed: %s", len(missed), len(res.Thresholds), strings.Join(missed, ", ")))
	}
	return why
}
