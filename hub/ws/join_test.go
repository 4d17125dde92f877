package ws_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/view"
	"github.com/tourhub/tourhub/hub/ws"
	"github.com/tourhub/tourhub/match"
)

// joinCup creates a single elimination of at most max players on a whole node, over HTTP, and
// returns its id and the organiser's token.
func joinCup(t *testing.T, hs *httptest.Server, max int) (string, string) {
	t.Helper()
	var created struct {
		Tournament     view.View `json:"tournament"`
		OrganiserToken string    `json:"organiser_token"`
	}
	nodePost(t, hs, "/api/tournaments", "", map[string]any{"name": "Cup", "format": "single_elimination", "max_players": max}, &created)
	return created.Tournament.ID, created.OrganiserToken
}

// stateOf is tournament id as GET /api/tournaments/{id} answers it.
func stateOf(t *testing.T, hs *httptest.Server, id string) view.View {
	t.Helper()
	resp, err := http.Get(hs.URL + "/api/tournaments/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v view.View
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", id, resp.StatusCode, err)
	}
	return v
}

// participants is the number of players of tournament id.
func participants(t *testing.T, hs *httptest.Server, id string) int {
	t.Helper()
	return len(stateOf(t, hs, id).Participants)
}

// TestWSJoin: a player joins over the socket they watch the tournament on. The answer is what
// POST /players answers (the player, a token that works on any socket, the version), the socket
// is that player's from then on (notices, reports) without an auth, a repeat with the same
// submission_id answers the same player, and every refused join says why and changes nothing.
func TestWSJoin(t *testing.T) {
	t.Parallel()
	_, hs := nodeServer(t, api.Config{RatePerSec: 1000, Burst: 1000}, ws.Config{})
	id, org := joinCup(t, hs, 3)

	ada := nodeDial(t, hs)
	ada.subscribe(id)
	ada.send(map[string]any{"type": "join", "ref": "j1", "tournament": id, "name": "Ada", "submission_id": "ada-join-0123456789abcdef"})
	var joined wsMsg
	for event := false; joined.Type == "" || !event; { // the reply and the event, in either order
		switch m := ada.read(); m.Type {
		case "event":
			if len(m.Events) != 1 || m.Events[0].Type != match.EvPlayerJoined || m.Version != 2 {
				t.Fatalf("event %+v at %d; want Ada's player_joined at 2", m.Events, m.Version)
			}
			event = true
		case "joined":
			joined = m
		default:
			t.Fatalf("got %s %+v; want the join event and joined", m.Type, m)
		}
	}
	if joined.Ref != "j1" || joined.Tournament != id || joined.PlayerID <= 0 || joined.Token == "" || joined.Version != 2 || joined.Duplicate {
		t.Fatalf("joined %+v; want ref j1, a player and a token at version 2, not a duplicate", joined)
	}
	// The token is a player's token like any other.
	other := nodeDial(t, hs, "token."+joined.Token)
	if ok := other.expect("auth_ok"); ok.Tournament != id || ok.Role != "player" || ok.PlayerID != joined.PlayerID {
		t.Errorf("auth with the joined token: %+v; want player %d of %s", ok, joined.PlayerID, id)
	}
	// The same submission_id again: the same player, nothing committed.
	ada.send(map[string]any{"type": "join", "ref": "j2", "tournament": id, "name": "Ada", "submission_id": "ada-join-0123456789abcdef"})
	if again := ada.expect("joined"); again.Ref != "j2" || again.PlayerID != joined.PlayerID || !again.Duplicate || again.Version != 2 {
		t.Errorf("repeated join %+v; want player %d again, a duplicate at version 2", again, joined.PlayerID)
	}

	// Refused joins: each answers its ref with a code that says why, and nothing changes.
	x := nodeDial(t, hs) // watches nothing: its answers come alone
	refused := func(ref string, msg map[string]any, code, says string) {
		t.Helper()
		msg["type"], msg["ref"] = "join", ref
		x.send(msg)
		if e := x.read(); e.Type != "error" || e.Ref != ref || e.Code != code || !strings.Contains(e.Message, says) {
			t.Errorf("%s: %s %q; want %s saying %q", ref, e.Code, e.Message, code, says)
		}
	}
	refused("no-name", map[string]any{"tournament": id}, command.CodeBadMessage, "join needs name")
	refused("no-tournament", map[string]any{"name": "Grace"}, command.CodeBadMessage, "join needs tournament")
	refused("empty-name", map[string]any{"tournament": id, "name": ""}, string(match.CodeInvalid), "name")
	refused("taken", map[string]any{"tournament": id, "name": "Ada"}, string(match.CodeNameTaken), "Ada")
	refused("short-id", map[string]any{"tournament": id, "name": "Grace", "submission_id": "x"}, command.CodeBadRequest, "submission_id")
	refused("unknown", map[string]any{"tournament": "t_nosuch", "name": "Grace"}, command.CodeNotFound, "not found")
	refused("rating", map[string]any{"tournament": id, "name": "Grace", "rating": "high"}, command.CodeBadMessage, "rating")
	if n := participants(t, hs, id); n != 1 {
		t.Fatalf("%d players after the refused joins; want 1", n)
	}
	// A refused join leaves the socket a spectator's: it may not report.
	x.send(map[string]any{"type": "report", "ref": "r0", "tournament": id, "match": 1, "scores": [2]int{1, 0}, "submission_id": "g0"})
	if e := x.expect("error"); e.Code != command.CodeUnauthorized {
		t.Errorf("report after refused joins: %s %q; want unauthorized", e.Code, e.Message)
	}

	grace := nodeDial(t, hs)
	grace.send(map[string]any{"type": "join", "ref": "j3", "tournament": id, "name": "Grace", "rating": 1500.5})
	gj := grace.expect("joined")
	if gj.PlayerID <= 0 || gj.PlayerID == joined.PlayerID || gj.Version != 3 {
		t.Fatalf("Grace joined %+v; want another player at version 3", gj)
	}
	grace.subscribe(id) // after the join: the socket is Grace's when it subscribes
	nodePost(t, hs, "/api/tournaments/"+id+"/players", "", map[string]any{"name": "Linus"}, &struct{}{})
	refused("full", map[string]any{"tournament": id, "name": "Ken"}, string(match.CodeFull), "full")

	var started struct {
		Version int64 `json:"version"`
	}
	nodePost(t, hs, "/api/tournaments/"+id+"/start", org, map[string]any{}, &started)
	refused("started", map[string]any{"tournament": id, "name": "Ken"}, string(match.CodeAlreadyStarted), "")
	if n := participants(t, hs, id); n != 3 {
		t.Fatalf("%d players; want 3", n)
	}

	// Both sockets are their players' without an auth: they are told of their match and report it.
	st := stateOf(t, hs, id)
	var first *match.Match
	for i, m := range st.Matches {
		if m.Status == match.MatchReady {
			first = &st.Matches[i]
		}
	}
	if first == nil {
		t.Fatal("no ready match after the start")
	}
	sockOf := map[int]*wsClient{joined.PlayerID: ada, gj.PlayerID: grace}
	for _, p := range first.Players {
		c := sockOf[int(p)]
		if c == nil {
			continue // Linus joined over HTTP
		}
		kinds, _ := wsCollect(t, c, started.Version)
		if !strings.Contains(strings.Join(kinds, ","), "match_ready") {
			t.Errorf("player %d's notices %v; want match_ready", p, kinds)
		}
		c.send(map[string]any{"type": "report", "ref": "r", "tournament": id, "match": first.ID, "scores": [2]int{1, 0}, "submission_id": fmt.Sprint("r", p)})
		if _, byKind := wsCollect(t, c, 0, "reported"); byKind["reported"].Ref != "r" {
			t.Errorf("player %d's report: %+v; want reported", p, byKind["reported"])
		}
	}
}

