package match

import (
	"slices"
	"unsafe"
)

// Changes says what one command changed, so that a store can write only that and keep one state
// per tournament that commands change in place: the matches and participants whose stored form
// differs from before the command (changed, added or removed), each once, in id order. Of what
// the command reached through the engine's accessors, those it left equal to what they were are
// not named. The rest of the tournament (name, status, round, settings...) is small: MetaSame
// says whether the command left it as it was. Undo puts the tournament back as it was before the
// command.
type Changes struct {
	Matches      []MatchID
	Participants []PlayerID
	// MetaSame is set when the command left the tournament's own fields (all but its version,
	// participants and matches) as they were, so that their stored form is the same; false says
	// they changed, or may have.
	MetaSame bool
	undo     *changeSet
}

// changeSet collects what a command touches while ApplyChanges runs (see Tournament.dirty), and
// what it needs to undo them: the tournament's own fields before the command, and each match
// and participant as it was when the command first reached it.
type changeSet struct {
	m      []MatchID
	p      []PlayerID
	before Tournament    // *t before the command: every scalar field, the settings, slice headers
	n      int           // matches before the command
	oldM   []Match       // as first reached, in the order of firstM
	firstM []MatchID     // matches saved in oldM
	oldP   []Participant // as first reached (participants added by the command are not there)
	all    []Participant // every participant, saved before a command shifts them in place
	seenM  idSet[MatchID]
	seenP  idSet[PlayerID]
}

// idSet is the ids a command has reached: a short list, and a map once it is long (a start or a
// Swiss round reaches every participant, and a list would make that quadratic).
type idSet[K comparable] struct {
	list []K
	m    map[K]struct{}
}

// add adds id and reports whether it was not there yet.
func (s *idSet[K]) add(id K) bool {
	if s.m != nil {
		if _, ok := s.m[id]; ok {
			return false
		}
		s.m[id] = struct{}{}
		return true
	}
	if slices.Contains(s.list, id) {
		return false
	}
	s.list = append(s.list, id)
	if len(s.list) > 16 {
		s.m = make(map[K]struct{}, 2*len(s.list))
		for _, k := range s.list {
			s.m[k] = struct{}{}
		}
	}
	return true
}

// has reports whether id was added.
func (s *idSet[K]) has(id K) bool {
	if s.m != nil {
		_, ok := s.m[id]
		return ok
	}
	return slices.Contains(s.list, id)
}

// touchMatch counts match id as changed and keeps it as it was, the first time.
func (d *changeSet) touchMatch(t *Tournament, id MatchID) {
	if !d.seenM.add(id) {
		return
	}
	d.m = append(d.m, id)
	if int(id) > d.n { // added by the command: cut by the undo
		return
	}
	d.firstM = append(d.firstM, id)
	d.oldM = append(d.oldM, t.Matches[id-1].clone())
}

// touchParticipant counts participant p as changed and keeps it as it was, the first time.
func (d *changeSet) touchParticipant(p *Participant) {
	if !d.seenP.add(p.ID) {
		return
	}
	d.p = append(d.p, p.ID)
	d.oldP = append(d.oldP, *p)
}

// touchPlayer counts participant id as changed (added or removed) while ApplyChanges runs.
func (t *Tournament) touchPlayer(id PlayerID) {
	if t.dirty != nil {
		t.dirty.p = append(t.dirty.p, id)
	}
}

// saveParticipants keeps every participant before a change that moves them in place (a
// deletion), while ApplyChanges runs.
func (t *Tournament) saveParticipants() {
	if d := t.dirty; d != nil && d.all == nil {
		d.all = slices.Clone(t.Participants)
	}
}

// ApplyChanges is Apply that also says what the command changed and can undo it: O(changed),
// without a copy of the tournament. On failure t is unchanged, as with Apply; if the engine
// panics (a bug), t is put back as it was (as far as the undo record goes) before the panic goes on.
func ApplyChanges(t *Tournament, c Command) ([]Event, Changes, error) {
	d := &changeSet{before: *t, n: len(t.Matches)}
	d.before.dirty = nil
	t.dirty = d
	defer func() {
		t.dirty = nil
		if r := recover(); r != nil {
			Changes{undo: d}.Undo(t)
			panic(r)
		}
	}()
	ev, err := Apply(t, c)
	if err != nil {
		return nil, Changes{}, err
	}
	d.dropUnchanged(t)
	// Matches added or cut at the end (a start, a Swiss round, a playoff) are changed.
	for id := min(d.n, len(t.Matches)) + 1; id <= max(d.n, len(t.Matches)); id++ {
		d.m = append(d.m, MatchID(id))
	}
	slices.Sort(d.m)
	slices.Sort(d.p)
	return ev, Changes{Matches: slices.Compact(d.m), Participants: slices.Compact(d.p), MetaSame: sameMeta(&d.before, t), undo: d}, nil
}

