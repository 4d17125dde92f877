// Package view is the public state of a tournament as clients read it: the body of
// GET /api/tournaments/{id} and the state of a WebSocket snapshot.
package view

import (
	"time"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// View is the public state of one tournament: the body of GET /api/tournaments/{id} and the
// `state` of a WebSocket snapshot. It is built from a copy, never shared with the store.
type View struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Description is the organiser's text about the tournament (absent when there is none).
	Description string       `json:"description,omitempty"`
	Format      match.Format `json:"format"`
	Status      match.Status `json:"status"`
	Epoch       string       `json:"epoch"`
	Version     int64        `json:"version"`
	// Rev names the commit that made Version (see Position): a client that resumes from this
	// state sends it with the epoch and the version.
	Rev          string              `json:"rev"`
	Settings     match.Settings      `json:"settings"`
	Participants []match.Participant `json:"participants"`
	// Matches and Standings are never nil from NewView (always in JSON); the v2 snapshot leaves
	// them out and writes them compact (hub/wire).
	Matches   []match.Match    `json:"matches,omitzero"`
	Standings []match.Standing `json:"standings,omitzero"`
	// Round is the current Swiss round (0 before start or for other formats).
	Round int `json:"round,omitempty"`
	// Stage and Qualifiers: a two-stage tournament's stage being played (1 groups, 2 playoff)
	// and the playoff's players, top seed first, once the group stage is over.
	Stage      int              `json:"stage,omitempty"`
	Qualifiers []match.PlayerID `json:"qualifiers,omitempty"`
	// CheckInOpen is set while a check-in window is open.
	CheckInOpen bool `json:"check_in_open,omitempty"`
	// StartedAt and RoundStartedAt: when the tournament and its current Swiss round started.
	StartedAt      time.Time `json:"started_at,omitzero"`
	RoundStartedAt time.Time `json:"round_started_at,omitzero"`
	// Note explains an early finish.
	Note string `json:"note,omitempty"`
}

// NewView builds the public view of t at head (head.Version is t.Version). t must not change while NewView runs (pass a
// copy the caller owns); the view keeps references into t, so the caller must not change t
// afterwards either. Lists are never null in JSON.
func NewView(t *match.Tournament, head store.Position) View {
	v := View{
		ID:             t.ID,
		Name:           t.Name,
		Description:    t.Description,
		Format:         t.Settings.Format,
		Status:         t.Status,
		Epoch:          head.Epoch,
		Version:        t.Version,
		Rev:            head.Rev,
		Settings:       t.Settings,
		Participants:   t.Participants,
		Matches:        t.Matches,
		Standings:      match.Standings(t),
		Round:          t.Round,
		Stage:          t.Stage,
		Qualifiers:     t.Qualifiers,
		CheckInOpen:    t.CheckInOpen,
		StartedAt:      t.StartedAt,
		RoundStartedAt: t.RoundStartedAt,
		Note:           t.Note,
	}
	if v.Participants == nil {
		v.Participants = []match.Participant{}
	}
	if v.Matches == nil {
		v.Matches = []match.Match{}
	}
	if v.Standings == nil {
		v.Standings = []match.Standing{}
	}
	return v
}