// TestWSJoinRateLimited: a join over a socket is charged to the client's address as the same
// join over HTTP is, from the same budget: neither way gets round the API's rate limit.
func TestWSJoinRateLimited(t *testing.T) {
	t.Parallel()
	_, hs := nodeServer(t, api.Config{RatePerSec: 0.001, Burst: 4}, ws.Config{})
	id, _ := joinCup(t, hs, 64) // one request of the burst
	c := nodeDial(t, hs)
	for i := range 3 {
		c.send(map[string]any{"type": "join", "ref": "ok", "tournament": id, "name": fmt.Sprint("p", i)})
		c.expect("joined")
	}
	c.send(map[string]any{"type": "join", "ref": "over", "tournament": id, "name": "p9"})
	if e := c.expect("error"); e.Ref != "over" || e.Code != command.CodeRateLimited {
		t.Errorf("the fifth request of a burst of 4: %+v; want rate_limited", e)
	}
	if _, snap := c.subscribe(id); len(snap.State.Participants) != 3 {
		t.Errorf("%d players; want the 3 joins within the burst", len(snap.State.Participants))
	}
	// The same address is refused over HTTP too.
	if status, _ := nodePostStatus(t, hs, "/api/tournaments/"+id+"/players", "", map[string]any{"name": "p8"}, &struct{}{}); status != 429 {
		t.Errorf("HTTP join after the socket's joins: %d; want 429", status)
	}
}

