package match

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPlayerIDJSON: nobody (an empty slot, no winner yet) is null in JSON, and null reads back as
// nobody; fields with omitempty still leave nobody out.
func TestPlayerIDJSON(t *testing.T) {
	m := Match{ID: 3, Bracket: BracketWinners, Round: 1, Status: MatchPending, Players: [2]PlayerID{0, 7}}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"players":[null,7]`, `"winner":null`, `"loser":null`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("match JSON %s lacks %s", b, want)
		}
	}
	var back Match
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Players != m.Players || back.Winner != 0 {
		t.Errorf("round trip: players %v winner %d; want %v and 0", back.Players, back.Winner, m.Players)
	}
	if b, _ := json.Marshal(Event{Type: EvMatchReady}); strings.Contains(string(b), "player") {
		t.Errorf("event JSON %s: an omitempty player id of nobody must be left out", b)
	}
	for in, want := range map[string]PlayerID{`12`: 12, `null`: 0, `-3`: -3} {
		var p PlayerID
		if err := json.Unmarshal([]byte(in), &p); err != nil || p != want {
			t.Errorf("unmarshal %s: %d %v; want %d", in, p, err, want)
		}
	}
	for _, in := range []string{`"12"`, `1.5`, `true`, `99999999999999999999`} {
		var p PlayerID
		if err := json.Unmarshal([]byte(in), &p); err == nil {
			t.Errorf("unmarshal %s: accepted as %d; want an error", in, p)
		}
	}
}

// TestJSONProblem checks the checker the property tests rely on: numbers beyond 2^53-1 (or not
// encodable at all) are found anywhere, and digits inside strings are not numbers.
func TestJSONProblem(t *testing.T) {
	for _, tc := range []struct {
		v   any
		bad bool
	}{
		{`a"1e99\"9e99`, false}, {9007199254740991, false}, {-9007199254740991, false}, {0.25, false},
		{9007199254740992, true}, {-9007199254740992, true}, {1.5e300, true}, {uint64(math.MaxUint64), true},
		{math.NaN(), true}, {math.Inf(-1), true},
		{map[string]any{"k": []any{1, "9e99", -3e20}}, true},
	} {
		if got := jsonProblem(tc.v); (got != "") != tc.bad {
			t.Errorf("jsonProblem(%#v) = %q; want a problem: %v", tc.v, got, tc.bad)
		}
	}
}

