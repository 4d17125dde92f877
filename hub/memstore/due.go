package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/tourhub/tourhub/hub/store"
)

// DueSet is the single-node store.DueSet: the deadlines of the memory store's tournaments.
type DueSet struct {
	mu  sync.Mutex
	due map[string]time.Time // guarded by mu
}

var _ store.DueSet = (*DueSet)(nil)

// NewDueSet returns an empty DueSet.
func NewDueSet() *DueSet { return &DueSet{due: map[string]time.Time{}} }

// Lower implements store.DueSet.
func (m *DueSet) Lower(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.due[id]; !ok || at.Before(cur) {
		m.due[id] = at
	}
	return nil
}

// Set implements store.DueSet.
func (m *DueSet) Set(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if at.IsZero() {
		delete(m.due, id)
	} else {
		m.due[id] = at
	}
	return nil
}

// Due implements store.DueSet.
func (m *DueSet) Due(_ context.Context, now time.Time, limit int) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for id, at := range m.due {
		if !at.After(now) {
			out = append(out, id)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}