// TestWSClaimsBounded: a socket holds the keys of at most 64 tournaments, by auth or by join;
// past that both are refused with a code that says so (the join is not committed), while a
// tournament whose key it holds may still be authenticated again. Unsubscribing forgets the
// tournament's key, which makes room (and the socket may no longer report there).
func TestWSClaimsBounded(t *testing.T) {
	t.Parallel()
	tokens := command.NewTokens([]byte(wsTestSecret), 3600e9, nil)
	_, hs := nodeServer(t, api.Config{RatePerSec: 1000, Burst: 1000}, ws.Config{RatePerSec: 1000, Burst: 1000})
	c := nodeDial(t, hs)
	auth := func(ref, tid string) wsMsg {
		t.Helper()
		tok, err := tokens.Issue(command.Claims{Tournament: tid, Role: command.RoleOrganiser})
		if err != nil {
			t.Fatal(err)
		}
		c.send(map[string]any{"type": "auth", "ref": ref, "token": tok})
		return c.read()
	}
	for i := range 64 {
		if m := auth("a", fmt.Sprint("t_held", i)); m.Type != "auth_ok" {
			t.Fatalf("auth %d: %+v", i, m)
		}
	}
	if m := auth("over", "t_one_more"); m.Type != "error" || m.Code != command.CodeTooManyTournaments || !strings.Contains(m.Message, "64") {
		t.Errorf("the 65th tournament's auth: %+v; want too_many_tournaments", m)
	}
	if m := auth("again", "t_held7"); m.Type != "auth_ok" {
		t.Errorf("auth again for a held tournament: %+v; want auth_ok", m)
	}
	id, _ := joinCup(t, hs, 8)
	c.send(map[string]any{"type": "join", "ref": "j", "tournament": id, "name": "Ada"})
	if m := c.expect("error"); m.Code != command.CodeTooManyTournaments {
		t.Errorf("join as the 65th tournament: %+v; want too_many_tournaments", m)
	}
	if n := participants(t, hs, id); n != 0 {
		t.Errorf("%d players after the refused join; want 0", n)
	}
	c.send(map[string]any{"type": "unsubscribe", "ref": "u", "tournament": "t_held3"}) // never subscribed: still forgets
	c.expect("unsubscribed")
	c.send(map[string]any{"type": "report", "ref": "r", "tournament": "t_held3", "match": 1, "scores": [2]int{1, 0}, "submission_id": "s"})
	if m := c.expect("error"); m.Code != command.CodeUnauthorized {
		t.Errorf("report after unsubscribing: %+v; want unauthorized", m)
	}
	c.send(map[string]any{"type": "join", "ref": "j", "tournament": id, "name": "Ada"})
	if m := c.expect("joined"); m.PlayerID <= 0 {
		t.Errorf("join after unsubscribing from a held tournament: %+v; want joined", m)
	}
}