// TestMatchJSONAsEncodingJSON: Match.AppendJSON and AppendEvents write exactly the bytes
// encoding/json writes, for every match and every event of played tournaments of each format
// (after every command from the create on: joins with ratings, one-sided reports, games, time
// limits, a playoff), for generated matches that set every field in turn, with names that must
// be escaped, and for generated events that set every field in turn (settings at random).
// DecodeMatch and DecodeEvents read back every played one (starts with their matches and finishes
// with their standings included), and read what they take (of the generated ones, and of those
// bytes altered at random) as encoding/json does.
func TestMatchJSONAsEncodingJSON(t *testing.T) {
	matches, events := 0, 0
	played := true // the fast decoders must take what played tournaments wrote
	var taken, altered int
	r := rand.New(rand.NewPCG(15, 6))
	decoded := func(b []byte) {
		t.Helper()
		if checkDecodeMatch(t, b, played) {
			taken++
		}
		for range 3 {
			if checkDecodeMatch(t, alter(r, b), false) {
				altered++
			}
		}
	}
	decodedEvents := func(ev []Event, b []byte) {
		t.Helper()
		if checkDecodeEvents(t, b, played) {
			taken++
		}
		for range 3 {
			if checkDecodeEvents(t, alter(r, b), false) {
				altered++
			}
		}
	}
	check := func(m *Match) {
		t.Helper()
		matches++
		want, wantErr := json.Marshal(m)
		got, err := m.AppendJSON([]byte("x"))
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("match %+v: error %v; encoding/json: %v", *m, err, wantErr)
		}
		if err == nil && string(got) != "x"+string(want) {
			t.Fatalf("match %+v:\n got  %s\n want x%s", *m, got, want)
		}
		if err == nil {
			decoded(want)
		}
		if want, _ := json.Marshal(m.Reports); string(AppendReports([]byte("x"), m.Reports)) != "x"+string(want) {
			t.Fatalf("reports %+v: AppendReports %s; encoding/json %s", m.Reports, AppendReports(nil, m.Reports), want)
		}
	}
	checkEvents := func(ev []Event) {
		t.Helper()
		events += len(ev)
		want, wantErr := json.Marshal(ev)
		if ev == nil {
			want = []byte("[]")
		}
		got, err := AppendEvents([]byte("x"), ev)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("events %+v: error %v; encoding/json: %v", ev, err, wantErr)
		}
		if err == nil && string(got) != "x"+string(want) {
			t.Fatalf("events:\n got  %s\n want x%s", got, want)
		}
		if err == nil {
			decodedEvents(ev, want)
		}
	}
	apply := func(tr *Tournament, c Command) {
		t.Helper()
		checkEvents(mustApply(t, tr, c))
	}
	at := time.Date(2026, 12, 6, 4, 30, 0, 0, time.UTC)
	for _, f := range []Format{SingleElimination, DoubleElimination, RoundRobin, Swiss} {
		s := Settings{Format: f, BestOf: 3, MatchTimeLimit: Duration(10 * time.Minute)}
		if f == RoundRobin || f == Swiss {
			s.AllowDraws = true
			s.Playoff = &Playoff{Format: SingleElimination, Advance: 4}
		}
		tr := &Tournament{}
		apply(tr, Command{Type: CmdCreate, Tournament: "t1", Name: "Test Cup", Settings: &s, At: at})
		for i := 1; i <= 11; i++ { // joins' events carry the participant, with a rating now and then
			apply(tr, Command{Type: CmdJoin, Name: fmt.Sprintf("P%d", i), Rating: float64(i%3) * 1200.5, At: at})
		}
		apply(tr, Command{Type: CmdStart, At: at})
		for tr.Status == StatusRunning {
			for i := range tr.Matches {
				check(&tr.Matches[i])
			}
			ready := readyMatches(tr)
			if len(ready) == 0 {
				apply(tr, Command{Type: CmdStartPlayoff, At: at})
				continue
			}
			id := ready[r.IntN(len(ready))]
			m := tr.match(id)
			sc := winScores(r, 3, r.IntN(2))
			games := gamesOf(r, sc)
			at = at.Add(time.Duration(r.IntN(90_000_000_000)) + 7) // nanoseconds too
			apply(tr, Command{Type: CmdReport, Match: id, Scores: sc, Games: games, By: m.Players[0], At: at})
			for i := range tr.Matches {
				check(&tr.Matches[i])
			}
			apply(tr, Command{Type: CmdReport, Match: id, Scores: sc, Games: games, By: m.Players[1], At: at})
		}
	}

	played = false
	names := []string{"", "winners", "grand_final", `a"b`, `back\slash`, "<b>&amp;", "a<b", "x>y", "p&q", "tab\there", "\x01", "naïve", "\u2028", "bad \xff utf-8"}
	pick := func() string { return names[r.IntN(len(names))] }
	zone := time.FixedZone("", 5*3600+30*60)
	when := func() time.Time {
		switch r.IntN(4) {
		case 0:
			return time.Time{}
		case 1:
			return time.Date(2026, 1, 2, 3, 4, 5, r.IntN(1e9), time.UTC)
		case 2:
			return time.Date(1999, 12, 31, 23, 59, 59, 0, zone)
		}
		return time.Unix(int64(r.IntN(2e9)), 0)
	}
	games := func() *Games {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return new(Games) // a pointer to no games: null
		case 2:
			g := Games{}
			return &g
		}
		g := Games{{11, r.IntN(10)}, {-1, 1 << 40}}
		return &g
	}
	report := func() *Report {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return &Report{Scores: [2]int{r.IntN(3), -r.IntN(3)}}
		}
		return &Report{Scores: [2]int{2, 1}, Games: Games{{11, 3}, {3, 11}, {12, 10}}[:r.IntN(4)]}
	}
	match := func() *Match {
		return &Match{
			ID: MatchID(r.IntN(3000) - 1), Bracket: Bracket(pick()), Round: r.IntN(12), Group: r.IntN(3) - 1,
			Status: MatchStatus(pick()), Players: [2]PlayerID{PlayerID(r.IntN(4)), PlayerID(r.IntN(4) - 1)},
			Filled: [2]bool{r.IntN(2) == 0, r.IntN(3) == 0},
			Feeds:  [2]Feed{{Match: MatchID(r.IntN(3)), Take: Outcome(pick())}, {Match: MatchID(r.IntN(2)), Take: Outcome(pick())}},
			Scores: [2]int{r.IntN(5) - 1, r.IntN(5)}, Games: games(), Winner: PlayerID(r.IntN(3)), Loser: PlayerID(r.IntN(3)),
			Draw: r.IntN(4) == 0, Walkover: r.IntN(4) == 0, Forfeited: [2]bool{r.IntN(4) == 0, r.IntN(4) == 0},
			Reports: [2]*Report{report(), report()}, ReadyAt: when(), Deadline: when(),
			Warned: r.IntN(3) == 0, Overdue: r.IntN(3) == 0, WinnerTo: MatchID(r.IntN(3)), LoserTo: MatchID(r.IntN(3) - 1),
		}
	}
	maybe := func() bool { return r.IntN(3) == 0 }
	for range 5000 {
		check(match())
		e := Event{Type: EventType(pick()), Player: PlayerID(r.IntN(3) - 1), Round: r.IntN(3), MatchID: MatchID(r.IntN(3)),
			Name: pick(), Description: pick(), Reason: pick(), At: when()}
		if maybe() {
			e.Match = match()
		}
		if maybe() {
			e.Slots = &Slots{Players: [2]PlayerID{PlayerID(r.IntN(3)), 0}, Filled: [2]bool{maybe(), maybe()}}
		}
		if maybe() {
			e.Was = match()
		}
		if maybe() {
			e.Matches = []Match{*match(), *match()}[:r.IntN(3)]
		}
		if maybe() {
			e.Participant = &Participant{ID: PlayerID(r.IntN(3)), Name: pick(), Seed: r.IntN(3), Rating: 1.5}
		}
		if maybe() {
			e.Participants = []Participant{{ID: 1, Name: pick()}, {ID: 2, Name: pick(), CheckedIn: true}}[:r.IntN(3)]
		}
		if maybe() {
			e.Qualifiers = []PlayerID{3, 0, 1}[:r.IntN(4)]
		}
		if maybe() {
			e.Standings = []Standing{randomStanding(r), randomStanding(r), {Player: 1, Rank: 1, Points: 2.5, TieBreaks: map[TieBreak]float64{"buchholz": 1.5, "a": 0}}}[:1+r.IntN(3)]
		}
		if maybe() {
			st := randomSettings(t, gen{r: r, plain: maybe()}, zone)
			e.Settings = &st
		}
		checkEvents([]Event{e, {Type: EvMatchReady}})
	}
	checkEvents(nil)
	checkEvents([]Event{})
	// A time encoding/json cannot write fails the same way.
	check(&Match{ID: 1, ReadyAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
	checkEvents([]Event{{Type: EvMatchReady, At: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}})
	checkEvents([]Event{{Type: EvFinished, Standings: []Standing{{Points: math.NaN()}}}})
	checkEvents([]Event{{Type: EvFinished, Standings: []Standing{{Player: 2, TieBreaks: map[TieBreak]float64{Buchholz: math.Inf(1)}}}}})
	if matches < 10000 || events < 5500 {
		t.Errorf("checked %d matches and %d events; want the played ones too", matches, events)
	}
	t.Logf("the fast decoders took %d encodings and %d altered ones", taken, altered)
	if taken < 5000 || altered == 0 {
		t.Errorf("the fast decoders took %d encodings and %d altered ones: the test does not reach them", taken, altered)
	}
}

// checkDecodeMatch checks that when DecodeMatch takes b, it reads what encoding/json reads; it
// must take it when must is set. It reports whether it took it.
func checkDecodeMatch(t *testing.T, b []byte, must bool) bool {
	t.Helper()
	return checkDecode(t, "DecodeMatch", DecodeMatch, b, must)
}

// checkDecode checks that when decode (named name) takes b, it reads what encoding/json reads;
// it must take it when must is set. It reports whether it took it.
func checkDecode[T any](t *testing.T, name string, decode func([]byte, *T) bool, b []byte, must bool) bool {
	t.Helper()
	var fast T
	if !decode(b, &fast) {
		if must {
			t.Fatalf("%s refused %s", name, b)
		}
		return false
	}
	var slow T
	if err := json.Unmarshal(b, &slow); err != nil {
		t.Fatalf("%s took %s, which encoding/json refuses: %v", name, b, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%s of %s:\n got  %+v\n want %+v", name, b, fast, slow)
	}
	return true
}

// checkDecodeEvents is checkDecodeMatch's counterpart for DecodeEvents.
func checkDecodeEvents(t *testing.T, b []byte, must bool) bool {
	t.Helper()
	fast, ok := DecodeEvents(b)
	if !ok {
		if must {
			t.Fatalf("DecodeEvents refused %s", b)
		}
		return false
	}
	var slow []Event
	if err := json.Unmarshal(b, &slow); err != nil {
		t.Fatalf("DecodeEvents took %s, which encoding/json refuses: %v", b, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("DecodeEvents of %s:\n got  %+v\n want %+v", b, fast, slow)
	}
	return true
}

// alter changes b at random: a byte replaced by one of the JSON's own, removed or doubled.
func alter(r *rand.Rand, b []byte) []byte {
	out := append([]byte(nil), b...)
	i := r.IntN(len(out))
	switch r.IntN(3) {
	case 0:
		const pool = `0123456789-"{}[],:.eEnul tf`
		out[i] = pool[r.IntN(len(pool))]
	case 1:
		out = append(out[:i], out[i+1:]...)
	default:
		out = append(out[:i+1], out[i:]...)
	}
	return out
}

// TestStandingJSONAsEncodingJSON: Standing.AppendJSON writes exactly the bytes encoding/json
// writes, for the standings of played tournaments of each format (points, groups, game points and
// tie-breaks included) and for generated ones that set every field at random.
func TestStandingJSONAsEncodingJSON(t *testing.T) {
	checked := 0
	seen := map[string]bool{} // what the played standings carried
	check := func(s Standing) {
		t.Helper()
		checked++
		seen["tie_breaks"] = seen["tie_breaks"] || len(s.TieBreaks) > 0
		seen["group"] = seen["group"] || s.Group != 0
		seen["game_points"] = seen["game_points"] || s.GamePointsFor != 0
		seen["eliminated"] = seen["eliminated"] || s.Eliminated
		seen["half_points"] = seen["half_points"] || s.Points != float64(int(s.Points))
		want, wantErr := json.Marshal(s)
		got, err := s.AppendJSON([]byte("x"))
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("standing %+v: error %v; encoding/json: %v", s, err, wantErr)
		}
		if err == nil && string(got) != "x"+string(want) {
			t.Fatalf("standing %+v:\n got x%s\nwant x%s", s, got[1:], want)
		}
	}
	r := rand.New(rand.NewPCG(8, 21))
	for _, f := range allFormats {
		s := Settings{Format: f, BestOf: 3}
		if f == RoundRobin || f == Swiss {
			s.AllowDraws = true
			s.Groups = 2
			s.Points = &Points{Win: 1, Draw: 0.5}
			s.TieBreaks = []TieBreak{Buchholz, GamePoints, SonnebornBerger, GameDifference, HeadToHead}
			s.Playoff = &Playoff{Format: SingleElimination, Advance: 4}
		}
		if f == Swiss {
			s.Groups = 0
		}
		tr := newTournament(t, s, 13)
		mustApply(t, tr, Command{Type: CmdStart})
		for tr.Status == StatusRunning {
			for _, st := range Standings(tr) {
				check(st)
			}
			ready := readyMatches(tr)
			if len(ready) == 0 {
				mustApply(t, tr, Command{Type: CmdStartPlayoff})
				continue
			}
			id := ready[r.IntN(len(ready))]
			sc := winScores(r, 3, r.IntN(2))
			if s.AllowDraws && tr.Stage != StagePlayoff && r.IntN(4) == 0 {
				sc = [2]int{1, 1}
			}
			mustApply(t, tr, Command{Type: CmdReport, Match: id, Scores: sc, Games: gamesOf(r, sc)})
		}
		for _, st := range Standings(tr) {
			check(st)
		}
	}
	if len(seen) != 5 || slices.Contains(slices.Collect(maps.Values(seen)), false) {
		t.Errorf("the played standings carried %v; want every one", seen)
	}
	for range 3000 {
		check(randomStanding(r))
	}
	check(Standing{Points: math.NaN()})
	check(Standing{TieBreaks: map[TieBreak]float64{GamePoints: math.Inf(-1)}})
	check(Standing{TieBreaks: map[TieBreak]float64{}})
	if checked < 3100 {
		t.Errorf("checked %d standings; want the played ones too", checked)
	}
}

// randomStanding sets every field of a standing at random: ids with nobody, points and tie-breaks
// of every size (the exponent form too), tie-break names that must be escaped.
func randomStanding(r *rand.Rand) Standing {
	num := func() int { return []int{0, 0, 1, 7, 123, -2}[r.IntN(6)] }
	float := func() float64 {
		return []float64{0, 1, 2.5, -0.5, 1.0 / 3, 1e-7, 1e21, 123456.789}[r.IntN(8)] * float64(r.IntN(3))
	}
	s := Standing{Player: PlayerID(r.IntN(4)), Rank: num(), RankTo: num(), Group: num(), Wins: num(), Draws: num(),
		Losses: num(), Points: float(), GamesWon: num(), GamesLost: num(), GamePointsFor: num(),
		GamePointsAgainst: num(), Eliminated: r.IntN(2) == 0}
	if r.IntN(2) == 0 {
		s.TieBreaks = map[TieBreak]float64{}
		for _, tb := range []TieBreak{Buchholz, HeadToHead, SonnebornBerger, GameDifference, GamePoints, "a<b", "ü"} {
			if r.IntN(2) == 0 {
				s.TieBreaks[tb] = float()
			}
		}
	}
	return s
}

// TestJSONAppendersKnowEveryField: the types the appenders of match/json.go write field by field
// (Match, Event, Standing, Participant, Command, Settings, a tournament's own members) have the
// members they write, in that order. A field added to one of them must be added to match/json.go,
// to match/decode.go's readers, and to the values the tests generate.
func TestJSONAppendersKnowEveryField(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{Match{}, "id bracket round group status players filled feeds scores games winner loser draw walkover forfeited reports ready_at deadline warned overdue winner_to loser_to"},
		{Event{}, "type player round match match_id slots was matches participant participants qualifiers standings settings name description reason at"},
		{Feed{}, "match take"},
		{Report{}, "scores games"},
		{Slots{}, "players filled"},
		{Standing{}, "player_id rank rank_to group wins draws losses points games_won games_lost game_points_for game_points_against tie_breaks eliminated"},
		{Participant{}, "id name seed rating checked_in eliminated withdrawn disqualified eliminated_in byes"},
		{Command{}, "type tournament name description settings rating player match scores games by both disqualify reason edit seeding order random_seed players at"},
		{Settings{}, "format best_of max_players third_place grand_final groups legs rounds allow_draws points tie_breaks seeding random_seed require_check_in scheduled_start check_in_window match_time_limit round_time_limit warn_before on_timeout playoff retention"},
		{Points{}, "win draw loss"},
		{Playoff{}, "format advance best_of third_place grand_final"},
		{Retention{}, "finished idle log"},
		{Tournament{}, "id name description settings status version participants matches last_player round stage qualifiers check_in_open check_in_warned started_at round_started_at note"},
	} {
		typ := reflect.TypeOf(c.v)
		var names []string
		for i := range typ.NumField() {
			if f := typ.Field(i); f.IsExported() {
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				names = append(names, name)
			}
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("%s's JSON members are %q; match/json.go writes %q", typ.Name(), got, c.want)
		}
	}
}

// TestParticipantJSONAsEncodingJSON: Participant.AppendJSON writes exactly the bytes encoding/json
// writes, for the participants of played tournaments of each format and for generated ones that
// set every field at random (names that must be escaped, ratings of every size, NaN); and
// DecodeParticipant reads what it takes of those bytes, and of them altered at random, as
// encoding/json does, and takes every one with a plain name (ratings too).
func TestParticipantJSONAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 7))
	var checked, taken, altered int
	check := func(p Participant) {
		t.Helper()
		checked++
		want, wantErr := json.Marshal(p)
		got, err := p.AppendJSON([]byte("x"))
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("participant %+v: error %v; encoding/json: %v", p, err, wantErr)
		}
		if err != nil {
			return
		}
		if string(got) != "x"+string(want) {
			t.Fatalf("participant %+v:\n got  %s\n want x%s", p, got, want)
		}
		// A name encoding/json writes as it is: printable ASCII that needs no escape.
		plain := !strings.ContainsFunc(p.Name, func(c rune) bool { return c < 0x20 || c > 0x7e || strings.ContainsRune(`"\\<>&`, c) })
		if checkDecodeParticipant(t, want, plain) {
			taken++
		}
		for range 4 {
			if checkDecodeParticipant(t, alter(r, want), false) {
				altered++
			}
		}
	}
	at := time.Date(2026, 12, 6, 10, 30, 0, 0, time.UTC)
	for _, f := range []Format{SingleElimination, DoubleElimination, RoundRobin, Swiss} {
		tr := newTournament(t, Settings{Format: f, AllowDraws: f == RoundRobin || f == Swiss}, 11)
		mustApply(t, tr, Command{Type: CmdStart, At: at})
		mustApply(t, tr, Command{Type: CmdWithdraw, Player: tr.Participants[3].ID, At: at})
		for tr.Status == StatusRunning {
			for _, p := range tr.Participants {
				check(p)
			}
			ready := readyMatches(tr)
			if len(ready) == 0 {
				break
			}
			m := tr.match(ready[r.IntN(len(ready))])
			sc := winScores(r, 1, r.IntN(2))
			mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: sc, By: m.Players[0], At: at})
			mustApply(t, tr, Command{Type: CmdReport, Match: m.ID, Scores: sc, By: m.Players[1], At: at})
		}
		for _, p := range tr.Participants {
			check(p)
		}
	}
	names := []string{"", "p1", "Anna Lee", `say "hi"`, `back\slash`, "<b>&amp;</b>", "Zoë", "tab\there", "\u2028", "日本", "\x7f"}
	ratings := []float64{0, 1, 1500, 1500.5, -3, 1e-7, 1e21, 123456789.125, math.SmallestNonzeroFloat64, math.MaxFloat64, math.NaN(), math.Inf(1)}
	for range 20000 {
		p := Participant{
			ID:   PlayerID(r.IntN(1<<20) * (r.IntN(3) - 1)), // nobody (null) and negative ids too
			Name: names[r.IntN(len(names))],
		}
		v := reflect.ValueOf(&p).Elem()
		for i := range v.NumField() { // every other field, whatever fields there are: zero or not
			f := v.Field(i)
			if i < 2 || r.IntN(2) == 0 {
				continue
			}
			switch f.Kind() {
			case reflect.Bool:
				f.SetBool(true)
			case reflect.Int, reflect.Int32, reflect.Int64:
				f.SetInt(int64(r.IntN(1000)) - int64(r.IntN(2)))
			case reflect.Float64:
				f.SetFloat(ratings[r.IntN(len(ratings))])
			case reflect.String:
				f.SetString(names[r.IntN(len(names))])
			default:
				t.Fatalf("Participant.%s: a %s this test does not generate", v.Type().Field(i).Name, f.Kind())
			}
		}
		check(p)
	}
	t.Logf("checked %d participants; DecodeParticipant took %d of them and %d altered ones", checked, taken, altered)
	if taken < checked/10 || altered == 0 {
		t.Errorf("DecodeParticipant took %d of %d and %d altered ones: the test does not reach it", taken, checked, altered)
	}
}

