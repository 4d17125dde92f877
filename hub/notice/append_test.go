package notice

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tourhub/tourhub/match"
)

// TestNoticeAsEncodingJSON: appendNotice writes encoding/json's bytes, or fails where it fails,
// for generated notices: every optional member present or not, nobody as the opponent, strings
// encoding/json escapes, deadlines in other zones and with nanoseconds, and a year it cannot write.
func TestNoticeAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 6))
	texts := []string{"", "Your match against Ada is ready.", `<&>"\` + "\u2028\x01\xffé"}
	zones := []*time.Location{time.UTC, time.FixedZone("x", -5*3600-30*60), time.FixedZone("y", 13*3600)}
	errs := 0
	for i := range 5000 {
		n := noticeMsg{Type: "notice", Tournament: texts[r.IntN(3)] + "t_1", Version: r.Int64N(1 << 40), Kind: texts[r.IntN(3)],
			Text: texts[r.IntN(3)]}
		if r.IntN(2) == 0 {
			n.Match = match.MatchID(r.IntN(600) - 1)
		}
		if r.IntN(2) == 0 {
			n.Opponent = &noticePlayer{ID: match.PlayerID(r.IntN(3)), Name: texts[r.IntN(3)]}
		}
		if r.IntN(2) == 0 {
			n.Placement = &noticePlacement{Rank: r.IntN(9) - 1, RankTo: r.IntN(1 << 20)}
		}
		if r.IntN(2) == 0 {
			d := time.Date(2026+r.IntN(3), 12, 6, 9, 30, 0, r.IntN(2)*r.IntN(1e9), zones[r.IntN(3)])
			if i%500 == 0 {
				d = d.AddDate(8000, 0, 0) // past 9999: neither can write it
			}
			n.Deadline = &d
		}
		want, werr := json.Marshal(n)
		got, err := appendNotice([]byte("x"), &n)
		if (err != nil) != (werr != nil) {
			t.Fatalf("%+v: error %v; encoding/json: %v", n, err, werr)
		}
		if err != nil {
			errs++
			continue
		}
		if string(got) != "x"+string(want) {
			t.Fatalf("appendNotice:\n%s\nencoding/json:\nx%s", got, want)
		}
	}
	if errs == 0 {
		t.Error("no notice with an unwritable deadline was generated")
	}
}

// TestAppendNoticeKnowsEveryField: the notice's types have the members appendNotice writes, in
// that order. A field added to one of them must be added to appendNotice (and to the notices
// TestNoticeAsEncodingJSON generates).
func TestAppendNoticeKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{noticeMsg{}, "type tournament version kind match opponent placement deadline text"},
		{noticePlayer{}, "id name"},
		{noticePlacement{}, "rank rank_to"},
	} {
		typ := reflect.TypeOf(c.v)
		var names []string
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			names = append(names, name)
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("%s's JSON members are %q; appendNotice writes %q", typ.Name(), got, c.want)
		}
	}
}
