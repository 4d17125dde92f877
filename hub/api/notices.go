package api

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/notice"
	"github.com/tourhub/tourhub/match"
)

// maxNotices bounds the notices one answer carries: the newest ones.
const maxNotices = 500

type noticesResponse struct {
	// Version is the newest version the notices were derived to: subscribe from it.
	Version int64 `json:"version"`
	// Complete is false when the log no longer goes back to ?after (notices is then empty), or
	// when more than maxNotices were found (notices then holds the newest).
	Complete bool              `json:"complete"`
	Notices  []json.RawMessage `json:"notices"`
}

// getNotices answers the personal notices of the token's player in the entries after ?after=V,
// derived from the log exactly as the fan-out derives them live (hub/notice): what a player who
// reloads the page, or was away, missed.
func (s *Server) getNotices(c echo.Context) error {
	cl, err := s.claims(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	p, err := s.cmds.NoticesOf(cl, id)
	if err != nil {
		return err
	}
	after, err := queryAfter(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, _, err := s.store.Load(ctx, id)
	if err != nil {
		return s.storeErr("load", err)
	}
	head, entries, complete, err := s.store.Events(ctx, id, after)
	if err != nil {
		return s.storeErr("events", err)
	}
	if after > head.Version {
		return command.Errorf(command.CodeBadRequest, "after %d is past the tournament's newest version, %d", after, head.Version)
	}
	names := make(map[match.PlayerID]string, len(t.Participants))
	for _, pp := range t.Participants {
		names[pp.ID] = pp.Name
	}
	resp := noticesResponse{Version: head.Version, Complete: complete, Notices: []json.RawMessage{}}
	for _, e := range entries {
		byPlayer, err := notice.DeriveFor(id, e, names, func(q match.PlayerID) bool { return q == p })
		if err != nil {
			s.log.Error("notices of an entry left out", "tournament", id, "version", e.Version, "err", err)
		}
		for _, b := range byPlayer[p] {
			resp.Notices = append(resp.Notices, b)
		}
	}
	if over := len(resp.Notices) - maxNotices; over > 0 {
		resp.Notices, resp.Complete = resp.Notices[over:], false
	}
	return c.JSON(http.StatusOK, resp)
}
