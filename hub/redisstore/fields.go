package redisstore

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

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
	// metaRest is the tournament's own field (t, written first) without its version (restOf);
	// metaSame says the command changed nothing of it but the version, so the published fields
	// leave it out (object): a watcher takes the version from the message's header.
	metaRest string
	metaSame bool
}

// size is about the bytes the set pairs take in a JSON object (names, values, quotes, colon, comma).
func (f *fieldSet) size() int {
	n := 0
	for i := 1; i < len(f.set); i += 2 {
		n += len(f.set[i]) + len(f.set[i-1]) + 4
	}
	return n
}

// appendObject appends the commit's fields as one JSON object, field -> value and deleted field
// -> null, as the published message carries them (applyObjects reads it): with the tournament's
// own field (t) only when the command changed more of it than the version; most results change
// only the version, and then it is appendRecent's object: recent, when the caller has made it
// already (nil: made here). The field names (t, p:N, m:N) need no escaping.
func (f *fieldSet) appendObject(b, recent []byte) []byte {
	if f.metaSame {
		if recent != nil {
			return append(b, recent...)
		}
		return f.appendRecent(b)
	}
	return appendFieldsObject(b, f.set, f.del)
}

// appendRecent appends the fields without the tournament's own field (t), as the recent list keeps
// them: t is rewritten by every commit, so only the stored one is ever needed (checkLua answers
// it).
func (f *fieldSet) appendRecent(b []byte) []byte {
	set := f.set
	if len(set) >= 2 && set[0] == fieldMeta { // changedFields puts it first
		set = set[2:]
	}
	return appendFieldsObject(b, set, f.del)
}

func appendFieldsObject(b []byte, set, del []string) []byte {
	b = slices.Grow(b, 2+16*len(del)+(&fieldSet{set: set}).size())
	start := len(b)
	b = append(b, '{')
	field := func(name, value string) {
		if len(b) > start+1 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
		b = append(b, value...)
	}
	for i := 0; i+1 < len(set); i += 2 {
		field(set[i], set[i+1])
	}
	for _, name := range del {
		field(name, "null")
	}
	return append(b, '}')
}

func (f *fieldSet) put(field string, v any) error {
	var b []byte
	var err error
	switch v := v.(type) {
	case *match.Match:
		b, err = exactly(v, (*match.Match).AppendJSON) // encoding/json's bytes, written directly
	case *match.Participant:
		b, err = exactly(v, (*match.Participant).AppendJSON)
	default:
		b, err = json.Marshal(v)
	}
	if err != nil {
		return fmt.Errorf("redisstore: encode %s: %w", field, err)
	}
	f.set = append(f.set, field, stringOf(b))
	return nil
}

