package api

import (
	"cmp"
	"context"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/view"
	"github.com/tourhub/tourhub/internal/jsonw"
	"github.com/tourhub/tourhub/match"
)

// The HTTP API (docs/api.md, docs/openapi.yaml). Every handler returns an error that
// handleError turns into {"error":{"code","message"}}; no handler changes anything before all of
// its input is validated.

type createRequest struct {
	Name         string `json:"name"`
	Description  string `json:"description"`
	SubmissionID string `json:"submission_id"`
	match.Settings
}

type createResponse struct {
	Tournament     view.View `json:"tournament"`
	OrganiserToken string    `json:"organiser_token"`
	Duplicate      bool      `json:"duplicate"`
}

type listResponse struct {
	Tournaments []store.Summary `json:"tournaments"`
	// NextCursor is ?cursor= of the next page; absent on the last one.
	NextCursor string `json:"next_cursor,omitempty"`
}

type eventsResponse struct {
	Epoch    string        `json:"epoch"`
	Version  int64         `json:"version"`
	Rev      string        `json:"rev"`
	Complete bool          `json:"complete"`
	Entries  []store.Entry `json:"entries"`
}

type joinRequest struct {
	Name   *string  `json:"name"`
	Rating *float64 `json:"rating"`
	// SubmissionID makes the join idempotent: a repeat answers the first join's player with a
	// fresh token. It works as a credential for that player, so it must be unguessable.
	SubmissionID string `json:"submission_id"`
}

type joinResponse struct {
	PlayerID  match.PlayerID `json:"player_id"`
	Token     string         `json:"token"`
	Version   int64          `json:"version"`
	Duplicate bool           `json:"duplicate"`
}

