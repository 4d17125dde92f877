package api_test

import (
	"testing"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/match"
)

// TestConfig: GET /api/config gives the pages the public URL the node was configured with and
// the engine's own limits, and the node's cap on a tournament's log.
func TestConfig(t *testing.T) {
	t.Parallel()
	for _, public := range []string{"", "https://cup.example.org"} {
		e := newEnv(t, api.Config{PublicURL: public, LogEvents: 250})
		var got struct {
			PublicURL string         `json:"public_url"`
			Limits    map[string]int `json:"limits"`
		}
		e.must(200, "GET", "/api/config", "", nil).decode(t, &got)
		if got.PublicURL != public {
			t.Errorf("public_url %q; want %q", got.PublicURL, public)
		}
		want := map[string]int{"name": match.MaxNameLen, "description": match.MaxDescriptionLen, "players": match.MaxPlayersLimit,
			"best_of": match.MaxBestOf, "group_size": match.MaxGroupSize, "rounds": match.MaxRounds, "game_points": match.MaxGamePoints,
			"log_events": 250}
		for k, v := range want {
			if got.Limits[k] != v {
				t.Errorf("limits.%s = %d; want %d", k, got.Limits[k], v)
			}
		}
	}
}
