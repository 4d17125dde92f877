package api

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/match"
)

// The organiser's edits (docs/api.md#editing).

type editRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

type editPlayerRequest struct {
	Name   *string  `json:"name"`
	Rating *float64 `json:"rating"`
	Seed   *int     `json:"seed"`
}

type seedRequest struct {
	Seeding match.Seeding    `json:"seeding"`
	Order   []match.PlayerID `json:"order"`
}

type addPlayersRequest struct {
	Players []match.NewPlayer `json:"players"`
}

type addPlayersResponse struct {
	Version int64                 `json:"version"`
	Players []command.AddedPlayer `json:"players"`
	Events  []match.Event         `json:"events"`
}

type tokenResponse struct {
	PlayerID match.PlayerID `json:"player_id"`
	Token    string         `json:"token"`
}

func (s *Server) editTournament(c echo.Context) error {
	var req editRequest
	cl, err := s.authed(c, &req, false)
	if err != nil {
		return err
	}
	return s.answer(c)(s.cmds.Edit(c.Request().Context(), cl, c.Param("id"), match.Edit{Name: req.Name, Description: req.Description}))
}

func (s *Server) deleteTournament(c echo.Context) error { return s.organiserCommand(c, s.cmds.Delete) }

func (s *Server) editPlayer(c echo.Context) error {
	var req editPlayerRequest
	cl, pid, err := s.authedOn(c, "pid", "player id", &req, false)
	if err != nil {
		return err
	}
	e := match.Edit{Name: req.Name, Rating: req.Rating, Seed: req.Seed}
	return s.answer(c)(s.cmds.EditPlayer(c.Request().Context(), cl, c.Param("id"), pid, e))
}

func (s *Server) seed(c echo.Context) error {
	var req seedRequest
	cl, err := s.authed(c, &req, false)
	if err != nil {
		return err
	}
	return s.answer(c)(s.cmds.Seed(c.Request().Context(), cl, c.Param("id"), req.Seeding, req.Order))
}

// addPlayers registers a list of players: JSON {"players": [{"name", "rating"}...]}, or a CSV
// body (Content-Type text/csv) with a name and an optional rating per line, and an optional
// header line "name,rating".
func (s *Server) addPlayers(c echo.Context) error {
	cl, err := s.claims(c)
	if err != nil {
		return err
	}
	var players []match.NewPlayer
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	if mt == "text/csv" {
		if players, err = s.readCSV(c); err != nil {
			return err
		}
	} else {
		var req addPlayersRequest
		if err := s.decode(c, &req, false); err != nil {
			return err
		}
		players = req.Players
	}
	a, err := s.cmds.AddPlayers(c.Request().Context(), cl, c.Param("id"), players)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, addPlayersResponse{Version: a.Version, Players: a.Players, Events: nonNil(a.Events)})
}

// readCSV reads the players of a CSV body. Every line that is not name[,rating] is refused with
// its line number.
func (s *Server) readCSV(c echo.Context) ([]match.NewPlayer, error) {
	body, err := readBody(c, s.cfg.BodyLimit)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))) // a spreadsheet's BOM
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.LazyQuotes = true // a hand-typed list: O"Brien is a name, not an error
	var out []match.NewPlayer
	for first := true; ; first = false {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, command.Errorf(command.CodeBadRequest, "CSV line %d: %v", pe.Line, pe.Err)
			}
			return nil, command.Errorf(command.CodeBadRequest, "CSV: %v", err)
		}
		line, _ := r.FieldPos(0)
		if first && strings.EqualFold(strings.TrimSpace(rec[0]), "name") {
			continue // the header
		}
		if len(rec) > 2 {
			return nil, command.Errorf(command.CodeBadRequest, "CSV line %d has %d columns: write name,rating (the rating may be left out)", line, len(rec))
		}
		p := match.NewPlayer{Name: rec[0]}
		if len(rec) == 2 && strings.TrimSpace(rec[1]) != "" {
			v := strings.TrimSpace(rec[1])
			if p.Rating, err = strconv.ParseFloat(v, 64); err != nil {
				return nil, command.Errorf(command.CodeBadRequest, "CSV line %d: the rating %q is not a number", line, v)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Server) playerToken(c echo.Context) error {
	cl, pid, err := s.authedOn(c, "pid", "player id", nil, true)
	if err != nil {
		return err
	}
	token, err := s.cmds.PlayerToken(c.Request().Context(), cl, c.Param("id"), pid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tokenResponse{PlayerID: match.PlayerID(pid), Token: token})
}

type playoffRequest struct {
	Order []match.PlayerID `json:"order"`
}

func (s *Server) startPlayoff(c echo.Context) error {
	var req playoffRequest
	cl, err := s.authed(c, &req, true)
	if err != nil {
		return err
	}
	return s.answer(c)(s.cmds.StartPlayoff(c.Request().Context(), cl, c.Param("id"), req.Order))
}
