package redisstore

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tourhub/tourhub/match"
)

// The tournament is stored in its state hash as one field per part, so that a command writes only
// what it changed (a result touches a few matches, not the whole bracket):
//
//	t        the tournament without participants and matches (JSON)
//	p:<id>   one participant (JSON)
//	m:<id>   one match (JSON)
const (
	fieldMeta    = "t"
	playerPrefix = "p:"
	matchPrefix  = "m:"
)

// fieldSet is the HSET pairs and HDEL fields of one commit.
type fieldSet struct {
	set []string // field, value, field, value...
	del []string
}

func (f *fieldSet) put(field string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("redisstore: encode %s: %w", field, err)
	}
	f.set = append(f.set, field, string(b))
	return nil
}

func metaOf(t *match.Tournament) match.Tournament {
	m := *t
	m.Participants, m.Matches = nil, nil
	return m
}

func playerField(id match.PlayerID) string { return playerPrefix + strconv.Itoa(int(id)) }
func matchField(id match.MatchID) string   { return matchPrefix + strconv.Itoa(int(id)) }

// diffFields returns the fields that turn the stored old into t. With old nil, all of t.
// Unchanged parts are found by comparing structs, without encoding them.
func diffFields(old, t *match.Tournament) (fieldSet, error) {
	var f fieldSet
	if err := f.put(fieldMeta, metaOf(t)); err != nil {
		return f, err
	}
	var oldP []match.Participant
	var oldM []match.Match
	if old != nil {
		oldP, oldM = old.Participants, old.Matches
	}
	// Participants are kept in id order (match.Tournament), so one merge walk finds the changes.
	i := 0
	for _, p := range t.Participants {
		for i < len(oldP) && oldP[i].ID < p.ID {
			f.del = append(f.del, playerField(oldP[i].ID))
			i++
		}
		if i < len(oldP) && oldP[i].ID == p.ID {
			same := oldP[i] == p
			i++
			if same {
				continue
			}
		}
		if err := f.put(playerField(p.ID), p); err != nil {
			return f, err
		}
	}
	for ; i < len(oldP); i++ {
		f.del = append(f.del, playerField(oldP[i].ID))
	}
	for j := range t.Matches {
		m := &t.Matches[j]
		if j < len(oldM) && sameMatch(&oldM[j], m) {
			continue
		}
		if err := f.put(matchField(m.ID), m); err != nil {
			return f, err
		}
	}
	for j := len(t.Matches); j < len(oldM); j++ {
		f.del = append(f.del, matchField(oldM[j].ID))
	}
	return f, nil
}

// sameMatch compares two matches by value (Reports are pointers: compared by what they point to).
func sameMatch(a, b *match.Match) bool {
	for k := range a.Reports {
		ra, rb := a.Reports[k], b.Reports[k]
		if (ra == nil) != (rb == nil) || ra != nil && *ra != *rb {
			return false
		}
	}
	ac, bc := *a, *b
	ac.Reports, bc.Reports = [2]*match.Report{}, [2]*match.Report{}
	return ac == bc
}

// decodeFields rebuilds a tournament from its state hash.
func decodeFields(h map[string]string) (*match.Tournament, error) {
	raw, ok := h[fieldMeta]
	if !ok {
		return nil, fmt.Errorf("redisstore: state hash has no %q field", fieldMeta)
	}
	t := new(match.Tournament)
	if err := json.Unmarshal([]byte(raw), t); err != nil {
		return nil, fmt.Errorf("redisstore: decode tournament: %w", err)
	}
	t.Participants, t.Matches = []match.Participant{}, []match.Match{}
	for k, v := range h {
		switch {
		case strings.HasPrefix(k, playerPrefix):
			var p match.Participant
			if err := json.Unmarshal([]byte(v), &p); err != nil {
				return nil, fmt.Errorf("redisstore: decode %s: %w", k, err)
			}
			t.Participants = append(t.Participants, p)
		case strings.HasPrefix(k, matchPrefix):
			var m match.Match
			if err := json.Unmarshal([]byte(v), &m); err != nil {
				return nil, fmt.Errorf("redisstore: decode %s: %w", k, err)
			}
			t.Matches = append(t.Matches, m)
		}
	}
	slices.SortFunc(t.Participants, func(a, b match.Participant) int { return int(a.ID) - int(b.ID) })
	slices.SortFunc(t.Matches, func(a, b match.Match) int { return int(a.ID) - int(b.ID) })
	for i, m := range t.Matches {
		if int(m.ID) != i+1 {
			return nil, fmt.Errorf("redisstore: state hash lacks match %d", i+1)
		}
	}
	return t, nil
}
