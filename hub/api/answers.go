package api

import (
	"strconv"
	"strings"
	"sync"

	"github.com/tourhub/tourhub/hub/store"
)

// answersBytes bounds the encoded states the node keeps for GET /api/tournaments/{id}; a state
// bigger than an eighth of it is not kept.
const answersBytes = 64 << 20

// answers keeps, per tournament, the encoded answer of GET /api/tournaments/{id} at the newest
// position it was read at, so that reading an unchanged tournament again costs one small read of
// its position (store.Header) and a write, instead of a copy, a view and the encoding of the whole
// bracket. Bounded in bytes: past the bound, arbitrary other entries are evicted. Safe for
// concurrent use.
type answers struct {
	max int // static after construction

	mu    sync.Mutex
	m     map[string]answer // guarded by mu
	bytes int               // guarded by mu: the size of every body in m
}

type answer struct {
	pos  store.Position
	body []byte // shared by every request that gets it: never written
}

func newAnswers(max int) *answers { return &answers{max: max, m: make(map[string]answer)} }

// get returns the kept answer of id at pos.
func (a *answers) get(id string, pos store.Position) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.m[id]
	if !ok || e.pos != pos {
		return nil, false
	}
	return e.body, true
}

// put keeps body as the answer of id at pos, unless a newer one is kept (by version in one
// epoch; another epoch replaces it).
func (a *answers) put(id string, pos store.Position, body []byte) {
	if len(body) > a.max/8 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if old, ok := a.m[id]; ok {
		if old.pos.Epoch == pos.Epoch && old.pos.Version > pos.Version {
			return
		}
		a.bytes -= len(old.body)
	}
	a.m[id] = answer{pos: pos, body: body}
	a.bytes += len(body)
	for k, e := range a.m {
		if a.bytes <= a.max {
			break
		}
		if k != id {
			delete(a.m, k)
			a.bytes -= len(e.body)
		}
	}
}

// etag is the entity tag of a tournament's state at pos: a position names one state.
func etag(pos store.Position) string {
	return `"` + pos.Epoch + "." + strconv.FormatInt(pos.Version, 10) + "." + pos.Rev + `"`
}

// matches reports whether an If-None-Match header value names tag (or is *).
func matches(ifNoneMatch, tag string) bool {
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == tag || t == "*" {
			return true
		}
	}
	return false
}
