package match

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/tourhub/tourhub/internal/jsonw"
)

// Matches and the events of results are what a node encodes most: in the fields and events of
// every commit and in the events sent to sockets. encoding/json finds their fields by reflection
// and calls PlayerID.MarshalJSON four times a match, then checks and copies what it returned;
// AppendJSON and AppendEvents write the same bytes directly: about nine times as fast for a
// match and six for the events of a result (BenchmarkMatchJSON). TestMatchJSONAsEncodingJSON
// holds them to encoding/json's bytes, and TestJSONAppendersKnowEveryField fails when a type they
// write gains a field.
//
// They are functions to call, not MarshalJSON methods: encoding/json checks and copies the
// bytes of every MarshalJSON it calls, which costs a match more than its reflection does, so a
// match inside any other value (a snapshot, an HTTP answer) is left to encoding/json as before.

// AppendEvents appends events as encoding/json writes them, and no events (nil too) as [].
func AppendEvents(b []byte, events []Event) ([]byte, error) {
	b = append(b, '[')
	for i := range events {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = events[i].AppendJSON(b); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// AppendJSON appends e as encoding/json writes it, every value directly.
func (e *Event) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"type":`...)
	b = jsonw.AppendString(b, string(e.Type))
	b = appendNumber(b, `,"player":`, int(e.Player))
	b = appendNumber(b, `,"round":`, int(e.Round))
	var err error
	if e.Match != nil {
		b = append(b, `,"match":`...)
		if b, err = e.Match.AppendJSON(b); err != nil {
			return nil, err
		}
	}
	b = appendNumber(b, `,"match_id":`, int(e.MatchID))
	if e.Slots != nil {
		b = append(b, `,"slots":{"players":`...)
		b = appendTwo(b, e.Slots.Players, AppendPlayer)
		b = append(b, `,"filled":`...)
		b = appendTwo(b, e.Slots.Filled, strconv.AppendBool)
		b = append(b, '}')
	}
	if e.Was != nil {
		b = append(b, `,"was":`...)
		if b, err = e.Was.AppendJSON(b); err != nil {
			return nil, err
		}
	}
	if b, err = appendList(b, `,"matches":`, e.Matches, (*Match).AppendJSON); err != nil {
		return nil, err
	}
	if e.Participant != nil {
		if b, err = e.Participant.AppendJSON(append(b, `,"participant":`...)); err != nil {
			return nil, err
		}
	}
	if b, err = appendList(b, `,"participants":`, e.Participants, (*Participant).AppendJSON); err != nil {
		return nil, err
	}
	b = appendPlayers(b, `,"qualifiers":`, e.Qualifiers)
	if b, err = appendList(b, `,"standings":`, e.Standings, (*Standing).AppendJSON); err != nil {
		return nil, err
	}
	if e.Settings != nil {
		if b, err = e.Settings.AppendJSON(append(b, `,"settings":`...)); err != nil {
			return nil, err
		}
	}
	b = appendText(b, `,"name":`, e.Name)
	b = appendText(b, `,"description":`, e.Description)
	b = appendText(b, `,"reason":`, e.Reason)
	if b, err = appendTimeIf(b, `,"at":`, e.At); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendList appends a member name and list as a JSON array, each element written by each,
// unless list is empty (omitempty).
func appendList[T any](b []byte, name string, list []T, each func(*T, []byte) ([]byte, error)) ([]byte, error) {
	if len(list) == 0 {
		return b, nil
	}
	b = append(append(b, name...), '[')
	for i := range list {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = each(&list[i], b); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendNumber appends a member name and n, unless n is 0 (omitempty).
func appendNumber(b []byte, name string, n int) []byte {
	if n == 0 {
		return b
	}
	b = append(b, name...)
	return strconv.AppendInt(b, int64(n), 10)
}

// appendText appends a member name and s, unless s is empty (omitempty).
func appendText(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, name...)
	return jsonw.AppendString(b, s)
}

// appendTrue appends a member name and true, unless v is false (omitempty).
func appendTrue(b []byte, name string, v bool) []byte {
	if !v {
		return b
	}
	b = append(b, name...)
	return append(b, "true"...)
}

// AppendJSON appends s as encoding/json writes it: the struct's fields in order, with their tags'
// names and omitempty rules, the tie-breaks in the order of their names. The standings of an
// elimination change with every result that puts a player out.
func (s *Standing) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"player_id":`...)
	b = AppendPlayer(b, s.Player)
	b = append(b, `,"rank":`...)
	b = strconv.AppendInt(b, int64(s.Rank), 10)
	b = append(b, `,"rank_to":`...)
	b = strconv.AppendInt(b, int64(s.RankTo), 10)
	b = appendNumber(b, `,"group":`, s.Group)
	b = append(b, `,"wins":`...)
	b = strconv.AppendInt(b, int64(s.Wins), 10)
	b = append(b, `,"draws":`...)
	b = strconv.AppendInt(b, int64(s.Draws), 10)
	b = append(b, `,"losses":`...)
	b = strconv.AppendInt(b, int64(s.Losses), 10)
	var err error
	if b, err = jsonw.AppendFloat(append(b, `,"points":`...), s.Points); err != nil {
		return nil, err
	}
	b = append(b, `,"games_won":`...)
	b = strconv.AppendInt(b, int64(s.GamesWon), 10)
	b = append(b, `,"games_lost":`...)
	b = strconv.AppendInt(b, int64(s.GamesLost), 10)
	b = appendNumber(b, `,"game_points_for":`, s.GamePointsFor)
	b = appendNumber(b, `,"game_points_against":`, s.GamePointsAgainst)
	if len(s.TieBreaks) > 0 {
		b = append(b, `,"tie_breaks":{`...)
		for i, name := range slices.Sorted(maps.Keys(s.TieBreaks)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(jsonw.AppendString(b, string(name)), ':')
			if b, err = jsonw.AppendFloat(b, s.TieBreaks[name]); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	b = appendTrue(b, `,"eliminated":`, s.Eliminated)
	return append(b, '}'), nil
}

// AppendJSON appends p as encoding/json writes it: the struct's fields in order, with their tags'
// names and omitempty rules.
func (p *Participant) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = AppendPlayer(b, p.ID)
	b = append(b, `,"name":`...)
	b = jsonw.AppendString(b, p.Name)
	b = appendNumber(b, `,"seed":`, p.Seed)
	if p.Rating != 0 {
		var err error
		if b, err = jsonw.AppendFloat(append(b, `,"rating":`...), p.Rating); err != nil {
			return nil, err
		}
	}
	b = appendTrue(b, `,"checked_in":`, p.CheckedIn)
	b = appendTrue(b, `,"eliminated":`, p.Eliminated)
	b = appendTrue(b, `,"withdrawn":`, p.Withdrawn)
	b = appendTrue(b, `,"disqualified":`, p.Disqualified)
	b = appendNumber(b, `,"eliminated_in":`, int(p.EliminatedIn))
	b = appendNumber(b, `,"byes":`, p.Byes)
	return append(b, '}'), nil
}

// AppendOwnJSON appends t's own members as encoding/json writes them in a Tournament, in order and
// without the braces: every member but version, participants and matches ("id":...,"name":...).
// A store keeps them as one field beside the version and the participants' and matches' own
// fields (hub/redisstore's t), written again by every command that changes them, as every join
// does (last_player).
func (t *Tournament) AppendOwnJSON(b []byte) ([]byte, error) {
	b = append(b, `"id":`...)
	b = jsonw.AppendString(b, t.ID)
	b = append(b, `,"name":`...)
	b = jsonw.AppendString(b, t.Name)
	b = appendText(b, `,"description":`, t.Description)
	b, err := t.Settings.AppendJSON(append(b, `,"settings":`...))
	if err != nil {
		return nil, err
	}
	b = append(b, `,"status":`...)
	b = jsonw.AppendString(b, string(t.Status))
	b = append(b, `,"last_player":`...)
	b = AppendPlayer(b, t.LastPlayer)
	b = appendNumber(b, `,"round":`, t.Round)
	b = appendNumber(b, `,"stage":`, t.Stage)
	b = appendPlayers(b, `,"qualifiers":`, t.Qualifiers)
	b = appendTrue(b, `,"check_in_open":`, t.CheckInOpen)
	b = appendTrue(b, `,"check_in_warned":`, t.CheckInWarned)
	if b, err = appendTimeIf(b, `,"started_at":`, t.StartedAt); err != nil {
		return nil, err
	}
	if b, err = appendTimeIf(b, `,"round_started_at":`, t.RoundStartedAt); err != nil {
		return nil, err
	}
	return appendText(b, `,"note":`, t.Note), nil
}

// AppendJSON appends s as encoding/json writes it: the struct's fields in order, with their tags'
// names and omitempty / omitzero rules. Settings are in the tournament's own members
// (AppendOwnJSON), in the commands that create or edit a tournament, and in their events.
func (s *Settings) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"format":`...)
	b = jsonw.AppendString(b, string(s.Format))
	b = append(b, `,"best_of":`...)
	b = strconv.AppendInt(b, int64(s.BestOf), 10)
	b = append(b, `,"max_players":`...)
	b = strconv.AppendInt(b, int64(s.MaxPlayers), 10)
	b = appendTrue(b, `,"third_place":`, s.ThirdPlace)
	b = appendText(b, `,"grand_final":`, string(s.GrandFinal))
	b = appendNumber(b, `,"groups":`, s.Groups)
	b = appendNumber(b, `,"legs":`, s.Legs)
	b = appendNumber(b, `,"rounds":`, s.Rounds)
	b = appendTrue(b, `,"allow_draws":`, s.AllowDraws)
	var err error
	if p := s.Points; p != nil {
		if b, err = jsonw.AppendFloat(append(b, `,"points":{"win":`...), p.Win); err != nil {
			return nil, err
		}
		if b, err = jsonw.AppendFloat(append(b, `,"draw":`...), p.Draw); err != nil {
			return nil, err
		}
		if b, err = jsonw.AppendFloat(append(b, `,"loss":`...), p.Loss); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	if len(s.TieBreaks) > 0 {
		b = append(b, `,"tie_breaks":[`...)
		for i, tb := range s.TieBreaks {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendString(b, string(tb))
		}
		b = append(b, ']')
	}
	b = appendText(b, `,"seeding":`, string(s.Seeding))
	if s.RandomSeed != 0 {
		b = strconv.AppendUint(append(b, `,"random_seed":`...), s.RandomSeed, 10)
	}
	b = appendTrue(b, `,"require_check_in":`, s.RequireCheckIn)
	if s.ScheduledStart != nil {
		if b, err = jsonw.AppendTime(append(b, `,"scheduled_start":`...), *s.ScheduledStart); err != nil {
			return nil, err
		}
	}
	b = appendDuration(b, `,"check_in_window":`, s.CheckInWindow)
	b = appendDuration(b, `,"match_time_limit":`, s.MatchTimeLimit)
	b = appendDuration(b, `,"round_time_limit":`, s.RoundTimeLimit)
	b = appendDuration(b, `,"warn_before":`, s.WarnBefore)
	b = appendText(b, `,"on_timeout":`, string(s.OnTimeout))
	if p := s.Playoff; p != nil {
		b = append(b, `,"playoff":{"format":`...)
		b = jsonw.AppendString(b, string(p.Format))
		b = append(b, `,"advance":`...)
		b = strconv.AppendInt(b, int64(p.Advance), 10)
		b = appendNumber(b, `,"best_of":`, p.BestOf)
		b = appendTrue(b, `,"third_place":`, p.ThirdPlace)
		b = appendText(b, `,"grand_final":`, string(p.GrandFinal))
		b = append(b, '}')
	}
	if r := s.Retention; r != (Retention{}) { // omitzero
		b = append(b, `,"retention":`...)
		open := len(b) // each member is written after a comma; the first comma becomes the brace
		b = appendDuration(b, `,"finished":`, r.Finished)
		b = appendDuration(b, `,"idle":`, r.Idle)
		b = appendDuration(b, `,"log":`, r.Log)
		b[open] = '{'
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendDuration appends a member name and d as Duration.MarshalJSON writes it ("1m30s"), unless d
// is zero (omitempty).
func appendDuration(b []byte, name string, d Duration) []byte {
	if d == 0 {
		return b
	}
	return jsonw.AppendString(append(b, name...), time.Duration(d).String())
}

// appendPlayers appends a member name and a list of player ids, unless it is empty (omitempty).
func appendPlayers(b []byte, name string, ids []PlayerID) []byte {
	if len(ids) == 0 {
		return b
	}
	b = append(append(b, name...), '[')
	for i, p := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendPlayer(b, p)
	}
	return append(b, ']')
}

// appendTimeIf appends a member name and t, unless t is the zero time (omitzero).
func appendTimeIf(b []byte, name string, t time.Time) ([]byte, error) {
	if t.IsZero() {
		return b, nil
	}
	return jsonw.AppendTime(append(b, name...), t)
}

// AppendJSON appends c as encoding/json writes it: the struct's fields in order, with their tags'
// names and omitempty / omitzero rules. The stores keep every command so in their logs (history
// replays them), one per commit. The members only edits and a seeding carry (edit, players) are
// written by encoding/json.
func (c *Command) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"type":`...)
	b = jsonw.AppendString(b, string(c.Type))
	b = appendText(b, `,"tournament":`, c.Tournament)
	b = appendText(b, `,"name":`, c.Name)
	b = appendText(b, `,"description":`, c.Description)
	if c.Settings != nil {
		if b, err = c.Settings.AppendJSON(append(b, `,"settings":`...)); err != nil {
			return nil, err
		}
	}
	if c.Rating != 0 {
		if b, err = jsonw.AppendFloat(append(b, `,"rating":`...), c.Rating); err != nil {
			return nil, err
		}
	}
	b = appendNumber(b, `,"player":`, int(c.Player))
	b = appendNumber(b, `,"match":`, int(c.Match))
	b = append(b, `,"scores":`...)
	b = appendTwo(b, c.Scores, appendInt)
	if len(c.Games) > 0 {
		b = append(b, `,"games":`...)
		b = appendGames(b, c.Games)
	}
	b = appendNumber(b, `,"by":`, int(c.By))
	b = appendTrue(b, `,"both":`, c.Both)
	b = appendTrue(b, `,"disqualify":`, c.Disqualify)
	b = appendText(b, `,"reason":`, c.Reason)
	if c.Edit != nil {
		if b, err = jsonw.AppendJSON(append(b, `,"edit":`...), c.Edit); err != nil {
			return nil, err
		}
	}
	b = appendText(b, `,"seeding":`, string(c.Seeding))
	if len(c.Order) > 0 {
		b = append(b, `,"order":[`...)
		for i, p := range c.Order {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendPlayer(b, p)
		}
		b = append(b, ']')
	}
	if c.RandomSeed != 0 {
		b = strconv.AppendUint(append(b, `,"random_seed":`...), c.RandomSeed, 10)
	}
	if len(c.Players) > 0 {
		if b, err = jsonw.AppendJSON(append(b, `,"players":`...), c.Players); err != nil {
			return nil, err
		}
	}
	if b, err = appendTimeIf(b, `,"at":`, c.At); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// AppendJSON appends m as encoding/json writes it: the struct's fields in order, with their tags'
// names and omitempty / omitzero rules.
func (m *Match) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(m.ID), 10)
	b = append(b, `,"bracket":`...)
	b = jsonw.AppendString(b, string(m.Bracket))
	b = append(b, `,"round":`...)
	b = strconv.AppendInt(b, int64(m.Round), 10)
	b = appendNumber(b, `,"group":`, int(m.Group))
	b = append(b, `,"status":`...)
	b = jsonw.AppendString(b, string(m.Status))
	b = append(b, `,"players":`...)
	b = appendTwo(b, m.Players, AppendPlayer)
	if m.Filled != [2]bool{} {
		b = append(b, `,"filled":`...)
		b = appendTwo(b, m.Filled, strconv.AppendBool)
	}
	if m.Feeds != [2]Feed{} {
		b = append(b, `,"feeds":`...)
		b = appendTwo(b, m.Feeds, appendFeed)
	}
	b = append(b, `,"scores":`...)
	b = appendTwo(b, m.Scores, appendInt)
	if m.Games != nil {
		// omitempty leaves out a nil pointer only: a pointer to no games is written as null.
		b = append(b, `,"games":`...)
		b = appendGames(b, *m.Games)
	}
	b = append(b, `,"winner":`...)
	b = AppendPlayer(b, m.Winner)
	b = append(b, `,"loser":`...)
	b = AppendPlayer(b, m.Loser)
	b = appendTrue(b, `,"draw":`, m.Draw)
	b = appendTrue(b, `,"walkover":`, m.Walkover)
	if m.Forfeited != [2]bool{} {
		b = append(b, `,"forfeited":`...)
		b = appendTwo(b, m.Forfeited, strconv.AppendBool)
	}
	if m.Reports != [2]*Report{} {
		b = append(b, `,"reports":`...)
		b = appendTwo(b, m.Reports, appendReport)
	}
	var err error
	if b, err = appendTimeIf(b, `,"ready_at":`, m.ReadyAt); err != nil {
		return nil, err
	}
	if b, err = appendTimeIf(b, `,"deadline":`, m.Deadline); err != nil {
		return nil, err
	}
	b = appendTrue(b, `,"warned":`, m.Warned)
	b = appendTrue(b, `,"overdue":`, m.Overdue)
	b = appendNumber(b, `,"winner_to":`, int(m.WinnerTo))
	b = appendNumber(b, `,"loser_to":`, int(m.LoserTo))
	return append(b, '}'), nil
}

// AppendReports appends a match's reports (Match.Reports) as encoding/json writes them.
func AppendReports(b []byte, r [2]*Report) []byte { return appendTwo(b, r, appendReport) }

// appendTwo writes a pair as encoding/json writes an array of two, each by each.
func appendTwo[T any](b []byte, v [2]T, each func([]byte, T) []byte) []byte {
	b = append(b, '[')
	b = each(b, v[0])
	b = append(b, ',')
	b = each(b, v[1])
	return append(b, ']')
}

func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// AppendPlayer appends a player id as JSON: nobody (0) as null. PlayerID.MarshalJSON and every
// writer of ids by hand use it.
func AppendPlayer(b []byte, p PlayerID) []byte {
	if p == 0 {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, int64(p), 10)
}

func appendFeed(b []byte, f Feed) []byte {
	b = append(b, '{')
	if f.Match != 0 {
		b = append(b, `"match":`...)
		b = strconv.AppendInt(b, int64(f.Match), 10)
	}
	if f.Take != "" {
		if f.Match != 0 {
			b = append(b, ',')
		}
		b = append(b, `"take":`...)
		b = jsonw.AppendString(b, string(f.Take))
	}
	return append(b, '}')
}

// appendGames writes games as encoding/json writes a slice: a nil one as null.
func appendGames(b []byte, g Games) []byte {
	if g == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, p := range g {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTwo(b, p, appendInt)
	}
	return append(b, ']')
}

func appendReport(b []byte, r *Report) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"scores":`...)
	b = appendTwo(b, r.Scores, appendInt)
	if len(r.Games) > 0 {
		b = append(b, `,"games":`...)
		b = appendGames(b, r.Games)
	}
	return append(b, '}')
}
