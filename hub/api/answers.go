package api

import (
	"strconv"
	"strings"
	"sync"

	"github.com/tourhub/tourhub/hub/store"
)

// answersBytes bounds the encoded states the node keeps for GET /api/tournaments/{id} (with or
// without ?version=); a state bigger than an eighth of it is not kept.
const answersBytes = 64 << 20

// answers keeps encoded answers of GET /api/tournaments/{id}, each valid while the tournament's
// newest position is the one it was made at: the state (key: the id), and the states replayed at
// earlier versions (key: the id and ?version=N), so that asking again while nothing changed costs
// one small read of the position (store.Header) and a write, instead of a copy or a replay of the
// log, a view and the encoding of the whole bracket. Bounded in bytes: past the bound, arbitrary
// other entries are evicted. Safe for concurrent use.
type answers struct {
	max int // static after construction

	mu    sync.Mutex
	m     map[string]answer // guarded by mu
	bytes int               // guarded by mu: the size of every body in m
}

type answer struct {
	head store.Position // the tournament's newest position when it was made: valid while it is
	at   store.Position // the state it shows (its ETag): head, or the version asked for
	body []byte         // shared by every request that gets it: never written
}

func newAnswers(max int) *answers { return &answers{max: max, m: make(map[string]answer)} }

// get returns the answer kept under key if it was made at head.
func (a *answers) get(key string, head store.Position) (answer, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.m[key]
	if !ok || e.head != head {
		return answer{}, false
	}
	return e, true
}

// put keeps e under key, unless one made at a newer head is kept (by version in one epoch;
// another epoch replaces it).
func (a *answers) put(key string, e answer) {
	if len(e.body) > a.max/8 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if old, ok := a.m[key]; ok {
		if old.head.Epoch == e.head.Epoch && old.head.Version > e.head.Version {
			return
		}
		a.bytes -= len(old.body)
	}
	a.m[key] = e
	a.bytes += len(e.body)
	for k, o := range a.m {
		if a.bytes <= a.max {
			break
		}
		if k != key {
			delete(a.m, k)
			a.bytes -= len(o.body)
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
