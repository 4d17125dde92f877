package redisstore

import "github.com/tourhub/tourhub/match"

// CachedState returns the node's cached state of id and its rev (nil if none is cached).
func CachedState(s *Store, id string) (*match.Tournament, string) {
	c := s.cacheGet(id)
	if c == nil {
		return nil, ""
	}
	return c.t, c.rev
}