// stringOf is b as a string without a copy: b must never be written again (a fresh encoding).
func stringOf(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// encodeMeta is t's own field (t), and that field without its version (restOf). The version
// comes first, so that what follows it (restOf) is the same from one version to the next unless
// a command changed the tournament's own fields; then the tournament's own members as
// match.AppendOwnJSON writes them, without the participants and matches, which have fields of
// their own. The bytes are encoding/json's for the tournament with those two left out
// (TestMetaAsEncodingJSON).
func encodeMeta(t *match.Tournament) (field, rest string, err error) {
	b, err := exactly(t, appendMeta)
	if err != nil {
		return "", "", fmt.Errorf("redisstore: encode %s: %w", fieldMeta, err)
	}
	field = stringOf(b)
	return field, restOf(field), nil
}

func appendMeta(t *match.Tournament, b []byte) ([]byte, error) {
	b = strconv.AppendInt(append(b, metaHead...), t.Version, 10)
	b, err := t.AppendOwnJSON(append(b, ','))
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// metaHead is how a tournament's own field (t) starts when encodeMeta writes it: its version comes
// first, then the rest (restOf, withVersion).
const metaHead = `{"version":`

// withVersion is the tournament's own field (t) of version whose rest (restOf) is rest.
func withVersion(version int64, rest string) string {
	b := make([]byte, 0, len(metaHead)+20+1+len(rest))
	b = append(b, metaHead...)
	b = strconv.AppendInt(b, version, 10)
	b = append(b, ',')
	return stringOf(append(b, rest...))
}

// restOf is a tournament's own field (t) without its version: what follows {"version":N, when
// the field starts so (encodeMeta), else "" (a field written otherwise, by a hub from before:
// nothing is known the same then).
func restOf(field string) string {
	if !strings.HasPrefix(field, metaHead) {
		return ""
	}
	i := len(metaHead)
	for i < len(field) && field[i] >= '0' && field[i] <= '9' {
		i++
	}
	if i == len(metaHead) || i == len(field) || field[i] != ',' {
		return ""
	}
	return field[i+1:]
}

func playerField(id match.PlayerID) string { return playerPrefix + strconv.Itoa(int(id)) }
func matchField(id match.MatchID) string   { return matchPrefix + strconv.Itoa(int(id)) }

// allFields returns every field of t (a create).
func allFields(t *match.Tournament) (fieldSet, error) {
	ch := match.Changes{Matches: make([]match.MatchID, len(t.Matches)), Participants: make([]match.PlayerID, len(t.Participants))}
	for i := range t.Matches {
		ch.Matches[i] = t.Matches[i].ID
	}
	for i := range t.Participants {
		ch.Participants[i] = t.Participants[i].ID
	}
	return changedFields(t, ch, "")
}

// changedFields returns the fields that a command with changes ch wrote into t: the tournament's
// own, and each match and participant ch names (deleted when t no longer has it). O(changed).
// baseRest is the tournament's own field without its version before the command (restOf; ""
// when not known): the same after it sets metaSame. When the engine says the command left the
// tournament's own fields as they were (ch.MetaSame), that field is baseRest with the new version,
// not encoded again.
func changedFields(t *match.Tournament, ch match.Changes, baseRest string) (fieldSet, error) {
	f := fieldSet{set: make([]string, 0, 2+2*(len(ch.Matches)+len(ch.Participants)))}
	var meta, rest string
	if ch.MetaSame && baseRest != "" {
		// The engine says the tournament's own fields are as they were: the field is the one
		// before with the new version, as encodeMeta would write it.
		meta, rest = withVersion(t.Version, baseRest), baseRest
	} else {
		var err error
		if meta, rest, err = encodeMeta(t); err != nil {
			return f, err
		}
	}
	f.set = append(f.set, fieldMeta, meta)
	f.metaRest, f.metaSame = rest, rest != "" && rest == baseRest
	for _, id := range ch.Participants {
		p, ok := t.Participant(id)
		if !ok {
			f.del = append(f.del, playerField(id))
			continue
		}
		if err := f.put(playerField(id), &p); err != nil {
			return f, err
		}
	}
	for _, id := range ch.Matches {
		if id < 1 || int(id) > len(t.Matches) {
			f.del = append(f.del, matchField(id))
			continue
		}
		if err := f.put(matchField(id), &t.Matches[id-1]); err != nil {
			return f, err
		}
	}
	return f, nil
}

// decodeFields rebuilds a tournament from its state hash.
func decodeFields(h map[string]string) (*match.Tournament, error) {
	raw, ok := h[fieldMeta]
	if !ok {
		return nil, fmt.Errorf("redisstore: state hash has no %q field", fieldMeta)
	}
	t := new(match.Tournament)
	if err := decodeMeta([]byte(raw), t); err != nil {
		return nil, fmt.Errorf("redisstore: decode tournament: %w", err)
	}
	t.Participants, t.Matches = []match.Participant{}, []match.Match{}
	for k, v := range h {
		switch {
		case strings.HasPrefix(k, playerPrefix):
			var p match.Participant
			if err := decodeParticipant([]byte(v), &p); err != nil {
				return nil, fmt.Errorf("redisstore: decode %s: %w", k, err)
			}
			t.Participants = append(t.Participants, p)
		case strings.HasPrefix(k, matchPrefix):
			var m match.Match
			if err := decodeMatch([]byte(v), &m); err != nil {
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

// applyObjects applies the fields of consecutive commits, each one JSON object (field -> value,
// or null for a deleted field), to t in place, and makes t the version of the last of them: the
// newest value of a field is the one the hash holds. A commit that changed nothing of the
// tournament's own field but its version leaves that field out (fieldSet.appendObject); meta,
// when not nil, is that field after the last of them (the recent list's objects never carry it,
// checkLua answers the stored one). A tournament's own field in the last object, or meta, must say
// version. It returns the newest tournament's own field applied, or nil. On error t is half
// changed: the caller forgets it.
func applyObjects(t *match.Tournament, objects []json.RawMessage, meta json.RawMessage, version int64) (json.RawMessage, error) {
	fields := make(map[string]json.RawMessage)
	lastMeta := false // the last object carries the tournament's own field
	var members []member
	for i, o := range objects {
		var ok bool
		if members, ok = splitObject(o, members[:0]); ok {
			lastMeta = false
			for _, m := range members {
				fields[m.name] = m.value
				lastMeta = lastMeta || m.name == fieldMeta
			}
			continue
		}
		var f map[string]json.RawMessage
		if err := decode(o, &f); err != nil {
			return nil, fmt.Errorf("redisstore: fields of commit %d of %d: %w", i+1, len(objects), err)
		}
		_, lastMeta = f[fieldMeta]
		maps.Copy(fields, f)
	}
	if meta != nil {
		fields[fieldMeta], lastMeta = meta, true
	}
	if err := applyFields(t, fields); err != nil {
		return nil, err
	}
	if lastMeta && t.Version != version {
		return nil, fmt.Errorf("redisstore: fields say version %d; want %d", t.Version, version)
	}
	t.Version = version
	return fields[fieldMeta], nil
}

// member is one member of a JSON object: its name, and its value as written.
type member struct {
	name  string
	value json.RawMessage
}

// splitObject appends the members of o to members without decoding their values, when o is a
// commit's fields as appendFieldsObject writes them: {"name":value,...} without whitespace between
// members, each name one applyFields reads (t, p:..., m:...) written without escapes, and each
// once. Otherwise it reports false, and the caller decodes o in full (which refuses what is not
// JSON). The values are o's own bytes, not copies (o is never written again: a published message
// or a script's answer), and are not checked here: applyFields decodes every one it takes, as
// it would after a full decode, and a value that is not JSON fails there. So whatever this
// accepts, decode would read as the same members; a value it cuts short or runs past breaks the
// object's structure (no ',' or '}' after it), or fails its own decoding.
func splitObject(o []byte, members []member) ([]member, bool) {
	n := len(members)
	if len(o) < 2 || o[0] != '{' {
		return members, false
	}
	if len(o) == 2 {
		return members, o[1] == '}'
	}
	for i := 1; ; {
		if i >= len(o) || o[i] != '"' {
			return members, false
		}
		j := i + 1
		for j < len(o) && o[j] != '"' && o[j] != '\\' && o[j] >= 0x20 {
			j++
		}
		if j+1 >= len(o) || o[j] != '"' || o[j+1] != ':' {
			return members, false
		}
		name := stringOf(o[i+1 : j])
		if name != fieldMeta && !strings.HasPrefix(name, playerPrefix) && !strings.HasPrefix(name, matchPrefix) {
			return members, false
		}
		end := skipValue(o, j+2)
		if end <= j+2 || end >= len(o) {
			return members, false
		}
		members = append(members, member{name: name, value: o[j+2 : end]})
		if o[end] == '}' {
			if end+1 != len(o) {
				return members, false
			}
			break
		}
		if o[end] != ',' {
			return members, false
		}
		i = end + 1
	}
	return members, uniqueNames(members[n:])
}

// skipValue returns the index just past the JSON value that starts at o[i] (at most len(o)): a
// string to its closing quote, an object or array to its closing bracket (strings in it
// skipped), anything else to the next ',' or '}'; i itself (no value) when that has whitespace or
// control characters. It does not check the value otherwise.
func skipValue(o []byte, i int) int {
	if i >= len(o) {
		return i
	}
	switch o[i] {
	case '"':
		return skipString(o, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(o); j++ {
			switch o[j] {
			case '"':
				j = skipString(o, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(o)
	}
	j := i
	for j < len(o) && o[j] != ',' && o[j] != '}' {
		if o[j] <= ' ' { // whitespace around a value: not as appendFieldsObject writes it
			return i
		}
		j++
	}
	return j
}

// skipString returns the index just past the string whose opening quote is o[i] (len(o) when it
// does not close).
func skipString(o []byte, i int) int {
	for j := i + 1; j < len(o); j++ {
		switch o[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(o)
}

// uniqueNames reports whether no two members have the same name (a full decode refuses that).
func uniqueNames(members []member) bool {
	if len(members) <= 16 {
		for i := range members {
			for j := range i {
				if members[i].name == members[j].name {
					return false
				}
			}
		}
		return true
	}
	names := make([]string, len(members))
	for i, m := range members {
		names[i] = m.name
	}
	slices.Sort(names)
	return len(slices.Compact(names)) == len(members)
}

// applyFields applies the fields of one commit (field -> JSON value, or null for a deleted field)
// to t in place, as decodeFields would read the hash after that commit (but for the version when
// the tournament's own field is not among them: the caller sets it). On error t is half changed:
// the caller forgets it.
func applyFields(t *match.Tournament, fields map[string]json.RawMessage) error {
	var meta *match.Tournament // nil: the tournament's own fields are as they were
	if raw, ok := fields[fieldMeta]; ok {
		meta = new(match.Tournament)
		if err := decodeMeta(raw, meta); err != nil {
			return fmt.Errorf("redisstore: decode tournament: %w", err)
		}
	}
	parts, ms := t.Participants, t.Matches
	var added []match.Match
	cut := math.MaxInt // matches from this id on were deleted
	for k, v := range fields {
		deleted := string(v) == "null"
		switch {
		case strings.HasPrefix(k, playerPrefix):
			id, err := strconv.Atoi(k[len(playerPrefix):])
			if err != nil {
				return fmt.Errorf("redisstore: field %q", k)
			}
			i, found := slices.BinarySearchFunc(parts, match.PlayerID(id), func(p match.Participant, id match.PlayerID) int { return int(p.ID - id) })
			switch {
			case deleted && found:
				parts = slices.Delete(parts, i, i+1)
			case deleted:
			default:
				var p match.Participant
				if err := decodeParticipant(v, &p); err != nil {
					return fmt.Errorf("redisstore: decode %s: %w", k, err)
				}
				if int(p.ID) != id {
					return fmt.Errorf("redisstore: field %s holds participant %d", k, p.ID)
				}
				if found {
					parts[i] = p
				} else {
					parts = slices.Insert(parts, i, p)
				}
			}
		case strings.HasPrefix(k, matchPrefix):
			id, err := strconv.Atoi(k[len(matchPrefix):])
			if err != nil || id < 1 {
				return fmt.Errorf("redisstore: field %q", k)
			}
			if deleted {
				cut = min(cut, id)
				continue
			}
			var m match.Match
			if err := decodeMatch(v, &m); err != nil {
				return fmt.Errorf("redisstore: decode %s: %w", k, err)
			}
			if int(m.ID) != id {
				return fmt.Errorf("redisstore: field %s holds match %d", k, m.ID)
			}
			if id <= len(ms) {
				ms[id-1] = m
			} else {
				added = append(added, m)
			}
		}
	}
	slices.SortFunc(added, func(a, b match.Match) int { return int(a.ID - b.ID) })
	for _, m := range added {
		if int(m.ID) != len(ms)+1 {
			return fmt.Errorf("redisstore: commit adds match %d after %d", m.ID, len(ms))
		}
		ms = append(ms, m)
	}
	if cut <= len(ms) {
		ms = ms[:cut-1]
	}
	if meta != nil {
		*t = *meta // the tournament's own fields
	}
	t.Reindex() // rebuilt when needed
	t.Participants, t.Matches = parts, ms
	if t.Participants == nil {
		t.Participants = []match.Participant{}
	}
	if t.Matches == nil {
		t.Matches = []match.Match{}
	}
	return nil
}

// scratch holds the buffers exactly encodes into.
var scratch = sync.Pool{New: func() any { return new([]byte) }}

// exactly appends v by appendTo to a buffer used again and returns a copy of the bytes, of their
// size: what the commit keeps, as encoding/json's Marshal returns it.
func exactly[T any](v T, appendTo func(T, []byte) ([]byte, error)) ([]byte, error) {
	p := scratch.Get().(*[]byte)
	b, err := appendTo(v, (*p)[:0])
	if err != nil {
		scratch.Put(p)
		return nil, err
	}
	out := make([]byte, len(b))
	copy(out, b)
	if cap(b) <= 64<<10 { // a buffer grown by a rare big value is let go
		*p = b
	}
	scratch.Put(p)
	return out, nil
}
