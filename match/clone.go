package match

import "slices"

// Clone returns a deep copy of t.
func (t *Tournament) Clone() *Tournament {
	c := *t
	c.idx, c.dirty = nil, nil
	c.Settings = t.Settings.clone()
	c.Participants = slices.Clone(t.Participants) // an empty list stays empty, not nil (null in JSON)
	c.Qualifiers = slices.Clone(t.Qualifiers)
	c.Matches = cloneMatches(t.Matches)
	return &c
}

func (s Settings) clone() Settings {
	if s.Points != nil {
		p := *s.Points
		s.Points = &p
	}
	if s.Playoff != nil {
		p := *s.Playoff
		s.Playoff = &p
	}
	if s.TieBreaks != nil {
		s.TieBreaks = append([]TieBreak(nil), s.TieBreaks...)
	}
	return s
}

func (m Match) clone() Match {
	for i, r := range m.Reports {
		if r != nil {
			c := *r
			c.Games = slices.Clone(r.Games)
			m.Reports[i] = &c
		}
	}
	if m.Games != nil {
		m.Games = m.Games.clone()
	}
	return m
}

func (g *Games) clone() *Games {
	c := slices.Clone(*g)
	return &c
}

// Equal reports whether m and o are the same match: every field equal, the reports and games by
// what they hold (they are pointers).
func (m *Match) Equal(o *Match) bool {
	for k := range m.Reports {
		a, b := m.Reports[k], o.Reports[k]
		if (a == nil) != (b == nil) || a != nil && (a.Scores != b.Scores || !slices.Equal(a.Games, b.Games)) {
			return false
		}
	}
	if (m.Games == nil) != (o.Games == nil) || m.Games != nil && !slices.Equal(*m.Games, *o.Games) {
		return false
	}
	x, y := *m, *o
	x.Reports, y.Reports = [2]*Report{}, [2]*Report{}
	x.Games, y.Games = nil, nil
	return x == y
}

// Reindex forgets what t derived from its participants and matches (rebuilt when next needed):
// call it after changing them from outside the engine, as a store does that applies stored
// fields to a cached tournament.
func (t *Tournament) Reindex() { t.idx = nil }