// dropUnchanged takes out of d.m and d.p the matches and participants that the command reached
// but left as they were, so that a store does not write them again: the engine reaches more than
// it changes (a report reads the feeding matches and the reporter; a round robin's last result of
// a match looks at every match of the round). Called after the command, before the matches added
// or cut at the end are counted. A match that was there before the command and is still there is
// unchanged when it is Equal to its copy from before; a participant when it is still there, equal
// to its copy from before (added or removed ones have none, and are kept).
func (d *changeSet) dropUnchanged(t *Tournament) {
	var same idSet[MatchID]
	for i, id := range d.firstM {
		if int(id) <= len(t.Matches) && d.oldM[i].Equal(&t.Matches[id-1]) {
			same.add(id)
		}
	}
	if len(same.list) > 0 {
		d.m = slices.DeleteFunc(d.m, same.has)
	}
	var sameP idSet[PlayerID]
	for _, old := range d.oldP {
		// Not t.participant: t.dirty is still d here, and that accessor would count it as reached.
		i, found := slices.BinarySearchFunc(t.Participants, old.ID, func(p Participant, id PlayerID) int { return int(p.ID - id) })
		if found && t.Participants[i] == old {
			sameP.add(old.ID)
		}
	}
	if len(sameP.list) > 0 {
		d.p = slices.DeleteFunc(d.p, sameP.has)
	}
}

// sameMeta reports whether the tournament's own fields (all but the version, the participants
// and the matches) of a and b are the same values. Pointers and slices of the settings and the
// qualifiers count as the same only when they are the same ones: the engine replaces them and
// never writes through them (Undo relies on that too, restoring only the tournament's own struct).
// Comparing times with == is deliberate: the same value, location included, encodes the same.
// TestSameMetaKnowsEveryField fails when Tournament or Settings gains a field this does not
// compare.
func sameMeta(a, b *Tournament) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Description == b.Description && a.Status == b.Status &&
		a.LastPlayer == b.LastPlayer && a.Round == b.Round && a.Stage == b.Stage &&
		sameSlice(a.Qualifiers, b.Qualifiers) && a.CheckInOpen == b.CheckInOpen &&
		a.CheckInWarned == b.CheckInWarned && a.StartedAt == b.StartedAt &&
		a.RoundStartedAt == b.RoundStartedAt && a.Note == b.Note && sameSettings(&a.Settings, &b.Settings)
}

func sameSettings(a, b *Settings) bool {
	return a.Format == b.Format && a.BestOf == b.BestOf && a.MaxPlayers == b.MaxPlayers &&
		a.ThirdPlace == b.ThirdPlace && a.GrandFinal == b.GrandFinal && a.Groups == b.Groups &&
		a.Legs == b.Legs && a.Rounds == b.Rounds && a.AllowDraws == b.AllowDraws && a.Points == b.Points &&
		sameSlice(a.TieBreaks, b.TieBreaks) && a.Seeding == b.Seeding && a.RandomSeed == b.RandomSeed &&
		a.RequireCheckIn == b.RequireCheckIn && a.ScheduledStart == b.ScheduledStart &&
		a.CheckInWindow == b.CheckInWindow && a.MatchTimeLimit == b.MatchTimeLimit &&
		a.RoundTimeLimit == b.RoundTimeLimit && a.WarnBefore == b.WarnBefore && a.OnTimeout == b.OnTimeout &&
		a.Playoff == b.Playoff && a.Retention == b.Retention
}

// sameSlice reports whether a and b are the same slice: the same elements array and length.
func sameSlice[E any](a, b []E) bool {
	return len(a) == len(b) && (a == nil) == (b == nil) && unsafe.SliceData(a) == unsafe.SliceData(b)
}

// Undo puts t, which the command of ch was applied to (and nothing since), back as it was
// before that command.
func (ch Changes) Undo(t *Tournament) {
	d := ch.undo
	if d == nil {
		return
	}
	*t = d.before // the old lengths cut what the command appended
	t.idx = nil   // the command may have changed the index in place
	if d.all != nil {
		copy(t.Participants, d.all)
	}
	for _, p := range d.oldP {
		if q := t.participant(p.ID); q != nil {
			*q = p
		}
	}
	for i, id := range d.firstM {
		t.Matches[id-1] = d.oldM[i]
	}
}
