package match

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// ownReference is how encoding/json writes a tournament's own members: the tournament with its
// version, participants and matches hidden by nil fields of the same names, which are omitted.
type ownReference struct {
	*Tournament
	Version      *struct{} `json:"version,omitempty"`
	Participants *struct{} `json:"participants,omitempty"`
	Matches      *struct{} `json:"matches,omitempty"`
}

// TestOwnJSONAsEncodingJSON: Tournament.AppendOwnJSON writes exactly the members (or the error)
// encoding/json writes, for every state of played tournaments of each format (with a playoff,
// points, time limits, check-in and retention) and for 20,000 generated ones that set every field
// of the tournament and of its settings at random; and DecodeOwn reads what it takes of those
// bytes, and of them altered at random, as encoding/json does, and takes every one whose strings
// need no escape.
func TestOwnJSONAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 11))
	var checked, taken, altered int
	check := func(tr *Tournament) {
		t.Helper()
		checked++
		ref, wantErr := json.Marshal(ownReference{Tournament: tr})
		got, err := tr.AppendOwnJSON([]byte("x"))
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("tournament %+v: error %v; encoding/json: %v", tr, err, wantErr)
		}
		if err != nil {
			return
		}
		want := ref[1 : len(ref)-1]
		if string(got) != "x"+string(want) {
			t.Fatalf("own members:\n got  %s\n want x%s", got, want)
		}
		// Strings encoding/json writes as they are: printable ASCII that needs no escape.
		plain := !strings.ContainsFunc(string(want), func(c rune) bool { return c < 0x20 || c > 0x7e || c == '\\' })
		if checkDecodeOwn(t, want, plain) {
			taken++
		}
		for range 4 {
			if checkDecodeOwn(t, alter(r, want), false) {
				altered++
			}
		}
	}
	at := time.Date(2026, 12, 6, 10, 30, 0, 0, time.UTC)
	for _, s := range []Settings{
		{Format: SingleElimination, ThirdPlace: true, MatchTimeLimit: Duration(10 * time.Minute)},
		{Format: DoubleElimination, GrandFinal: GrandFinalSingle, BestOf: 3},
		{Format: RoundRobin, Groups: 2, AllowDraws: true, Playoff: &Playoff{Format: SingleElimination, Advance: 2}},
		{Format: Swiss, Rounds: 3, Points: &Points{Win: 2, Draw: 0.5}, TieBreaks: []TieBreak{Buchholz},
			Seeding: SeedRandom, RandomSeed: 1<<53 - 1, RoundTimeLimit: Duration(90 * time.Second),
			Retention: Retention{Log: Duration(time.Hour)}},
	} {
		tr := newTournament(t, s, 11)
		check(tr)
		mustApply(t, tr, Command{Type: CmdStart, At: at})
		for tr.Status == StatusRunning {
			check(tr)
			ready := readyMatches(tr)
			if len(ready) == 0 && tr.Stage == StageGroups && tr.Qualifiers != nil {
				mustApply(t, tr, Command{Type: CmdStartPlayoff, At: at})
				continue
			}
			if len(ready) == 0 {
				break
			}
			m := tr.match(ready[r.IntN(len(ready))])
			sc := winScores(r, tr.Settings.BestOf, r.IntN(2))
			mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: sc, By: m.Players[0], At: at})
			mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: sc, By: m.Players[1], At: at})
		}
		if tr.Status != StatusFinished {
			t.Fatalf("%s: %s, not finished", s.Format, tr.Status)
		}
		check(tr)
	}
	zone := time.FixedZone("", -(3*3600 + 1800))
	for range 20000 {
		g := gen{r: r, plain: r.IntN(2) == 0}
		tr := &Tournament{Version: r.Int64N(100), Participants: []Participant{{ID: 1}}, Matches: []Match{{ID: 1}}}
		v := reflect.ValueOf(tr).Elem()
		for i := range v.NumField() { // every field, whatever fields there are: zero or not
			f := v.Field(i)
			if !v.Type().Field(i).IsExported() || r.IntN(3) == 0 {
				continue
			}
			switch x := f.Addr().Interface().(type) {
			case *string:
				*x = g.pick()
			case *Status:
				*x = Status(g.pick(string(StatusRunning), string(StatusFinished)))
			case *int:
				*x = r.IntN(40) - r.IntN(2)
			case *bool:
				*x = true
			case *PlayerID:
				*x = PlayerID(r.IntN(1 << 12))
			case *[]PlayerID:
				*x = nil
				for range r.IntN(4) {
					*x = append(*x, PlayerID(r.IntN(3))) // nobody (null) too
				}
			case *time.Time:
				*x = randomTime(r, zone)
			case *Settings:
				*x = randomSettings(t, g, zone)
			case *int64, *[]Participant, *[]Match: // version, participants, matches: not own
			default:
				t.Fatalf("Tournament.%s: a %s this test does not generate", v.Type().Field(i).Name, f.Type())
			}
		}
		check(tr)
	}
	t.Logf("checked %d tournaments; DecodeOwn took %d of them and %d altered ones", checked, taken, altered)
	if taken < checked/4 || altered == 0 {
		t.Errorf("DecodeOwn took %d of %d and %d altered ones: the test does not reach it", taken, checked, altered)
	}
}

