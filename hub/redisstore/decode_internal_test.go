package redisstore

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/match"
)

// TestDecodeAsEncodingJSON: everything a node writes for other nodes to read (every field of the
// state hash and every commit's events) reads the same with decode as with encoding/json, over
// tournaments of every format played out, with byes, a disputed match settled by the organiser
// and a withdrawal.
func TestDecodeAsEncodingJSON(t *testing.T) {
	for _, f := range []match.Format{match.SingleElimination, match.DoubleElimination, match.RoundRobin, match.Swiss} {
		t.Run(string(f), func(t *testing.T) {
			tr := &match.Tournament{}
			commits := 0
			apply := func(cmd match.Command) {
				t.Helper()
				events, err := match.Apply(tr, cmd)
				if err != nil {
					t.Fatalf("%s: %v", cmd.Type, err)
				}
				commits++
				raw, err := marshalEvents(events)
				if err != nil {
					t.Fatal(err)
				}
				var want, got []match.Event
				sameDecoded(t, "events of "+string(cmd.Type), raw, &want, &got)
				fields, err := allFields(tr)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < len(fields.set); i += 2 {
					name, value := fields.set[i], []byte(fields.set[i+1])
					switch {
					case name == fieldMeta:
						var want, got match.Tournament
						sameDecoded(t, name, value, &want, &got)
					case strings.HasPrefix(name, playerPrefix):
						var want, got match.Participant
						sameDecoded(t, name, value, &want, &got)
					case strings.HasPrefix(name, matchPrefix):
						var want, got match.Match
						sameDecoded(t, name, value, &want, &got)
					default:
						t.Fatalf("field %q of no known kind", name)
					}
				}
			}
			apply(match.Command{Type: match.CmdCreate, Tournament: "t_d", Name: `decode "as" <json>`,
				Description: "ünïcode ✓", Settings: &match.Settings{Format: f, BestOf: 5}})
			for _, name := range []string{"ann", "bob", "cy", "dee", "eve", "fay"} {
				apply(match.Command{Type: match.CmdJoin, Name: name, Rating: 1500.5})
			}
			apply(match.Command{Type: match.CmdStart})
			disputed, withdrawn := false, false
			for range 200 {
				if tr.Status != match.StatusRunning {
					break
				}
				m := firstReady(tr)
				if m == nil {
					t.Fatalf("running with no ready match: %+v", tr.Matches)
				}
				id, a, b := m.ID, m.Players[0], m.Players[1]
				if !disputed {
					disputed = true
					apply(match.Command{Type: match.CmdReport, Match: id, By: a, Scores: [2]int{3, 1}})
					apply(match.Command{Type: match.CmdReport, Match: id, By: b, Scores: [2]int{1, 3}})
					apply(match.Command{Type: match.CmdReport, Match: id, Scores: [2]int{3, 2}})
					continue
				}
				apply(match.Command{Type: match.CmdReport, Match: id, By: a, Scores: [2]int{3, 1}})
				apply(match.Command{Type: match.CmdReport, Match: id, By: b, Scores: [2]int{3, 1}})
				if !withdrawn {
					withdrawn = true
					apply(match.Command{Type: match.CmdWithdraw, Player: b})
				}
			}
			if tr.Status != match.StatusFinished || !withdrawn {
				t.Fatalf("status %s after %d commits (withdrawn %v): the test did not play the tournament out", tr.Status, commits, withdrawn)
			}
		})
	}
}

// sameDecoded decodes raw into want with encoding/json and into got with decode, and fails
// unless both succeed with equal values.
func sameDecoded(t *testing.T, what string, raw []byte, want, got any) {
	t.Helper()
	if err := json.Unmarshal(raw, want); err != nil {
		t.Fatalf("%s: encoding/json: %v", what, err)
	}
	if err := decode(raw, got); err != nil {
		t.Fatalf("%s: decode: %v\n%s", what, err, raw)
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("%s reads differently:\nencoding/json %+v\ndecode        %+v\nfrom %s", what, want, got, raw)
	}
}

// firstReady is tr's first ready match, or nil.
func firstReady(tr *match.Tournament) *match.Match {
	for i := range tr.Matches {
		if tr.Matches[i].Status == match.MatchReady {
			return &tr.Matches[i]
		}
	}
	return nil
}
