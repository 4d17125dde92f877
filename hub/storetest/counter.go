package storetest

import (
	"context"
	"sync/atomic"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// LoadCounter is a store that counts its Loads and Events reads; it tells positions (store.Header)
// as the store it wraps does.
type LoadCounter struct {
	store.Store
	Loads, EventReads atomic.Int64
}

// Load counts and loads.
func (s *LoadCounter) Load(ctx context.Context, id string) (*match.Tournament, store.Position, error) {
	s.Loads.Add(1)
	return s.Store.Load(ctx, id)
}

// Head implements store.Header with the wrapped store's (which must be one).
func (s *LoadCounter) Head(ctx context.Context, id string) (store.Position, error) {
	return s.Store.(store.Header).Head(ctx, id)
}

// Events counts and reads.
func (s *LoadCounter) Events(ctx context.Context, id string, after int64) (store.Position, []store.Entry, bool, error) {
	s.EventReads.Add(1)
	return s.Store.Events(ctx, id, after)
}