// checkDecodeOwn is checkDecode's counterpart for DecodeOwn, which reads members without braces.
func checkDecodeOwn(t *testing.T, b []byte, must bool) bool {
	t.Helper()
	var fast Tournament
	if !DecodeOwn(b, &fast) {
		if must {
			t.Fatalf("DecodeOwn refused %s", b)
		}
		return false
	}
	var slow Tournament
	if err := json.Unmarshal([]byte("{"+string(b)+"}"), &slow); err != nil {
		t.Fatalf("DecodeOwn took %s, which encoding/json refuses: %v", b, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("DecodeOwn of %s:\n got  %+v\n want %+v", b, fast, slow)
	}
	return true
}

// gen makes the values of the generated tournaments; plain ones have only strings encoding/json
// writes as they are (printable ASCII that needs no escape), which DecodeOwn must take.
type gen struct {
	r     *rand.Rand
	plain bool
}

// pick is one of the strings the JSON tests use (plain, to be escaped, not ASCII), or one of
// also.
func (g gen) pick(also ...string) string {
	all := append([]string{"", "p1", "Anna Lee"}, also...)
	if !g.plain {
		all = append(all, `say "hi"`, `back\slash`, "<b>&amp;</b>", "Zoë", "tab\there", "\u2028", "日本", "\x7f")
	}
	return all[g.r.IntN(len(all))]
}

// randomTime is a time in one of two zones, now and then one encoding/json cannot write (an
// error).
func randomTime(r *rand.Rand, zone *time.Location) time.Time {
	if r.IntN(50) == 0 {
		return time.Date(10000+r.IntN(5), 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Unix(r.Int64N(1<<36)-1<<35, r.Int64N(1e9)*int64(r.IntN(2))).In([]*time.Location{time.UTC, zone}[r.IntN(2)])
}

// duration is zero, or a duration of any size (in µs, written with a character that is not
// ASCII, unless plain).
func (g gen) duration() Duration {
	d := []int64{0, 1, 2_500_000, int64(90 * time.Second), int64(36 * time.Hour), -int64(time.Minute), g.r.Int64(), 1500}
	if g.plain {
		d = d[:len(d)-1]
	}
	return Duration(d[g.r.IntN(len(d))])
}

// randomSettings sets every field of Settings at random, whatever fields it has: zero or not,
// strings to be escaped, points of every size (NaN too: an error) and times encoding/json cannot
// write.
func randomSettings(t *testing.T, g gen, zone *time.Location) Settings {
	t.Helper()
	r := g.r
	floats := []float64{0, 1, 3, 0.5, -2, 1e-7, 1e21, 123456789.125, math.NaN()}
	var s Settings
	v := reflect.ValueOf(&s).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if r.IntN(2) == 0 {
			continue
		}
		switch x := f.Addr().Interface().(type) {
		case *Format:
			*x = Format(g.pick(string(Swiss), string(RoundRobin)))
		case *GrandFinal:
			*x = GrandFinal(g.pick(string(GrandFinalReset)))
		case *Seeding:
			*x = Seeding(g.pick(string(SeedRating)))
		case *TimeoutRule:
			*x = TimeoutRule(g.pick(string(TimeoutOrganiser)))
		case *int:
			*x = r.IntN(12) - r.IntN(2)
		case *bool:
			*x = true
		case *uint64:
			*x = []uint64{1, 42, math.MaxUint64, r.Uint64()}[r.IntN(4)]
		case **Points:
			*x = &Points{Win: floats[r.IntN(len(floats)-1)], Draw: floats[r.IntN(len(floats)-1)], Loss: floats[r.IntN(len(floats))]}
		case *[]TieBreak:
			*x = nil
			for range r.IntN(4) {
				*x = append(*x, TieBreak(g.pick(string(Buchholz), string(HeadToHead))))
			}
		case **time.Time:
			at := randomTime(r, zone)
			*x = &at
		case *Duration:
			*x = g.duration()
		case **Playoff:
			*x = &Playoff{Format: Format(g.pick(string(SingleElimination))), Advance: r.IntN(9), BestOf: r.IntN(4),
				ThirdPlace: r.IntN(2) == 0, GrandFinal: GrandFinal(g.pick(string(GrandFinalNone)))}
		case *Retention:
			*x = Retention{Finished: g.duration(), Idle: g.duration(), Log: g.duration()}
		default:
			t.Fatalf("Settings.%s: a %s this test does not generate", v.Type().Field(i).Name, f.Type())
		}
	}
	return s
}
