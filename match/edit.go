package match

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The organiser's edits: the tournament's name and description, deleting it, a participant's
// name, rating and seed, the seed order as a whole, and many participants at once. Each is a
// command like the others, with a version and events, so every node and every client sees it in
// order with the results.

// MaxDescriptionLen bounds a tournament's description, in characters.
const MaxDescriptionLen = 2000

// Edit is what an edit or edit_player command changes; a nil field is left as it is.
type Edit struct {
	// Name: the tournament's (edit) or the participant's (edit_player).
	Name *string `json:"name,omitempty"`
	// Description: the tournament's (edit); "" clears it.
	Description *string `json:"description,omitempty"`
	// Rating and Seed: the participant's (edit_player), before the start only. Seed moves the
	// participant to that place of the seed order (1 is the top seed), the others keeping theirs
	// in turn; it fixes the order (settings.seeding becomes given).
	Rating *float64 `json:"rating,omitempty"`
	Seed   *int     `json:"seed,omitempty"`
}

// NewPlayer is one player of an add_players command.
type NewPlayer struct {
	Name   string  `json:"name"`
	Rating float64 `json:"rating,omitempty"`
}

// notDeleted refuses every command on a deleted tournament. The stores drop one at once, so this
// is only reached by a command applied to a state held from before.
func (t *Tournament) notDeleted() *Error {
	if t.Status == StatusDeleted {
		return errorf(CodeFinished, "the tournament has been deleted")
	}
	if t.Status == "" {
		return errorf(CodeInvalid, "the tournament does not exist yet")
	}
	return nil
}

// edit renames the tournament or changes its description, in any status.
func (a *applier) edit(c Command) *Error {
	t := a.t
	if err := t.notDeleted(); err != nil {
		return err
	}
	e := c.Edit
	if e == nil || (e.Name == nil && e.Description == nil) {
		return errorf(CodeInvalid, "nothing to edit: give name, description or both")
	}
	if e.Rating != nil || e.Seed != nil {
		return errorf(CodeInvalid, "rating and seed are a participant's: edit the player instead")
	}
	name, desc := t.Name, t.Description
	if e.Name != nil {
		var err *Error
		if name, err = cleanName("name", *e.Name); err != nil {
			return err
		}
	}
	if e.Description != nil {
		var err *Error
		if desc, err = cleanDescription(*e.Description); err != nil {
			return err
		}
	}
	if name == t.Name && desc == t.Description {
		return errorf(CodeInvalid, "nothing changes: the name and description are already these")
	}
	t.Name, t.Description = name, desc
	a.emit(Event{Type: EvEdited, Name: name, Description: desc})
	return nil
}

// cleanDescription checks a description: valid text of at most MaxDescriptionLen characters,
// line breaks and tabs allowed, no other control characters. Surrounding space is trimmed.
func cleanDescription(s string) (string, *Error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxDescriptionLen {
		return "", errorf(CodeInvalid, "description must be valid text of at most %d characters", MaxDescriptionLen)
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && unicode.Is(unicode.Cc, r) {
			return "", errorf(CodeInvalid, "description must not contain control characters other than line breaks and tabs (found U+%04X)", r)
		}
	}
	return s, nil
}

// remove deletes the tournament. The stores drop it at once; the event tells the sockets that
// watch it.
func (a *applier) remove() *Error {
	if err := a.t.notDeleted(); err != nil {
		return err
	}
	a.t.Status = StatusDeleted
	a.emit(Event{Type: EvDeleted})
	return nil
}

// editPlayer changes a participant's name (in any status but deleted: a misspelt name can be put
// right mid-event) or, before the start, their rating or place in the seed order.
func (a *applier) editPlayer(c Command) *Error {
	t := a.t
	if err := t.notDeleted(); err != nil {
		return err
	}
	p, err := t.findParticipant(c.Player)
	if err != nil {
		return err
	}
	e := c.Edit
	if e == nil || (e.Name == nil && e.Rating == nil && e.Seed == nil) {
		return errorf(CodeInvalid, "nothing to edit: give name, rating or seed")
	}
	if e.Description != nil {
		return errorf(CodeInvalid, "a participant has no description")
	}
	if (e.Rating != nil || e.Seed != nil) && t.Status != StatusRegistering {
		return errorf(CodeAlreadyStarted, "rating and seed can only change before the start: the tournament is %s", t.Status)
	}
	name, rating := p.Name, p.Rating
	if e.Name != nil {
		if name, err = cleanName("player name", *e.Name); err != nil {
			return err
		}
		if foldName(name) != foldName(p.Name) && t.nameTaken(name) {
			return errorf(CodeNameTaken, "the name %q is already taken in this tournament", name)
		}
	}
	if e.Rating != nil {
		rating = *e.Rating
		if err := checkRating("rating", rating); err != nil {
			return err
		}
	}
	var order []PlayerID
	if e.Seed != nil {
		n := len(t.Participants)
		if *e.Seed < 1 || *e.Seed > n {
			return errorf(CodeInvalid, "seed must be from 1 to %d (the number of participants), got %d", n, *e.Seed)
		}
		order = slices.DeleteFunc(seedOrder(t.Participants, t.Settings), func(id PlayerID) bool { return id == p.ID })
		order = slices.Insert(order, *e.Seed-1, p.ID)
	}
	if name == p.Name && rating == p.Rating && order == nil {
		return errorf(CodeInvalid, "nothing changes: player %d already has this name and rating", p.ID)
	}
	// Checks are done: from here on, change.
	if name != p.Name {
		p.Name = name
		if t.idx != nil {
			t.idx.names = nil // rebuilt by the next nameTaken
		}
	}
	p.Rating = rating
	pc := *p
	a.emit(Event{Type: EvPlayerEdited, Player: p.ID, Participant: &pc})
	if order != nil {
		a.setSeeds(order)
	}
	return nil
}

