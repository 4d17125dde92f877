package redisstore

import (
	"strconv"
	"testing"

	"github.com/tourhub/tourhub/match"
)

// BenchmarkFollow measures what a watching node does with another node's commit: read the
// published message, decode its events (to deliver them), and bring its cached state forward
// (the fields kept undecoded; "decode-every-3" also applies them every third commit, as a node
// that runs a third of the commands would). The commits are both reports of every match of a
// 16-player single elimination, as in the latency load.
func BenchmarkFollow(b *testing.B) {
	t := &match.Tournament{}
	if _, err := match.Apply(t, match.Command{Type: match.CmdCreate, Tournament: "t_b", Name: "bench",
		Settings: &match.Settings{Format: match.SingleElimination}}); err != nil {
		b.Fatal(err)
	}
	for i := range 16 {
		if _, err := match.Apply(t, match.Command{Type: match.CmdJoin, Name: "p" + strconv.Itoa(i)}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := match.Apply(t, match.Command{Type: match.CmdStart}); err != nil {
		b.Fatal(err)
	}
	base := t.Clone()
	_, rest, err := encodeMeta(t)
	if err != nil {
		b.Fatal(err)
	}
	var msgs []string
	for t.Status == match.StatusRunning {
		var m match.Match
		for _, x := range t.Matches {
			if x.Status == match.MatchReady {
				m = x
				break
			}
		}
		for _, by := range m.Players {
			ev, ch, err := match.ApplyChanges(t, match.Command{Type: match.CmdReport, Match: m.ID, By: by, Scores: [2]int{1, 0}})
			if err != nil {
				b.Fatal(err)
			}
			f, err := changedFields(t, ch, rest)
			if err != nil {
				b.Fatal(err)
			}
			rest = f.metaRest
			evJSON, _ := marshalEvents(ev)
			msgs = append(msgs, string(appendPayload(nil, "e_0123456789abcdef", t.Version, evJSON, nil, "r"+strconv.Itoa(len(msgs)), "r"+strconv.Itoa(len(msgs)-1), &f, nil)))
		}
	}
	for _, bc := range []struct {
		name  string
		every int // apply the fields every this many commits (0: never)
	}{{"read-only", 0}, {"decode-every-3", 3}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				b.StopTimer()
				c := newCached("e_0123456789abcdef", "r", base.Clone(), "") // decoding changes it in place
				b.StartTimer()
				for i, raw := range msgs {
					m, err := parsePayload(raw)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := decodeEvents(m.Events); err != nil { // as deliverNext does
						b.Fatal(err)
					}
					c = c.then(m)
					if len(c.later) >= maxLater || (bc.every > 0 && (i+1)%bc.every == 0) {
						if c, err = c.decoded(); err != nil {
							b.Fatal(err)
						}
					}
					n++
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/1000, "µs/commit")
		})
	}
}
