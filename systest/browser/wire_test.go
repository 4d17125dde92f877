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
// any order), with the envelope's tournament, version and rev, and the epoch the client gives.
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
	if got := page.eval("not an event", `import('/js/wire.js').then((m) => String(m.expandMessage({type: 'event'}, 'e')))`); got != "null" {
		t.Errorf("expandMessage of a v1 message = %s; want null", got)
	}
}