// seed fixes the whole seed order before the start: the one given (every participant once), by
// rating now, or shuffled by the command's random seed (which the node draws; the engine uses no
// randomness it was not given).
func (a *applier) seed(c Command) *Error {
	t := a.t
	if err := t.needStatus(StatusRegistering); err != nil {
		return err
	}
	if len(t.Participants) == 0 {
		return errorf(CodeTooFewPlayers, "there is nobody to seed yet")
	}
	s := t.Settings
	s.Seeding, s.RandomSeed = c.Seeding, c.RandomSeed
	switch c.Seeding {
	case SeedGiven:
		if err := checkOrder(t, c.Order); err != nil {
			return err
		}
		a.setSeeds(slices.Clone(c.Order))
		return nil
	case SeedRating, SeedRandom:
		if len(c.Order) > 0 {
			return errorf(CodeInvalid, "order goes with seeding given, not %s", c.Seeding)
		}
		if c.Seeding == SeedRandom && c.RandomSeed > MaxRandomSeed {
			return errorf(CodeInvalid, "random_seed must be from 0 to %d", uint64(MaxRandomSeed))
		}
		a.setSeeds(seedOrder(t.Participants, s))
		return nil
	case "":
		return errorf(CodeInvalid, "seeding is required: given (with order), rating or random")
	}
	return errorf(CodeInvalid, "seeding must be given, rating or random, not %q", c.Seeding)
}

// checkOrder checks that order lists every participant of t exactly once.
func checkOrder(t *Tournament, order []PlayerID) *Error {
	if len(order) != len(t.Participants) {
		return errorf(CodeInvalid, "order must list every participant once: %d listed, %d registered", len(order), len(t.Participants))
	}
	seen := make(map[PlayerID]bool, len(order))
	for i, id := range order {
		if t.participant(id) == nil {
			return errorf(CodeUnknownPlayer, "order[%d]: player %d is not in this tournament", i, id)
		}
		if seen[id] {
			return errorf(CodeInvalid, "order[%d]: player %d is listed twice", i, id)
		}
		seen[id] = true
	}
	return nil
}

// setSeeds gives the participants the seeds of order (top seed first, every participant once)
// and makes the order the one the start uses (settings.seeding given).
func (a *applier) setSeeds(order []PlayerID) {
	t := a.t
	for i, id := range order {
		t.participant(id).Seed = i + 1
	}
	t.Settings.Seeding = SeedGiven
	s := t.Settings.clone()
	a.emit(Event{Type: EvSeedsChanged, Participants: slices.Clone(t.Participants), Settings: &s})
}

// addPlayers registers many players at once, all or none: the organiser's list or spreadsheet.
func (a *applier) addPlayers(c Command) *Error {
	t := a.t
	if err := t.needStatus(StatusRegistering); err != nil {
		return err
	}
	if len(c.Players) == 0 {
		return errorf(CodeInvalid, "players is required: a list of at least one {name, rating}")
	}
	if free := t.Settings.MaxPlayers - len(t.Participants); len(c.Players) > free {
		return errorf(CodeFull, "%d players do not fit: the tournament takes %d and has %d (room for %d)",
			len(c.Players), t.Settings.MaxPlayers, len(t.Participants), free)
	}
	names := make([]string, len(c.Players))
	batch := make(map[string]int, len(c.Players))
	for i, np := range c.Players {
		name, err := cleanName(fmt.Sprintf("players[%d]: name", i), np.Name)
		if err != nil {
			return err
		}
		if t.nameTaken(name) {
			return errorf(CodeNameTaken, "players[%d]: the name %q is already taken in this tournament", i, name)
		}
		f := foldName(name)
		if j, dup := batch[f]; dup {
			return errorf(CodeNameTaken, "players[%d]: the name %q is also players[%d]'s", i, name, j)
		}
		batch[f] = i
		if err := checkRating(fmt.Sprintf("players[%d]: rating", i), np.Rating); err != nil {
			return err
		}
		names[i] = name
	}
	for i, np := range c.Players {
		t.LastPlayer++
		p := Participant{ID: t.LastPlayer, Name: names[i], Rating: np.Rating}
		t.Participants = append(t.Participants, p)
		t.touchPlayer(p.ID)
		t.idx.names[foldName(p.Name)] = true
		a.emit(Event{Type: EvPlayerJoined, Player: p.ID, Participant: &p})
	}
	return nil
}

// checkRating checks a participant's rating.
func checkRating(what string, r float64) *Error {
	if math.IsNaN(r) || r < 0 || r > MaxRating {
		return errorf(CodeInvalid, "%s must be a number from 0 to %d, got %v", what, MaxRating, r)
	}
	return nil
}
