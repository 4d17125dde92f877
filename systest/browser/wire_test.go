package browser

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/tourhub/tourhub/hub/wire"
	"github.com/tourhub/tourhub/hub/wire/wiretest"
)

// TestWireModule runs the pages' reader of tourhub.v2's compact events (static/js/wire.js) on
// every entry of tournaments of every kind played through the engine (hub/wire/wiretest): each
// compact message must read as the v1 events the hub would have sent, field for field (keys in
// any order), with the envelope's tournament, version and rev, and the epoch the client gives; and
// a v2 snapshot's compact matches and standings must read as v1's.
func TestWireModule(t *testing.T) {
	page := modulePage(t, "wire")
	type pair struct {
		V2 json.RawMessage `json:"v2"`
		V1 json.RawMessage `json:"v1"`
	}
	var cases []pair
	for seed := uint64(1); seed <= 3; seed++ {
		for i, evs := range wiretest.Corpus(seed) {
			c, err := wire.AppendEvent(nil, "t_corpus", int64(i+1), fmt.Sprintf("rev%d", i+1), evs)
			if err != nil {
				t.Fatal(err)
			}
			v1, err := json.Marshal(evs)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, pair{c, v1})
		}
	}
	data, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	got := page.eval("read the compact events", `import('/js/wire.js').then((m) => {
  const canon = (v) => Array.isArray(v) ? v.map(canon) : v && typeof v === 'object'
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v;
  const cases = `+string(data)+`;
  for (let i = 0; i < cases.length; i++) {
    const msg = m.expandMessage(cases[i].v2, 'e_test');
    if (!msg || msg.type !== 'event' || msg.tournament !== 't_corpus' || msg.epoch !== 'e_test' || msg.rev !== cases[i].v2[3] || msg.version !== cases[i].v2[2]) {
      return 'entry ' + i + ': envelope ' + JSON.stringify(msg && {...msg, events: undefined});
    }
    const got = JSON.stringify(canon(msg.events)), want = JSON.stringify(canon(cases[i].v1));
    if (got !== want) return 'entry ' + i + ':\n' + got + '\nwant\n' + want;
  }
  return 'ok ' + cases.length;
})`)
	if got != fmt.Sprintf("ok %d", len(cases)) {
		t.Fatalf("wire.js: %s", got)
	}
	// A v2 snapshot's compact matches and standings: every list of matches the corpus has
	// (starts, rounds), and of standings (finishes, group stages).
	var lists []pair
	for _, ms := range wiretest.MatchLists(4) {
		c, err := wire.AppendMatches(nil, ms)
		if err != nil {
			t.Fatal(err)
		}
		v1, _ := json.Marshal(ms)
		lists = append(lists, pair{c, v1})
	}
	type snap struct {
		V2 struct {
			Matches   json.RawMessage `json:"matches"`
			Standings json.RawMessage `json:"standings"`
		} `json:"v2"`
		V1 struct {
			Matches   json.RawMessage `json:"matches"`
			Standings json.RawMessage `json:"standings"`
		} `json:"v1"`
	}
	var snaps []snap
	standings := wiretest.StandingLists(4)
	for i, l := range lists {
		var s snap
		s.V2.Matches, s.V1.Matches = l.V2, l.V1
		s.V2.Standings, s.V1.Standings = json.RawMessage(`[]`), json.RawMessage(`[]`)
		if i < len(standings) {
			c, err := wire.AppendStandings(nil, standings[i])
			if err != nil {
				t.Fatal(err)
			}
			s.V2.Standings = c
			s.V1.Standings, _ = json.Marshal(standings[i])
		}
		snaps = append(snaps, s)
	}
	if len(standings) == 0 {
		t.Fatal("the corpus has no list of standings")
	}
	data, _ = json.Marshal(snaps)
	got = page.eval("read the compact matches of a snapshot", `import('/js/wire.js').then((m) => {
  const canon = (v) => Array.isArray(v) ? v.map(canon) : v && typeof v === 'object'
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v;
  const cases = `+string(data)+`;
  for (let i = 0; i < cases.length; i++) {
    const msg = m.expandSnapshot({type: 'snapshot', state: {id: 't', ...cases[i].v2}});
    const got = JSON.stringify(canon(msg.state)), want = JSON.stringify(canon({id: 't', ...cases[i].v1}));
    if (got !== want) return 'snapshot ' + i + ':\n' + got + '\nwant\n' + want;
  }
  const v1 = m.expandSnapshot({type: 'snapshot', state: {...cases[0].v1}});
  if (JSON.stringify(v1.state) !== JSON.stringify(cases[0].v1)) return 'a v1 snapshot changed';
  return 'ok ' + cases.length;
})`)
	if got != fmt.Sprintf("ok %d", len(snaps)) || len(snaps) == 0 {
		t.Fatalf("wire.js, snapshots: %s", got)
	}
	if got := page.eval("not an event", `import('/js/wire.js').then((m) => String(m.expandMessage({type: 'event'}, 'e')))`); got != "null" {
		t.Errorf("expandMessage of a v1 message = %s; want null", got)
	}
}