// appendJSON appends r as c.JSON writes it (encoding/json, then a newline), without reflection:
// a join is the commonest request of a tournament's set-up (TestJoinResponseAsEncodingJSON).
func (r joinResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"player_id":`...)
	b = strconv.AppendInt(b, int64(r.PlayerID), 10)
	b = append(b, `,"token":`...)
	b = jsonw.AppendString(b, r.Token)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, r.Version, 10)
	b = append(b, `,"duplicate":`...)
	b = strconv.AppendBool(b, r.Duplicate)
	return append(b, "}\n"...)
}

type commandResponse struct {
	Version int64         `json:"version"`
	Events  []match.Event `json:"events"`
}

type checkInRequest struct {
	PlayerID *int `json:"player_id"`
}

type withdrawRequest struct {
	Disqualify bool `json:"disqualify"`
}

type resultRequest struct {
	Scores       []int       `json:"scores"`
	Games        match.Games `json:"games"`
	SubmissionID string      `json:"submission_id"`
}

type resultResponse struct {
	Version   int64         `json:"version"`
	Duplicate bool          `json:"duplicate"`
	Match     *match.Match  `json:"match"`
	Events    []match.Event `json:"events"`
}

type forfeitRequest struct {
	PlayerID *int `json:"player_id"`
	Both     bool `json:"both"`
}

// maxListLimit caps ?limit= of the tournament list.
const maxListLimit = 100

func (s *Server) createTournament(c echo.Context) error {
	var req createRequest
	if err := s.decode(c, &req, false); err != nil {
		return err
	}
	cr, err := s.cmds.Create(c.Request().Context(), req.Name, req.Description, req.Settings, req.SubmissionID)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/tournaments/"+cr.ID)
	head := store.Position{Epoch: cr.Epoch, Version: cr.Version, Rev: cr.Rev}
	status := http.StatusCreated
	if cr.Duplicate {
		status = http.StatusOK
	}
	return c.JSON(status, createResponse{Tournament: view.NewView(cr.State, head), OrganiserToken: cr.Token, Duplicate: cr.Duplicate})
}

// listTournaments answers a page of the list. Every bad parameter is refused, naming the value and
// what is accepted, before the store is asked.
func (s *Server) listTournaments(c echo.Context) error {
	var f store.ListFilter
	q := c.QueryParams()
	if v := q.Get("status"); v != "" {
		switch st := match.Status(v); st {
		case match.StatusRegistering, match.StatusRunning, match.StatusFinished, match.StatusCancelled:
			f.Status = st
		default:
			return command.Errorf(command.CodeBadRequest, "status must be registering, running, finished or cancelled, not %q", v)
		}
	}
	if v := q.Get("format"); v != "" {
		switch ft := match.Format(v); ft {
		case match.SingleElimination, match.DoubleElimination, match.RoundRobin, match.Swiss:
			f.Format = ft
		default:
			return command.Errorf(command.CodeBadRequest, "format must be single_elimination, double_elimination, round_robin or swiss, not %q", v)
		}
	}
	if v := q.Get("name"); v != "" {
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > match.MaxNameLen {
			return command.Errorf(command.CodeBadRequest, "name must be text of at most %d characters (part of a tournament name), not %q", match.MaxNameLen, v)
		}
		f.Name = v
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			return command.Errorf(command.CodeBadRequest, "limit must be a whole number from 1 to %d, not %q", maxListLimit, v)
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		cur, err := store.ParseCursor(v)
		if err != nil {
			return command.Errorf(command.CodeBadRequest, "cursor %q is %v", v, err)
		}
		f.After = cur
	}
	page, err := s.store.List(c.Request().Context(), f)
	if err != nil {
		return s.storeErr("list", err)
	}
	list := page.Summaries
	if list == nil {
		list = []store.Summary{}
	}
	return c.JSON(http.StatusOK, listResponse{Tournaments: list, NextCursor: page.Next.String()})
}

// getEvents answers the entries after ?after=N. With ?rev= (and ?epoch=) naming the caller's
// position, the answer is complete only if that position is on the store's history: a copy from a
// history the store lost (it came back older, and the versions were reused) must be replaced by the
// state, never patched with these entries.
func (s *Server) getEvents(c echo.Context) error {
	after, err := queryAfter(c)
	if err != nil {
		return err
	}
	epoch, rev := c.QueryParam("epoch"), c.QueryParam("rev")
	ctx := c.Request().Context()
	head, entries, complete, err := s.store.Events(ctx, c.Param("id"), after)
	if err != nil {
		return s.storeErr("events", err)
	}
	if complete && (epoch != "" || rev != "") {
		from := store.Position{Epoch: cmp.Or(epoch, head.Epoch), Version: after, Rev: rev}
		complete = (rev == "" && from.Epoch == head.Epoch) || from.Continues(head, entries)
	}
	resp := eventsResponse{Epoch: head.Epoch, Version: head.Version, Rev: head.Rev, Complete: complete, Entries: entries}
	if !complete || resp.Entries == nil {
		// Not there, or not on the caller's history: the caller needs the state.
		resp.Entries = []store.Entry{}
	}
	return c.JSON(http.StatusOK, resp)
}

func (s *Server) join(c echo.Context) error {
	var req joinRequest
	if err := s.decode(c, &req, false); err != nil {
		return err
	}
	if req.Name == nil {
		return &match.Error{Code: match.CodeInvalid, Message: "name is required"}
	}
	var rating float64
	if req.Rating != nil {
		rating = *req.Rating
	}
	j, err := s.cmds.Join(c.Request().Context(), c.Param("id"), *req.Name, rating, req.SubmissionID)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if j.Duplicate {
		status = http.StatusOK
	}
	r := joinResponse{PlayerID: j.Player, Token: j.Token, Version: j.Version, Duplicate: j.Duplicate}
	return c.JSONBlob(status, r.appendJSON(make([]byte, 0, 128+len(r.Token))))
}

func (s *Server) leave(c echo.Context) error {
	cl, pid, err := s.authedOn(c, "pid", "player id", nil, true)
	if err != nil {
		return err
	}
	return s.answer(c)(s.cmds.Leave(c.Request().Context(), cl, c.Param("id"), pid))
}

func (s *Server) checkIn(c echo.Context) error {
	var req checkInRequest
	cl, err := s.authed(c, &req, true)
	if err != nil {
		return err
	}
	return s.answer(c)(s.cmds.CheckIn(c.Request().Context(), cl, c.Param("id"), req.PlayerID))
}

func (s *Server) start(c echo.Context) error { return s.organiserCommand(c, s.cmds.Start) }

func (s *Server) cancel(c echo.Context) error { return s.organiserCommand(c, s.cmds.Cancel) }

func (s *Server) organiserCommand(c echo.Context, run func(context.Context, command.Claims, string) (store.Applied, error)) error {
	cl, err := s.authed(c, nil, true)
	if err != nil {
		return err
	}
	return s.answer(c)(run(c.Request().Context(), cl, c.Param("id")))
}

func (s *Server) withdraw(c echo.Context) error {
	var req withdrawRequest
	cl, pid, err := s.authedOn(c, "pid", "player id", &req, true)
	if err != nil {
		return err
	}
	return s.answer(c)(s.cmds.Withdraw(c.Request().Context(), cl, c.Param("id"), pid, req.Disqualify))
}

func (s *Server) result(c echo.Context) error {
	var req resultRequest
	cl, mid, err := s.authedOn(c, "mid", "match id", &req, false)
	if err != nil {
		return err
	}
	if len(req.Scores) != 2 {
		return command.Errorf(command.CodeBadRequest, "scores must be two numbers [first player's, second player's]")
	}
	a, err := s.cmds.Report(c.Request().Context(), cl, c.Param("id"), match.MatchID(mid), match.Report{Scores: [2]int{req.Scores[0], req.Scores[1]}, Games: req.Games}, req.SubmissionID)
	if err != nil {
		return err
	}
	resp := resultResponse{Version: a.Version, Duplicate: a.Duplicate, Events: nonNil(a.Events)}
	resp.Match = a.Match(match.MatchID(mid))
	return c.JSON(http.StatusOK, resp)
}

func (s *Server) forfeit(c echo.Context) error {
	var req forfeitRequest
	cl, mid, err := s.authedOn(c, "mid", "match id", &req, true)
	if err != nil {
		return err
	}
	return s.answer(c)(s.cmds.Forfeit(c.Request().Context(), cl, c.Param("id"), match.MatchID(mid), req.PlayerID, req.Both))
}

// answer returns a function that answers a command's outcome: {version, events}, or its error.
func (s *Server) answer(c echo.Context) func(store.Applied, error) error {
	return func(a store.Applied, err error) error {
		if err != nil {
			return err
		}
		return answerCommand(c, a.Version, a.Events)
	}
}

// answerCommand answers a committed command: {"version":N,"events":[...]}. The events are written
// by match.AppendEvents, exactly the bytes encoding/json writes (and the newline json.Encoder adds,
// as c.JSON does), without reflection: a start answers every match of the bracket. (The API takes
// no ?pretty: checkQuery refuses query parameters it does not name.)
func answerCommand(c echo.Context, version int64, events []match.Event) error {
	b := make([]byte, 0, 48+320*len(events))
	b = strconv.AppendInt(append(b, `{"version":`...), version, 10)
	b, err := match.AppendEvents(append(b, `,"events":`...), events) // nil: []
	if err != nil {
		// Not expected (the engine's events are plain data): c.JSON answers what it makes of it.
		return c.JSON(http.StatusOK, commandResponse{Version: version, Events: nonNil(events)})
	}
	return c.JSONBlob(http.StatusOK, append(b, "}\n"...))
}

func nonNil(es []match.Event) []match.Event {
	if es == nil {
		return []match.Event{}
	}
	return es
}

// storeErr counts a failed read of the store (not an unknown tournament) and passes err on.
func (s *Server) storeErr(op string, err error) error { return s.cmds.StoreErr(op, err) }
