package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tourhub/tourhub/match"
)

// hubConfig is what GET /api/config tells the pages: the address share links should name, the
// limits the engine enforces, so that a form never accepts what the server refuses, and how many
// changes of a tournament's history the node keeps, so that a page can say it.
type hubConfig struct {
	PublicURL string    `json:"public_url"` // empty: the address the page was loaded from
	Limits    hubLimits `json:"limits"`
}

type hubLimits struct {
	Name        int `json:"name"`        // tournament and player names, in characters
	Description int `json:"description"` // in characters
	Players     int `json:"players"`
	BestOf      int `json:"best_of"`
	GroupSize   int `json:"group_size"`
	Rounds      int `json:"rounds"`
	GamePoints  int `json:"game_points"`
	LogEvents   int `json:"log_events,omitzero"` // entries kept in a tournament's event log (--max-events)
}

func (s *Server) config(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, hubConfig{
		PublicURL: s.cfg.PublicURL,
		Limits: hubLimits{Name: match.MaxNameLen, Description: match.MaxDescriptionLen, Players: match.MaxPlayersLimit,
			BestOf: match.MaxBestOf, GroupSize: match.MaxGroupSize, Rounds: match.MaxRounds, GamePoints: match.MaxGamePoints, LogEvents: s.cfg.LogEvents},
	})
}
