package match

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func str(s string) *string      { return &s }
func num(n int) *int            { return &n }
func rating(r float64) *float64 { return &r }

// seeds lists the participants' ids by seed, top first (every participant must have one).
func seeds(tr *Tournament) []PlayerID {
	ps := slices.Clone(tr.Participants)
	slices.SortFunc(ps, func(a, b Participant) int { return a.Seed - b.Seed })
	out := make([]PlayerID, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// TestEditRejections: every bad edit is refused with its code and changes nothing, the version
// included.
func TestEditRejections(t *testing.T) {
	registering := func(t *testing.T) *Tournament {
		return newTournament(t, Settings{Format: SingleElimination, MaxPlayers: 6}, 4)
	}
	running := func(t *testing.T) *Tournament { return started(t, Settings{Format: SingleElimination}, 4) }
	deleted := func(t *testing.T) *Tournament {
		tr := registering(t)
		mustApply(t, tr, Command{Type: CmdDelete})
		return tr
	}
	tests := []struct {
		name  string
		state func(*testing.T) *Tournament
		cmd   Command
		code  Code
	}{
		{"edit nothing", registering, Command{Type: CmdEdit}, CodeInvalid},
		{"edit empty edit", registering, Command{Type: CmdEdit, Edit: &Edit{}}, CodeInvalid},
		{"edit empty name", registering, Command{Type: CmdEdit, Edit: &Edit{Name: str(" ")}}, CodeInvalid},
		{"edit long name", registering, Command{Type: CmdEdit, Edit: &Edit{Name: str(strings.Repeat("n", MaxNameLen+1))}}, CodeInvalid},
		{"edit long description", registering, Command{Type: CmdEdit, Edit: &Edit{Description: str(strings.Repeat("d", MaxDescriptionLen+1))}}, CodeInvalid},
		{"edit control characters", registering, Command{Type: CmdEdit, Edit: &Edit{Description: str("a\x07b")}}, CodeInvalid},
		{"edit invalid UTF-8", registering, Command{Type: CmdEdit, Edit: &Edit{Description: str("a\xffb")}}, CodeInvalid},
		{"edit the same", registering, Command{Type: CmdEdit, Edit: &Edit{Name: str("Test Cup")}}, CodeInvalid},
		{"edit a seed", registering, Command{Type: CmdEdit, Edit: &Edit{Seed: num(1)}}, CodeInvalid},
		{"edit deleted", deleted, Command{Type: CmdEdit, Edit: &Edit{Name: str("Back")}}, CodeFinished},
		{"delete twice", deleted, Command{Type: CmdDelete}, CodeFinished},
		{"join deleted", deleted, Command{Type: CmdJoin, Name: "Late"}, CodeFinished},
		{"cancel deleted", deleted, Command{Type: CmdCancel}, CodeFinished},
		{"edit player unknown", registering, Command{Type: CmdEditPlayer, Player: 99, Edit: &Edit{Name: str("X")}}, CodeUnknownPlayer},
		{"edit player nothing", registering, Command{Type: CmdEditPlayer, Player: 1}, CodeInvalid},
		{"edit player taken name", registering, Command{Type: CmdEditPlayer, Player: 1, Edit: &Edit{Name: str("p2")}}, CodeNameTaken},
		{"edit player same", registering, Command{Type: CmdEditPlayer, Player: 1, Edit: &Edit{Name: str("P1")}}, CodeInvalid},
		{"edit player description", registering, Command{Type: CmdEditPlayer, Player: 1, Edit: &Edit{Description: str("d")}}, CodeInvalid},
		{"edit player rating NaN-free bound", registering, Command{Type: CmdEditPlayer, Player: 1, Edit: &Edit{Rating: rating(MaxRating + 1)}}, CodeInvalid},
		{"edit player negative rating", registering, Command{Type: CmdEditPlayer, Player: 1, Edit: &Edit{Rating: rating(-1)}}, CodeInvalid},
		{"edit player seed 0", registering, Command{Type: CmdEditPlayer, Player: 1, Edit: &Edit{Seed: num(0)}}, CodeInvalid},
		{"edit player seed past the last", registering, Command{Type: CmdEditPlayer, Player: 1, Edit: &Edit{Seed: num(5)}}, CodeInvalid},
		{"edit player rating after start", running, Command{Type: CmdEditPlayer, Player: 1, Edit: &Edit{Rating: rating(5)}}, CodeAlreadyStarted},
		{"edit player seed after start", running, Command{Type: CmdEditPlayer, Player: 1, Edit: &Edit{Seed: num(2)}}, CodeAlreadyStarted},
		{"seed no method", registering, Command{Type: CmdSeed}, CodeInvalid},
		{"seed unknown method", registering, Command{Type: CmdSeed, Seeding: "alphabetical"}, CodeInvalid},
		{"seed short order", registering, Command{Type: CmdSeed, Seeding: SeedGiven, Order: []PlayerID{1, 2, 3}}, CodeInvalid},
		{"seed twice in order", registering, Command{Type: CmdSeed, Seeding: SeedGiven, Order: []PlayerID{1, 2, 3, 3}}, CodeInvalid},
		{"seed unknown in order", registering, Command{Type: CmdSeed, Seeding: SeedGiven, Order: []PlayerID{1, 2, 3, 9}}, CodeUnknownPlayer},
		{"seed rating with order", registering, Command{Type: CmdSeed, Seeding: SeedRating, Order: []PlayerID{1, 2, 3, 4}}, CodeInvalid},
		{"seed random seed too large", registering, Command{Type: CmdSeed, Seeding: SeedRandom, RandomSeed: MaxRandomSeed + 1}, CodeInvalid},
		{"seed after start", running, Command{Type: CmdSeed, Seeding: SeedRating}, CodeAlreadyStarted},
		{"seed nobody", func(t *testing.T) *Tournament { return newTournament(t, Settings{Format: Swiss}, 0) }, Command{Type: CmdSeed, Seeding: SeedRating}, CodeTooFewPlayers},
		{"add nobody", registering, Command{Type: CmdAddPlayers}, CodeInvalid},
		{"add past max", registering, Command{Type: CmdAddPlayers, Players: []NewPlayer{{Name: "A"}, {Name: "B"}, {Name: "C"}}}, CodeFull},
		{"add a taken name", registering, Command{Type: CmdAddPlayers, Players: []NewPlayer{{Name: "A"}, {Name: "P3"}}}, CodeNameTaken},
		{"add a name twice", registering, Command{Type: CmdAddPlayers, Players: []NewPlayer{{Name: "Ada"}, {Name: " ADA "}}}, CodeNameTaken},
		{"add a bad name", registering, Command{Type: CmdAddPlayers, Players: []NewPlayer{{Name: "A"}, {Name: ""}}}, CodeInvalid},
		{"add a bad rating", registering, Command{Type: CmdAddPlayers, Players: []NewPlayer{{Name: "A"}, {Name: "B", Rating: -3}}}, CodeInvalid},
		{"add after start", running, Command{Type: CmdAddPlayers, Players: []NewPlayer{{Name: "Late"}}}, CodeAlreadyStarted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.state(t)
			before, _ := json.Marshal(tr)
			ev, err := Apply(tr, tc.cmd)
			if err == nil {
				t.Fatalf("accepted: %+v", ev)
			}
			var me *Error
			if !asError(err, &me) || me.Code != tc.code {
				t.Fatalf("error %v; want code %s", err, tc.code)
			}
			if after, _ := json.Marshal(tr); string(after) != string(before) {
				t.Errorf("a refused command changed the state:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func asError(err error, me **Error) bool {
	e, ok := err.(*Error)
	*me = e
	return ok
}

// TestEditTournament: rename and describe in any status but deleted; the event carries both as
// they are now; delete leaves status deleted.
func TestEditTournament(t *testing.T) {
	tr := &Tournament{}
	s := Settings{Format: SingleElimination}
	ev := mustApply(t, tr, Command{Type: CmdCreate, Tournament: "t1", Name: "Cup", Description: "  Friday night\n\tbring snacks ", Settings: &s})
	if tr.Description != "Friday night\n\tbring snacks" || ev[0].Description != tr.Description {
		t.Fatalf("create: description %q, event %q", tr.Description, ev[0].Description)
	}
	ev = mustApply(t, tr, Command{Type: CmdEdit, Edit: &Edit{Name: str(" Winter Cup ")}})
	if tr.Name != "Winter Cup" || len(ev) != 1 || ev[0].Type != EvEdited || ev[0].Name != "Winter Cup" || ev[0].Description != tr.Description {
		t.Fatalf("rename: name %q, events %+v", tr.Name, ev)
	}
	ev = mustApply(t, tr, Command{Type: CmdEdit, Edit: &Edit{Description: str("")}})
	if tr.Description != "" || ev[0].Name != "Winter Cup" || ev[0].Description != "" {
		t.Fatalf("clear description: %q, events %+v", tr.Description, ev)
	}
	for i := 1; i <= 2; i++ {
		mustApply(t, tr, Command{Type: CmdJoin, Name: "P" + string(rune('0'+i))})
	}
	mustApply(t, tr, Command{Type: CmdStart})
	mustApply(t, tr, Command{Type: CmdReport, Match: 1, Scores: [2]int{1, 0}})
	if tr.Status != StatusFinished {
		t.Fatalf("status %s; want finished", tr.Status)
	}
	mustApply(t, tr, Command{Type: CmdEdit, Edit: &Edit{Name: str("Winter Cup 2026"), Description: str("Won by P1")}})
	mustApply(t, tr, Command{Type: CmdEditPlayer, Player: 2, Edit: &Edit{Name: str("Pat")}})
	if tr.PlayerName(2) != "Pat" {
		t.Errorf("a finished tournament's player was not renamed: %q", tr.PlayerName(2))
	}
	ev = mustApply(t, tr, Command{Type: CmdDelete})
	if tr.Status != StatusDeleted || len(ev) != 1 || ev[0].Type != EvDeleted {
		t.Fatalf("delete: status %s, events %+v", tr.Status, ev)
	}
}

// TestEditPlayer: a rename frees the old name and takes the new one (a change of case only is
// allowed); rating and seed change before the start, and the seed moves the player within the
// order the start would use.
func TestEditPlayer(t *testing.T) {
	tr := newTournament(t, Settings{Format: SingleElimination, Seeding: SeedRating}, 4)
	for i, r := range []float64{1500, 1900, 1700, 1800} { // rating order: 2, 4, 3, 1
		mustApply(t, tr, Command{Type: CmdEditPlayer, Player: PlayerID(i + 1), Edit: &Edit{Rating: rating(r)}})
	}
	ev := mustApply(t, tr, Command{Type: CmdEditPlayer, Player: 1, Edit: &Edit{Name: str("Ada")}})
	if len(ev) != 1 || ev[0].Type != EvPlayerEdited || ev[0].Participant == nil || ev[0].Participant.Name != "Ada" || ev[0].Participant.Rating != 1500 {
		t.Fatalf("rename events %+v", ev)
	}
	mustApply(t, tr, Command{Type: CmdEditPlayer, Player: 1, Edit: &Edit{Name: str("ADA")}}) // case only
	mustApply(t, tr, Command{Type: CmdJoin, Name: "P1"})                                     // the old name is free
	if _, err := Apply(tr, Command{Type: CmdJoin, Name: "ada"}); err == nil {
		t.Fatal("the new name is not taken")
	}
	mustApply(t, tr, Command{Type: CmdLeave, Player: 5})

	// Seed 1 for player 3: the rating order 2, 4, 3, 1 becomes 3, 2, 4, 1 and is fixed.
	ev = mustApply(t, tr, Command{Type: CmdEditPlayer, Player: 3, Edit: &Edit{Seed: num(1)}})
	if len(ev) != 2 || ev[1].Type != EvSeedsChanged || len(ev[1].Participants) != 4 || ev[1].Settings == nil || ev[1].Settings.Seeding != SeedGiven {
		t.Fatalf("seed events %+v", ev)
	}
	if got, want := seeds(tr), []PlayerID{3, 2, 4, 1}; !slices.Equal(got, want) {
		t.Fatalf("seed order %v; want %v", got, want)
	}
	// Down to 3rd: 2, 4, 3, 1. A player who joins after seeding goes last.
	mustApply(t, tr, Command{Type: CmdEditPlayer, Player: 3, Edit: &Edit{Seed: num(3)}})
	mustApply(t, tr, Command{Type: CmdJoin, Name: "Late", Rating: 3000})
	mustApply(t, tr, Command{Type: CmdStart})
	if got, want := seeds(tr), []PlayerID{2, 4, 3, 1, 6}; !slices.Equal(got, want) {
		t.Fatalf("seeds at start %v; want %v (the organiser's order, then who joined after)", got, want)
	}
}

// TestSeedCommand: an explicit order, a rating order and a shuffle each fix every seed; the start
// uses them; the shuffle is the same for the same random seed.
func TestSeedCommand(t *testing.T) {
	mk := func() *Tournament {
		tr := &Tournament{}
		s := Settings{Format: SingleElimination}
		mustApply(t, tr, Command{Type: CmdCreate, Tournament: "t1", Name: "Cup", Settings: &s})
		mustApply(t, tr, Command{Type: CmdAddPlayers, Players: []NewPlayer{{Name: "A", Rating: 10}, {Name: "B", Rating: 40}, {Name: "C", Rating: 30}, {Name: "D", Rating: 20}, {Name: "E", Rating: 50}}})
		return tr
	}
	tr := mk()
	mustApply(t, tr, Command{Type: CmdSeed, Seeding: SeedGiven, Order: []PlayerID{4, 1, 5, 3, 2}})
	if got, want := seeds(tr), []PlayerID{4, 1, 5, 3, 2}; !slices.Equal(got, want) {
		t.Fatalf("given: %v; want %v", got, want)
	}
	mustApply(t, tr, Command{Type: CmdSeed, Seeding: SeedRating})
	if got, want := seeds(tr), []PlayerID{5, 2, 3, 4, 1}; !slices.Equal(got, want) {
		t.Fatalf("rating: %v; want %v", got, want)
	}
	if tr.Settings.Seeding != SeedGiven {
		t.Errorf("settings.seeding %s after seeding; want given", tr.Settings.Seeding)
	}
	mustApply(t, tr, Command{Type: CmdStart})
	// 5 players: seeds 1-3 get byes in round 1 of an 8-bracket; seed 4 meets seed 5.
	if got, want := seeds(tr), []PlayerID{5, 2, 3, 4, 1}; !slices.Equal(got, want) {
		t.Fatalf("seeds at start %v; want %v", got, want)
	}
	var vs [][2]PlayerID
	for _, m := range tr.Matches {
		if m.Round == 1 && m.Players[0] != 0 && m.Players[1] != 0 {
			vs = append(vs, m.Players)
		}
	}
	if len(vs) != 1 || !(vs[0] == [2]PlayerID{4, 1} || vs[0] == [2]PlayerID{1, 4}) {
		t.Errorf("round 1 with two players: %v; want seed 4 (D) against seed 5 (A)", vs)
	}

	a, b, c := mk(), mk(), mk()
	mustApply(t, a, Command{Type: CmdSeed, Seeding: SeedRandom, RandomSeed: 7})
	mustApply(t, b, Command{Type: CmdSeed, Seeding: SeedRandom, RandomSeed: 7})
	mustApply(t, c, Command{Type: CmdSeed, Seeding: SeedRandom, RandomSeed: 8})
	if !slices.Equal(seeds(a), seeds(b)) {
		t.Errorf("the same random seed gave %v and %v", seeds(a), seeds(b))
	}
	if slices.Equal(seeds(a), seeds(c)) {
		t.Errorf("random seeds 7 and 8 gave the same order %v", seeds(a))
	}
}

// TestAddPlayers: all registered in one version, one player_joined each, in list order, with new
// ids; the names are then taken.
func TestAddPlayers(t *testing.T) {
	tr := newTournament(t, Settings{Format: Swiss, MaxPlayers: 5}, 2)
	ev := mustApply(t, tr, Command{Type: CmdAddPlayers, Players: []NewPlayer{{Name: " Ada ", Rating: 2100}, {Name: "Grace"}, {Name: "Linus", Rating: 1}}})
	if len(ev) != 3 || tr.Version != 4 || len(tr.Participants) != 5 {
		t.Fatalf("events %d, version %d, participants %d", len(ev), tr.Version, len(tr.Participants))
	}
	for i, want := range []string{"Ada", "Grace", "Linus"} {
		e := ev[i]
		if e.Type != EvPlayerJoined || e.Participant == nil || e.Participant.Name != want || e.Player != PlayerID(3+i) {
			t.Errorf("event %d: %+v; want player_joined of %s, player %d", i, e, want, 3+i)
		}
	}
	if tr.Participants[2].Rating != 2100 {
		t.Errorf("rating %v; want 2100", tr.Participants[2].Rating)
	}
	if _, err := Apply(tr, Command{Type: CmdAddPlayers, Players: []NewPlayer{{Name: "grace"}}}); err == nil {
		t.Error("an added name is not taken")
	}
}

// TestEditsPlayOut: edits mixed into registration never break a tournament: every format plays
// to a valid end after players were added in bulk, renamed, re-rated and reseeded.
func TestEditsPlayOut(t *testing.T) {
	for _, f := range allFormats {
		for _, n := range []int{2, 3, 7, 16, 33} {
			tr := &Tournament{}
			s := Settings{Format: f}
			mustApply(t, tr, Command{Type: CmdCreate, Tournament: "t1", Name: "Cup", Settings: &s})
			ps := make([]NewPlayer, n)
			for i := range ps {
				ps[i] = NewPlayer{Name: "Player " + string(rune('A'+i%26)) + string(rune('a'+i/26)), Rating: float64(i * 37 % 11)}
			}
			mustApply(t, tr, Command{Type: CmdAddPlayers, Players: ps})
			mustApply(t, tr, Command{Type: CmdSeed, Seeding: SeedRandom, RandomSeed: uint64(n)})
			mustApply(t, tr, Command{Type: CmdEditPlayer, Player: PlayerID(n), Edit: &Edit{Seed: num(1), Name: str("Top")}})
			mustApply(t, tr, Command{Type: CmdEdit, Edit: &Edit{Description: str("seeded by hand")}})
			mustApply(t, tr, Command{Type: CmdStart})
			if tr.participant(PlayerID(n)).Seed != 1 {
				t.Fatalf("%s/%d: the player seeded 1st by hand has seed %d", f, n, tr.participant(PlayerID(n)).Seed)
			}
			playOut(t, tr, rand.New(rand.NewPCG(uint64(n), 1)))
			checkFinal(t, tr)
		}
	}
}
