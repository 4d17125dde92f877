package match

import (
	"math/rand/v2"
	"testing"
	"time"
)

// FuzzDecoders gives the fast readers (DecodeMatch, DecodeParticipant, DecodeOwn, DecodeEvents)
// arbitrary bytes. None may panic, and whatever one takes, encoding/json must read as the same
// value (checkDecode and its counterparts): a node reads other nodes' commits with them, and the
// general decoder is the reference for anything they accept. The seeds are what played
// tournaments of every format write: matches, participants, own members and the events of every
// command. The tests beside the appenders alter such encodings at random; this explores from them
// with coverage (make fuzz).
func FuzzDecoders(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 47))
	at := time.Date(2026, 12, 6, 21, 30, 0, 0, time.UTC)
	// seed adds what a reader writes; taken, the fast reader of it, must take it: a seed no reader
	// takes explores nothing.
	seed := func(taken func([]byte) bool) func([]byte, error) {
		return func(b []byte, err error) {
			f.Helper()
			if err != nil {
				f.Fatal(err)
			}
			if taken != nil && !taken(b) {
				f.Fatalf("a fast reader refused the seed %s", b)
			}
			f.Add(b)
		}
	}
	match := seed(func(b []byte) bool { return DecodeMatch(b, &Match{}) })
	participant := seed(func(b []byte) bool { return DecodeParticipant(b, &Participant{}) })
	own := seed(func(b []byte) bool { return DecodeOwn(b, &Tournament{}) })
	events := func(ev []Event) {
		f.Helper()
		seed(func(b []byte) bool { _, ok := DecodeEvents(b); return ok })(AppendEvents(nil, ev))
	}
	for _, s := range []Settings{
		{Format: SingleElimination, ThirdPlace: true, BestOf: 3, MatchTimeLimit: Duration(10 * time.Minute)},
		{Format: DoubleElimination, GrandFinal: GrandFinalReset},
		{Format: RoundRobin, Groups: 2, AllowDraws: true, Playoff: &Playoff{Format: SingleElimination, Advance: 2}},
		{Format: Swiss, Rounds: 3, Points: &Points{Win: 2, Draw: 0.5}, TieBreaks: []TieBreak{Buchholz},
			Seeding: SeedRandom, RandomSeed: 1<<53 - 1, Retention: Retention{Log: Duration(time.Hour)}},
	} {
		tr := &Tournament{}
		events(mustApply(f, tr, Command{Type: CmdCreate, Tournament: "t_fuzz", Name: "Fuzz Cup", Settings: &s, At: at}))
		for i := range 6 {
			events(mustApply(f, tr, Command{Type: CmdJoin, Name: "P" + string(rune('a'+i)), Rating: float64(1500 + i)}))
		}
		own(tr.AppendOwnJSON(nil))
		events(mustApply(f, tr, Command{Type: CmdStart, At: at}))
		for tr.Status == StatusRunning {
			ready := readyMatches(tr)
			if len(ready) == 0 && tr.Stage == StageGroups && tr.Qualifiers != nil {
				events(mustApply(f, tr, Command{Type: CmdStartPlayoff, At: at}))
				continue
			}
			if len(ready) == 0 {
				f.Fatalf("running with no ready match:\n%s", dump(tr))
			}
			m := tr.match(ready[r.IntN(len(ready))])
			sc := winScores(r, max(1, tr.Settings.BestOf), r.IntN(2))
			events(mustApply(f, tr, Command{Type: CmdReport, Match: m.ID, Scores: sc, By: m.Players[0], At: at}))
			events(mustApply(f, tr, Command{Type: CmdReport, Match: m.ID, Scores: sc, By: m.Players[1], At: at}))
			match(tr.match(m.ID).AppendJSON(nil))
		}
		own(tr.AppendOwnJSON(nil))
		for _, p := range tr.Participants {
			participant(p.AppendJSON(nil))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecodeMatch(t, b, false)
		checkDecodeParticipant(t, b, false)
		checkDecodeOwn(t, b, false)
		checkDecodeEvents(t, b, false)
	})
}
