package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/view"
	"github.com/tourhub/tourhub/match"
)

// History (docs/api.md#history): the state at any version, replayed from the log's commands;
// exports of results (JSON with the whole history, CSV of standings and of matches); imports of an
// export into a new tournament.

// ExportFormat names the JSON export; ExportVersion is its version, raised on any change a reader
// of older exports could not follow.
const (
	ExportFormat  = "tourhub-export"
	ExportVersion = 1
)

// export is the JSON export of one tournament.
type export struct {
	Format        string    `json:"format"`
	FormatVersion int       `json:"format_version"`
	ExportedAt    time.Time `json:"exported_at"`
	// Tournament is the state when exported.
	Tournament view.View `json:"tournament"`
	// History is every command from the create, in order, when the log still holds them all (an
	// import replays them); absent otherwise.
	History []match.Command `json:"history,omitempty"`
}

// getTournament answers the state, or with ?version=N the state as it was at version N.
func (s *Server) getTournament(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	if v := c.QueryParam("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return command.Errorf(command.CodeBadRequest, "version must be a whole number from 1, not %q", v)
		}
		return s.stateAt(c, id, n)
	}
	answered, head, err := s.keptAnswer(c, id, id)
	if answered || err != nil {
		return err
	}
	if head != (store.Position{}) && matches(c.Request().Header.Get("If-None-Match"), etag(head)) {
		return stateAnswer(c, head, nil) // the client has it: not even read
	}
	t, head, err := s.store.Load(ctx, id)
	if err != nil {
		return s.storeErr("load", err)
	}
	body, err := encodeState(t, head)
	if err != nil {
		return err
	}
	s.answers.put(id, answer{head: head, at: head, body: body})
	return stateAnswer(c, head, body)
}

// encodeState encodes the view of t at pos, as GET answers it.
func encodeState(t *match.Tournament, pos store.Position) ([]byte, error) {
	body, err := json.Marshal(view.NewView(t, pos))
	if err != nil {
		return nil, err // internal, logged
	}
	return append(body, '\n'), nil
}

// keptAnswer answers the request with the answer kept under key if the tournament's newest
// position is still the one it was made at (store.Header: one small read). head is that position,
// or zero when the store cannot tell it; when answered, err is the answer's.
func (s *Server) keptAnswer(c echo.Context, id, key string) (answered bool, head store.Position, err error) {
	h, ok := s.store.(store.Header)
	if !ok {
		return false, store.Position{}, nil
	}
	if head, err = h.Head(c.Request().Context(), id); err != nil {
		return false, head, s.storeErr("load", err)
	}
	if e, ok := s.answers.get(key, head); ok {
		return true, head, stateAnswer(c, e.at, e.body)
	}
	return false, head, nil
}

