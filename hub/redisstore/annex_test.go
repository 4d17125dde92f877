package redisstore_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tourhub/tourhub/hub/redisstore"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/internal/redistest"
	"github.com/tourhub/tourhub/match"
)

// annexer is a Handler that makes an annex of every commit but those that name participants,
// and records what it is delivered.
type annexer struct{ *recorder }

func (a annexer) Deliver(id, epoch string, e store.Entry, lost bool) { a.deliver(id, epoch, e, lost) }

func (annexer) Annex(id string, at store.Position, t *match.Tournament, events []match.Event) []byte {
	if slices.ContainsFunc(events, func(ev match.Event) bool { return ev.Participant != nil || len(ev.Participants) > 0 }) {
		return nil
	}
	return fmt.Appendf(nil, "annex of %s v%d %s: %d events, %d players", id, at.Version, at.Rev, len(events), len(t.Participants))
}

// TestAnnexPublished: the annex the committing node's Handler makes of a commit (store.Annexer) is
// delivered, as it was made, to the handler of every node that watches the tournament (the
// committer's own included) instead of the decoded events (Raw still has them); a commit without
// one is delivered with its events, and a node whose handler makes none publishes none.
func TestAnnexPublished(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const id = "t_annex"
	recA, recB := newRecorder(t), newRecorder(t)
	a := newStore(t, srv, nil, redisstore.Options{})
	a.Register(annexer{recA})
	b := newStore(t, srv, recB.deliver, redisstore.Options{})
	mustCreate(t, a, id, match.SingleElimination)
	a.Watch(id)
	b.Watch(id)
	join(t, a, id, 4)
	mustApply(t, a, id, match.Command{Type: match.CmdStart}, "")
	st := storedState(t, srv, id)
	m := readyMatch(t, st)
	rep := mustApply(t, a, id, match.Command{Type: match.CmdReport, Match: m.ID, Scores: [2]int{1, 0}, By: m.Players[0]}, "")
	mustApply(t, b, id, match.Command{Type: match.CmdReport, Match: m.ID, Scores: [2]int{1, 0}, By: m.Players[1]}, "")
	want := fmt.Sprintf("annex of %s v%d %s: 1 events, 4 players", id, rep.Version, rep.Rev)
	for name, r := range map[string]*recorder{"A": recA, "B": recB} {
		es := r.waitVersion(t, id, rep.Version+1)
		checkSequence(t, es, 2, rep.Version+1)
		for _, e := range es {
			switch e.Version {
			case rep.Version:
				if string(e.Annex) != want || e.Events != nil || len(e.Raw) == 0 {
					t.Errorf("node %s, v%d: annex %q, events %v, raw %d bytes; want %q, none, the events", name, e.Version, e.Annex, e.Events, len(e.Raw), want)
				}
			default: // the joins and the start name participants; B made no annex of its report
				if e.Annex != nil || len(e.Events) == 0 {
					t.Errorf("node %s, v%d: annex %q, %d events; want none, the events", name, e.Version, e.Annex, len(e.Events))
				}
			}
		}
	}
}
