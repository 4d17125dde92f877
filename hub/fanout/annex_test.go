package fanout

import (
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/wire/wiretest"
	"github.com/tourhub/tourhub/match"
)

// annexless reports whether events must reach every node's table themselves (annex.go).
func annexless(events []match.Event) bool {
	return slices.ContainsFunc(events, func(ev match.Event) bool {
		return ev.Participant != nil || len(ev.Participants) > 0 || ev.Type == match.EvDeleted || ev.Type == match.EvCheckInOpened
	})
}

// TestAnnexDeliversTheSame: for every entry of played tournaments of every format, a table that
// is handed the committing node's annex instead of the events queues every socket exactly what a
// table handed the events does: the event in v1's and v2's forms, and each player's notices (the
// one whose names it learned, the other none). The entries that must carry their events (joins,
// starts) have no annex.
func TestAnnexDeliversTheSame(t *testing.T) {
	steps := wiretest.Steps(21)
	made, without := 0, 0
	for i, st := range steps {
		at := store.Position{Epoch: "e1", Version: st.State.Version, Rev: "r" + strconv.Itoa(i)}
		annex := (&Table{}).Annex(st.Tournament, at, st.State, st.Events)
		if (annex == nil) != annexless(st.Events) {
			t.Fatalf("entry %d (%s): annex %q; want one: %v", i, st.Events[0].Type, annex, !annexless(st.Events))
		}
		if annex == nil {
			without++
			continue
		}
		made++
		raw, err := match.AppendEvents(nil, st.Events)
		if err != nil {
			t.Fatal(err)
		}
		entry := store.Entry{Version: at.Version, Rev: at.Rev, Prev: "r" + strconv.Itoa(i-1), Events: st.Events, Raw: raw}
		annexed := entry
		annexed.Events, annexed.Annex = nil, annex

		names := map[match.PlayerID]string{}
		for _, p := range st.State.Participants {
			names[p.ID] = p.Name
		}
		plain, viaAnnex := queued(st.Tournament, st.State, names, entry), queued(st.Tournament, st.State, nil, annexed)
		if len(plain) != len(viaAnnex) {
			t.Fatalf("entry %d: %d sockets; want %d", i, len(viaAnnex), len(plain))
		}
		for k, want := range plain {
			got := viaAnnex[k]
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("entry %d (%s), socket %s:\n got  %s\n want %s", i, st.Events[0].Type, k, got, want)
			}
		}
	}
	if made < 200 || without < 20 {
		t.Errorf("%d entries with an annex, %d without; want both kinds", made, without)
	}
}

// queued delivers e on a table whose topic has a v1 spectator, a v2 one, and a v2 socket of every
// player of t (names: the names the topic learned), and returns what each socket was queued: the
// messages' v1 and v2 forms, by socket.
func queued(id string, t *match.Tournament, names map[match.PlayerID]string, e store.Entry) map[string][]string {
	tb := &Table{cfg: Config{Log: slog.New(slog.DiscardHandler), QueueLen: 256}, topics: map[string]*topic{}}
	tp := &topic{id: id, subs: map[Subscriber]*sub{}, names: names}
	if tp.names == nil {
		tp.names = map[match.PlayerID]string{}
	}
	tb.topics[id] = tp
	prev := store.Position{Epoch: "e1", Version: e.Version - 1, Rev: e.Prev}
	type sock struct {
		name   string
		player match.PlayerID
		s      *holdSub
	}
	socks := []sock{{name: "v1", s: &holdSub{}}, {name: "v2", s: &holdSub{compact: true}}}
	for _, p := range t.Participants {
		socks = append(socks, sock{name: "player " + strconv.Itoa(int(p.ID)), player: p.ID, s: &holdSub{compact: true}})
	}
	for _, k := range socks {
		tp.subs[k.s] = &sub{s: k.s, compact: k.s.compact, player: k.player, at: prev}
	}
	tb.queue(id, "e1", e, false, time.Time{}).Write()
	out := map[string][]string{}
	for _, k := range socks {
		for _, m := range k.s.msgs {
			out[k.name] = append(out[k.name], m.Kind+" "+string(m.Data)+" | "+string(m.Compact))
		}
	}
	return out
}

// TestReadAnnex: readAnnex takes what Annex writes and refuses anything else.
func TestReadAnnex(t *testing.T) {
	good := "a1\n[\"event\"]\n3 {\"type\":\"notice\"}\n3 {\"n\":2}\n12 {\"n\":3}\n"
	an, ok := readAnnex([]byte(good), map[match.PlayerID]bool{3: true})
	if !ok || string(an.compact) != `["event"]` || len(an.notices) != 1 || len(an.notices[3]) != 2 || string(an.notices[3][1].Data) != `{"n":2}` {
		t.Fatalf("readAnnex(%q) = %+v, %v", good, an, ok)
	}
	for _, bad := range []string{"", "a1\n", "a2\n[]\n", "a1\n\n", "a1\n[]\nx {}\n", "a1\n[]\n3 {}", "a1\n[]\n3\n", "a1\n[]\n-1 {}\n", "a1\n[]\n3 \n"} {
		if an, ok := readAnnex([]byte(bad), nil); ok {
			t.Errorf("readAnnex(%q) = %+v; want a refusal", bad, an)
		}
	}
}