// stateAnswer answers the state at pos, encoded as body, with its entity tag; a client that
// sent that tag in If-None-Match (it has that state) gets 304 Not Modified, as does any with a nil
// body.
func stateAnswer(c echo.Context, pos store.Position, body []byte) error {
	h := c.Response().Header()
	tag := etag(pos)
	h.Set("ETag", tag)
	h.Set("Cache-Control", "no-cache")
	if body == nil || matches(c.Request().Header.Get("If-None-Match"), tag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

// stateAt answers the state at version n, replayed from the log (or as it was encoded, while the
// tournament's newest position is the one it was replayed at).
func (s *Server) stateAt(c echo.Context, id string, n int64) error {
	key := id + "?version=" + strconv.FormatInt(n, 10)
	if answered, _, err := s.keptAnswer(c, id, key); answered || err != nil {
		return err
	}
	head, entries, cmds, err := s.history(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if n > head.Version {
		return command.Errorf(command.CodeBadRequest, "version %d is past the tournament's newest, %d", n, head.Version)
	}
	t, err := store.Replay(cmds, int(n))
	if err != nil {
		return err // the engine refused its own history: internal, logged
	}
	at := store.Position{Epoch: head.Epoch, Version: n, Rev: entries[n-1].Rev}
	body, err := encodeState(t, at)
	if err != nil {
		return err
	}
	s.answers.put(key, answer{head: head, at: at, body: body})
	return stateAnswer(c, at, body)
}

// history reads the whole log of id and its commands, or store.ErrHistoryGone.
func (s *Server) history(ctx context.Context, id string) (store.Position, []store.Entry, []match.Command, error) {
	head, entries, complete, err := s.store.Events(ctx, id, 0)
	if err != nil {
		return head, nil, nil, s.storeErr("events", err)
	}
	if !complete {
		return head, nil, nil, store.ErrHistoryGone
	}
	cmds, err := store.Commands(entries)
	if err != nil {
		return head, nil, nil, err
	}
	return head, entries, cmds, nil
}

// exportJSON answers the export: the state and, when the log holds it whole, the history.
func (s *Server) exportJSON(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	t, head, err := s.store.Load(ctx, id)
	if err != nil {
		return s.storeErr("load", err)
	}
	out := export{Format: ExportFormat, FormatVersion: ExportVersion, ExportedAt: time.Now().UTC(), Tournament: view.NewView(t, head)}
	if at, _, cmds, err := s.history(ctx, id); err == nil && at.Version == head.Version && at.Epoch == head.Epoch {
		out.History = cmds
	} else if err != nil && !isHistoryGone(err) {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+id+`.json"`)
	return c.JSON(http.StatusOK, out)
}

func isHistoryGone(err error) bool {
	_, code, _ := command.ErrorBody(err)
	return code == command.CodeHistoryGone
}

// exportStandings answers the standings as CSV: one line per player, best first.
func (s *Server) exportStandings(c echo.Context) error {
	t, _, err := s.store.Load(c.Request().Context(), c.Param("id"))
	if err != nil {
		return s.storeErr("load", err)
	}
	tbs := t.Settings.TieBreaks
	rows := [][]string{append([]string{"rank", "rank_to", "player_id", "name", "seed", "group", "wins", "draws", "losses",
		"points", "games_won", "games_lost", "eliminated", "withdrawn"}, tieBreakNames(tbs)...)}
	for _, st := range match.Standings(t) {
		p, _ := t.Participant(st.Player)
		row := []string{itoa(st.Rank), itoa(st.RankTo), itoa(int(st.Player)), p.Name, itoa(p.Seed), itoa(st.Group),
			itoa(st.Wins), itoa(st.Draws), itoa(st.Losses), ftoa(st.Points), itoa(st.GamesWon), itoa(st.GamesLost),
			strconv.FormatBool(st.Eliminated), strconv.FormatBool(p.Withdrawn)}
		for _, tb := range tbs {
			row = append(row, ftoa(st.TieBreaks[tb]))
		}
		rows = append(rows, row)
	}
	return writeCSV(c, t.ID+"-standings.csv", rows)
}

// exportMatches answers the matches as CSV, in id order.
func (s *Server) exportMatches(c echo.Context) error {
	t, _, err := s.store.Load(c.Request().Context(), c.Param("id"))
	if err != nil {
		return s.storeErr("load", err)
	}
	rows := [][]string{{"match_id", "bracket", "round", "group", "status", "player1_id", "player1", "player2_id", "player2",
		"score1", "score2", "winner_id", "winner", "draw", "walkover", "deadline", "games"}}
	for _, m := range t.Matches {
		deadline := ""
		if !m.Deadline.IsZero() {
			deadline = m.Deadline.UTC().Format(time.RFC3339)
		}
		scores := []string{"", ""}
		if m.Status == match.MatchCompleted {
			scores = []string{itoa(m.Scores[0]), itoa(m.Scores[1])}
		}
		rows = append(rows, []string{itoa(int(m.ID)), string(m.Bracket), itoa(m.Round), itoa(m.Group), string(m.Status),
			idOrEmpty(m.Players[0]), t.PlayerName(m.Players[0]), idOrEmpty(m.Players[1]), t.PlayerName(m.Players[1]),
			scores[0], scores[1], idOrEmpty(m.Winner), t.PlayerName(m.Winner), strconv.FormatBool(m.Draw),
			strconv.FormatBool(m.Walkover), deadline, gamesText(m.Games)})
	}
	return writeCSV(c, t.ID+"-matches.csv", rows)
}

// gamesText writes a series' games as "11-3 8-11 11-9" (first player's points first).
func gamesText(g *match.Games) string {
	if g == nil {
		return ""
	}
	parts := make([]string, len(*g))
	for i, p := range *g {
		parts[i] = itoa(p[0]) + "-" + itoa(p[1])
	}
	return strings.Join(parts, " ")
}

func tieBreakNames(tbs []match.TieBreak) []string {
	out := make([]string, len(tbs))
	for i, tb := range tbs {
		out[i] = string(tb)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func idOrEmpty(p match.PlayerID) string {
	if p == 0 {
		return ""
	}
	return itoa(int(p))
}

// writeCSV answers rows as a CSV download. A cell a spreadsheet would run as a formula (it starts
// with = + - @, a tab or a carriage return: a player named "=HYPERLINK(...)") is written with a
// leading apostrophe, which spreadsheets show as text.
func writeCSV(c echo.Context, filename string, rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for _, row := range rows {
		for i, cell := range row {
			if cell != "" && slices.Contains([]byte("=+-@\t\r"), cell[0]) && !isNumber(cell) {
				row[i] = "'" + cell
			}
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

type importResponse struct {
	Tournament     view.View `json:"tournament"`
	OrganiserToken string    `json:"organiser_token"`
}

// importTournament creates a tournament from an export: its history is replayed here first and
// must give the exported state, then it is committed command by command under a new id.
func (s *Server) importTournament(c echo.Context) error {
	var ex export
	if err := s.decodeUpTo(c, &ex, false, s.cfg.ImportLimit); err != nil {
		return err
	}
	if ex.Format != ExportFormat || ex.FormatVersion != ExportVersion {
		return command.Errorf(command.CodeBadRequest, "this is not a %s version %d file (format %q, version %d)", ExportFormat, ExportVersion, ex.Format, ex.FormatVersion)
	}
	if len(ex.History) == 0 {
		return command.Errorf(command.CodeBadRequest, "the export has no history (its log was no longer whole when it was exported): it can be read, not imported")
	}
	if len(ex.History) > command.MaxImportCommands {
		return command.Errorf(command.CodeBadRequest, "the export's history has %d commands; at most %d can be imported", len(ex.History), command.MaxImportCommands)
	}
	got, err := store.Replay(ex.History, 0)
	if err != nil {
		return command.Errorf(command.CodeBadRequest, "the export's history does not replay: %v", err)
	}
	if !sameResult(got, ex.Tournament) {
		return command.Errorf(command.CodeBadRequest, "the export's history does not give the state it was exported with (was the file edited?)")
	}
	cr, err := s.cmds.Import(c.Request().Context(), ex.History)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/tournaments/"+cr.ID)
	head := store.Position{Epoch: cr.Epoch, Version: cr.Version, Rev: cr.Rev}
	return c.JSON(http.StatusCreated, importResponse{Tournament: view.NewView(cr.State, head), OrganiserToken: cr.Token})
}

// sameResult reports whether t, replayed from an export's history, is the tournament the export
// describes: the same name, description, status, version, participants and matches.
func sameResult(t *match.Tournament, v view.View) bool {
	if t.Name != v.Name || t.Description != v.Description || t.Status != v.Status || t.Version != v.Version {
		return false
	}
	a, err1 := json.Marshal([2]any{t.Participants, t.Matches})
	b, err2 := json.Marshal([2]any{v.Participants, v.Matches})
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}