// TestCommandJSONAsEncodingJSON: Command.AppendJSON writes exactly the bytes (or the error)
// encoding/json writes, for every command of played tournaments of each format (create with
// settings, joins with ratings, start, one-sided and organiser's reports with games, a
// withdrawal, an edit) and for 20,000 generated ones that set every field at random, whatever
// fields Command has.
func TestCommandJSONAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 9))
	checked := 0
	check := func(c Command) {
		t.Helper()
		checked++
		want, wantErr := json.Marshal(c)
		got, err := c.AppendJSON([]byte("x"))
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("command %+v: error %v; encoding/json: %v", c, err, wantErr)
		}
		if err == nil && string(got) != "x"+string(want) {
			t.Fatalf("command %+v:\n got  %s\n want x%s", c, got, want)
		}
	}
	at := time.Date(2026, 12, 6, 10, 30, 0, 123456789, time.UTC)
	for _, f := range []Format{SingleElimination, DoubleElimination, RoundRobin, Swiss} {
		tr := &Tournament{}
		do := func(c Command) {
			t.Helper()
			check(c)
			mustApply(t, tr, c)
		}
		do(Command{Type: CmdCreate, Tournament: "t1", Name: "Test <Cup>", Description: "a \"cup\"", At: at,
			Settings: &Settings{Format: f, BestOf: 3, AllowDraws: f == RoundRobin || f == Swiss}})
		for i := range 9 {
			do(Command{Type: CmdJoin, Name: fmt.Sprintf("P%d", i), Rating: float64(1500 + 7*i), At: at})
		}
		name := "Renamed"
		do(Command{Type: CmdEdit, Edit: &Edit{Name: &name}, At: at})
		do(Command{Type: CmdStart, At: at})
		do(Command{Type: CmdWithdraw, Player: tr.Participants[3].ID, Reason: "withdrew", At: at})
		for tr.Status == StatusRunning {
			ready := readyMatches(tr)
			if len(ready) == 0 {
				break
			}
			m := tr.match(ready[r.IntN(len(ready))])
			w := r.IntN(2)
			sc := winScores(r, 3, w)
			var games Games // the loser's games first, then the winner's
			for i := range sc[0] + sc[1] {
				var g [2]int
				side := w
				if i < sc[1-w] {
					side = 1 - w
				}
				g[side], g[1-side] = 11, i
				games = append(games, g)
			}
			if r.IntN(2) == 0 {
				do(Command{Type: CmdReport, Match: m.ID, Scores: sc, By: m.Players[0], At: at})
				do(Command{Type: CmdReport, Match: m.ID, Scores: sc, By: m.Players[1], At: at})
			} else {
				do(Command{Type: CmdReport, Match: m.ID, Scores: sc, Games: games, At: at.Add(time.Duration(r.IntN(1e9)))})
			}
		}
	}
	names := []string{"", "p1", `say "hi"`, "<b>&amp;</b>", "Zoë", "tab\there", "\u2028", "\x7f"}
	ratings := []float64{1, 1500.5, -3, 1e-7, 1e21, math.MaxFloat64, math.NaN(), math.Inf(-1)}
	zone := time.FixedZone("", -(3*3600 + 1800))
	for range 20000 {
		var c Command
		v := reflect.ValueOf(&c).Elem()
		for i := range v.NumField() { // every field, whatever fields there are: zero or not
			f := v.Field(i)
			if r.IntN(2) == 0 {
				continue
			}
			switch x := f.Addr().Interface().(type) {
			case *CommandType:
				*x = CommandType(names[r.IntN(len(names))])
			case *string:
				*x = names[r.IntN(len(names))]
			case *Seeding:
				*x = Seeding(names[r.IntN(len(names))])
			case *float64:
				*x = ratings[r.IntN(len(ratings))]
			case *PlayerID:
				*x = PlayerID(r.IntN(1<<20) - 1<<19)
			case *MatchID:
				*x = MatchID(r.IntN(1<<20) - 1<<19)
			case *uint64:
				*x = r.Uint64() >> r.IntN(64)
			case *bool:
				*x = true
			case *[2]int:
				*x = [2]int{r.IntN(20) - 1, r.IntN(20)}
			case *Games:
				*x = Games{} // empty, not nil: left out all the same
				for range r.IntN(4) {
					*x = append(*x, [2]int{r.IntN(12), r.IntN(12)})
				}
			case *[]PlayerID:
				*x = []PlayerID{}
				for range r.IntN(4) {
					*x = append(*x, PlayerID(r.IntN(3))) // nobody (null) too
				}
			case *[]NewPlayer:
				*x = []NewPlayer{}
				for range r.IntN(3) {
					*x = append(*x, NewPlayer{Name: names[r.IntN(len(names))], Rating: ratings[r.IntN(len(ratings))]})
				}
			case **Settings:
				st := randomSettings(t, gen{r: r, plain: r.IntN(2) == 0}, zone)
				*x = &st
			case **Edit:
				*x = &Edit{Name: &names[r.IntN(len(names))]}
			case *time.Time:
				*x = time.Unix(r.Int64N(1<<36)-1<<35, r.Int64N(1e9)).In([]*time.Location{time.UTC, zone}[r.IntN(2)])
				if r.IntN(50) == 0 {
					*x = time.Date(10000+r.IntN(5), 1, 1, 0, 0, 0, 0, time.UTC) // beyond JSON's years: an error
				}
			default:
				t.Fatalf("Command.%s: a %s this test does not generate", v.Type().Field(i).Name, f.Type())
			}
		}
		check(c)
	}
	t.Logf("checked %d commands", checked)
}

// checkDecodeParticipant is checkDecodeMatch's counterpart for DecodeParticipant.
func checkDecodeParticipant(t *testing.T, b []byte, must bool) bool {
	t.Helper()
	return checkDecode(t, "DecodeParticipant", DecodeParticipant, b, must)
}
