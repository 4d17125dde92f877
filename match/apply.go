package match

// Apply applies c to t. On success it changes t in place, adds one to t.Version and returns the
// events; on failure it returns an *Error and t is unchanged. Callers that need the old state keep
// a Clone. Apply does O(changed matches) work for a result, not O(bracket).
func Apply(t *Tournament, c Command) ([]Event, error) {
	return nil, errorf(CodeInvalid, "not implemented")
}

// Clone returns a deep copy of t.
func (t *Tournament) Clone() *Tournament {
	c := *t
	c.Settings = t.Settings.clone()
	c.Participants = append([]Participant(nil), t.Participants...)
	c.Matches = make([]Match, len(t.Matches))
	for i := range t.Matches {
		c.Matches[i] = t.Matches[i].clone()
	}
	return &c
}

func (s Settings) clone() Settings {
	if s.Points != nil {
		p := *s.Points
		s.Points = &p
	}
	s.TieBreaks = append([]TieBreak(nil), s.TieBreaks...)
	return s
}

func (m Match) clone() Match {
	for i, r := range m.Reports {
		if r != nil {
			c := *r
			m.Reports[i] = &c
		}
	}
	return m
}

// Standings returns the standings at this moment, best first. For eliminations, players still in
// share the best ranks; eliminated players get their final (possibly tied) placement. For round
// robin and Swiss, points then the tie-breaks of Settings.TieBreaks.
func Standings(t *Tournament) []Standing {
	return nil
}
