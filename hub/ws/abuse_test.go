package ws_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tourhub/tourhub/hub/command"
	"github.com/tourhub/tourhub/hub/ws"
	"github.com/tourhub/tourhub/match"
)

// TestWSBadInput sends every kind of bad input, each on its own socket, and checks the answer and
// that the node still serves a well-behaved client afterwards.
func TestWSBadInput(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{})
	ids := n.tourneyWith(t, "tb", match.Settings{Format: match.SingleElimination}, "Ada", "Grace", "Linus", "Ken")
	start := n.apply(t, "tb", match.Command{Type: match.CmdStart})
	n.tourney(t, "other", "X")
	// A match Ada is not in.
	var foreign match.MatchID
	for _, m := range n.load(t, "tb").Matches {
		if m.Status == match.MatchReady && m.Players[0] != ids[0] && m.Players[1] != ids[0] {
			foreign = m.ID
		}
	}
	if foreign == 0 {
		t.Fatal("no ready match without Ada")
	}
	ada := n.token(t, command.Claims{Tournament: "tb", Role: command.RolePlayer, Player: int(ids[0])})
	forged := command.NewTokens([]byte("another secret"), time.Hour, nil)
	forgedTok, err := forged.Issue(command.Claims{Tournament: "tb", Role: command.RoleOrganiser})
	if err != nil {
		t.Fatal(err)
	}
	expiredTok, err := command.NewTokens([]byte(wsTestSecret), time.Minute, func() time.Time { return time.Now().Add(-time.Hour) }).
		Issue(command.Claims{Tournament: "tb", Role: command.RoleOrganiser})
	if err != nil {
		t.Fatal(err)
	}

	// Every frame that is not JSON text, not a message object or not of a known type counts as
	// invalid (six of the cases below), once their parallel runs are over.
	t.Cleanup(func() {
		if got := n.metric(t, "tourhub_ws_messages_in_total", "type", "invalid"); got < 6 {
			t.Errorf(`tourhub_ws_messages_in_total{type="invalid"} = %v; want at least 6`, got)
		}
	})
	for _, tc := range []struct {
		name      string
		protocols []string
		before    []string // raw frames sent first, answers skipped
		frame     string
		binary    bool
		code      string
		ref       string
	}{
		{name: "not JSON", frame: `{"type":`, code: command.CodeBadMessage},
		{name: "JSON array", frame: `[1,2]`, code: command.CodeBadMessage},
		{name: "wrong field type", frame: `{"type":"subscribe","ref":"w","tournament":5}`, code: command.CodeBadMessage, ref: "w"},
		{name: "no type", frame: `{"ref":"m","tournament":"tb"}`, code: command.CodeBadMessage, ref: "m"},
		{name: "unknown type", frame: `{"type":"launch","ref":"u"}`, code: command.CodeBadMessage, ref: "u"},
		{name: "subscribe without tournament", frame: `{"type":"subscribe","ref":"s"}`, code: command.CodeBadMessage, ref: "s"},
		{name: "negative version", frame: `{"type":"subscribe","ref":"s","tournament":"tb","epoch":"e","version":-1}`, code: command.CodeBadMessage, ref: "s"},
		{name: "unsubscribe without tournament", frame: `{"type":"unsubscribe","ref":"s"}`, code: command.CodeBadMessage, ref: "s"},
		{name: "auth without token", frame: `{"type":"auth","ref":"a"}`, code: command.CodeBadMessage, ref: "a"},
		{name: "report without scores", frame: `{"type":"report","ref":"r","tournament":"tb","match":1,"submission_id":"x"}`, code: command.CodeBadMessage, ref: "r"},
		{name: "report with three scores", frame: `{"type":"report","ref":"r","tournament":"tb","match":1,"scores":[1,0,5],"submission_id":"x"}`, code: command.CodeBadMessage, ref: "r"},
		{name: "report with games not in pairs", frame: `{"type":"report","ref":"r","tournament":"tb","match":1,"scores":[1,0],"games":[[11,3,1]],"submission_id":"x"}`, code: command.CodeBadMessage, ref: "r"},
		{name: "report without submission id", frame: `{"type":"report","ref":"r","tournament":"tb","match":1,"scores":[1,0]}`, code: command.CodeBadMessage, ref: "r"},
		{name: "report without match", frame: `{"type":"report","ref":"r","tournament":"tb","scores":[1,0],"submission_id":"x"}`, code: command.CodeBadMessage, ref: "r"},
		{name: "ref too long", frame: `{"type":"ping","ref":"` + strings.Repeat("r", 65) + `"}`, code: command.CodeBadMessage},
		{name: "binary frame", frame: `{"type":"ping"}`, binary: true, code: command.CodeBadMessage},
		{name: "garbage token", frame: `{"type":"auth","ref":"g","token":"garbage"}`, code: command.CodeUnauthorized, ref: "g"},
		{name: "forged token", frame: `{"type":"auth","ref":"f","token":"` + forgedTok + `"}`, code: command.CodeUnauthorized, ref: "f"},
		{name: "expired token", frame: `{"type":"auth","ref":"e","token":"` + expiredTok + `"}`, code: command.CodeUnauthorized, ref: "e"},
		{name: "garbage subprotocol token", protocols: []string{"token.garbage"}, frame: `{"type":"ping","ref":"p"}`, code: command.CodeUnauthorized},
		{name: "report unauthenticated", frame: `{"type":"report","ref":"r","tournament":"tb","match":1,"scores":[1,0],"submission_id":"x"}`, code: command.CodeUnauthorized, ref: "r"},
		{name: "report in another tournament", protocols: []string{"token." + ada}, before: []string{"auth_ok"},
			frame: `{"type":"report","ref":"r","tournament":"other","match":1,"scores":[1,0],"submission_id":"x"}`, code: command.CodeUnauthorized, ref: "r"},
		{name: "report someone else's match", protocols: []string{"token." + ada}, before: []string{"auth_ok"},
			frame: `{"type":"report","ref":"r","tournament":"tb","match":` + wsItoa(int(foreign)) + `,"scores":[1,0],"submission_id":"x"}`,
			code:  string(match.CodeNotInMatch), ref: "r"},
		{name: "report an unknown match", protocols: []string{"token." + ada}, before: []string{"auth_ok"},
			frame: `{"type":"report","ref":"r","tournament":"tb","match":999,"scores":[1,0],"submission_id":"y"}`,
			code:  string(match.CodeUnknownMatch), ref: "r"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := n.dial(t, tc.protocols...)
			for _, typ := range tc.before {
				c.expect(typ)
			}
			typ := websocket.MessageText
			if tc.binary {
				typ = websocket.MessageBinary
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := c.c.Write(ctx, typ, []byte(tc.frame)); err != nil {
				t.Fatal(err)
			}
			e := c.expect("error")
			if e.Code != tc.code || e.Ref != tc.ref || e.Message == "" {
				t.Errorf("got error %q ref %q (%s); want %q ref %q", e.Code, e.Ref, e.Message, tc.code, tc.ref)
			}
			// The socket stays open.
			c.send(map[string]any{"type": "ping", "ref": "after"})
			for {
				m := c.read()
				if m.Type == "pong" && m.Ref == "after" {
					break
				}
			}
		})
	}

	t.Run("oversized frame", func(t *testing.T) {
		t.Parallel()
		c := n.dial(t)
		big := `{"type":"ping","ref":"` + strings.Repeat("x", 17<<10) + `"}`
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c.c.Write(ctx, websocket.MessageText, []byte(big)) // may fail once the server closes
		if got := c.closeStatus(); got != websocket.StatusMessageTooBig {
			t.Errorf("closed with %d; want %d", got, websocket.StatusMessageTooBig)
		}
	})
	t.Run("foreign origin", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, resp, err := websocket.Dial(ctx, n.srv.URL, &websocket.DialOptions{
			HTTPHeader: http.Header{"Origin": {"https://evil.example"}},
		})
		if err == nil {
			t.Fatal("dial succeeded; want refused")
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("got %v; want 403", resp)
		}
	})
	t.Run("protocol abuse", func(t *testing.T) {
		t.Parallel()
		c := n.dial(t)
		for range 10 {
			c.sendRaw([]byte(`nonsense`))
		}
		if got := c.closeStatus(); got != websocket.StatusPolicyViolation {
			t.Errorf("closed with %d; want %d", got, websocket.StatusPolicyViolation)
		}
	})
	t.Run("flood", func(t *testing.T) {
		t.Parallel()
		c := n.dial(t)
		// The burst is 40: the rest of 100 at once is mostly dropped.
		for i := range 100 {
			c.send(map[string]any{"type": "ping", "ref": wsItoa(i)})
		}
		limited := 0
		for {
			m := c.read()
			if m.Type == "error" {
				if m.Code != command.CodeRateLimited {
					t.Fatalf("got %+v; want rate_limited", m)
				}
				limited++
			}
			if m.Ref == "99" {
				break
			}
		}
		if limited == 0 {
			t.Error("no message was rate limited")
		}
	})

	// After all that, a well-behaved client is served.
	t.Cleanup(func() {
		c := n.dial(t)
		sub, _ := c.subscribe("tb")
		if sub.Version != start.Version {
			t.Errorf("subscribed at %d; want %d", sub.Version, start.Version)
		}
	})
}

// TestWSFloodCloses checks that a socket that keeps flooding is closed with 4008.
func TestWSFloodCloses(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{cfg: ws.Config{RatePerSec: 1, Burst: 1, MaxDropped: 20}})
	c := n.dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 50 {
		if err := c.c.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
			break // closed already
		}
	}
	if got := c.closeStatus(); got != 4008 {
		t.Errorf("closed with %d; want 4008", got)
	}
	// Another socket is fine.
	other := n.dial(t)
	other.send(map[string]any{"type": "ping", "ref": "ok"})
	if m := other.expect("pong"); m.Ref != "ok" {
		t.Errorf("pong ref %q; want ok", m.Ref)
	}
}

func wsItoa(i int) string {
	b := []byte{}
	if i == 0 {
		return "0"
	}
	for i > 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}

// TestWSTooManySubscriptions: a socket may watch at most 64 tournaments; the 65th subscribe gets
// an error and changes nothing, the socket stays open, and unsubscribing frees a slot. Failed
// subscriptions (not_found) count until they are unsubscribed.
func TestWSTooManySubscriptions(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{cfg: ws.Config{RatePerSec: 1000, Burst: 1000}})
	n.tourney(t, "real")
	n.tourney(t, "late")
	c := n.dial(t)
	c.subscribe("real")
	for i := range 63 {
		c.send(map[string]any{"type": "subscribe", "ref": "b" + wsItoa(i), "tournament": "nope" + wsItoa(i)})
		if e := c.expect("error"); e.Code != command.CodeNotFound {
			t.Fatalf("subscribe to a missing tournament: %+v; want not_found", e)
		}
	}
	c.send(map[string]any{"type": "subscribe", "ref": "over", "tournament": "late"})
	if e := c.expect("error"); e.Code != command.CodeTooManySubscriptions || e.Ref != "over" || e.Message == "" {
		t.Fatalf("65th subscription: %+v; want too_many_subscriptions", e)
	}
	// Subscribing again to one it has is not a new subscription.
	c.send(map[string]any{"type": "subscribe", "ref": "again", "tournament": "real"})
	if sub := c.expect("subscribed"); sub.Ref != "again" {
		t.Fatalf("resubscribe: %+v", sub)
	}
	c.expect("snapshot")
	c.send(map[string]any{"type": "unsubscribe", "ref": "u", "tournament": "nope0"})
	c.expect("unsubscribed")
	c.subscribe("late")
}

// readClose reads server frames until a close frame and returns its code and how many frames
// of opcode skip came before it; it fails on a frame of another kind (but the node's pings).
func (r *rawSocket) readClose(skip byte) (code int, skipped int) {
	r.t.Helper()
	for {
		op, p := r.read()
		switch op {
		case 0x8:
			if len(p) < 2 {
				r.t.Fatalf("close frame %q without a code", p)
			}
			return int(p[0])<<8 | int(p[1]), skipped
		case skip:
			skipped++
		case 0x9:
		default:
			r.t.Fatalf("got a frame of opcode %x %q; want a close frame", op, p)
		}
	}
}

// TestWSControlFrameFlood: pings and pongs count against a socket's message budget like
// messages, whether the parked socket's reader reads them or the websocket package does: past
// the burst they are dropped (a ping gets no pong), and a flood is closed with 4008.
func TestWSControlFrameFlood(t *testing.T) {
	for _, noPark := range []bool{false, true} {
		for _, tc := range []struct {
			name string
			op   byte
		}{{"pings", 0x9}, {"pongs", 0xa}} {
			t.Run(fmt.Sprintf("%s/nopark=%v", tc.name, noPark), func(t *testing.T) {
				t.Parallel()
				const burst, dropped = 5, 50
				n := newWSNode(t, wsNodeOpts{cfg: ws.Config{NoPark: noPark, RatePerSec: 1, Burst: burst, MaxDropped: dropped}})
				r := dialRaw(t, n.srv.URL)
				var flood []byte
				for range 4 * dropped {
					flood = append(flood, frame(tc.op, []byte("x"))...)
				}
				if _, err := r.c.Write(flood); err != nil {
					t.Fatal(err)
				}
				code, pongs := r.readClose(0xa)
				if code != 4008 {
					t.Errorf("closed with %d; want 4008", code)
				}
				if pongs > burst+1 {
					t.Errorf("%d of %d pings answered; want at most the burst (%d)", pongs, 4*dropped, burst)
				}
			})
		}
	}
}

// TestWSProtocolErrors: a text frame that is not UTF-8 closes the socket with 1007, a frame the
// client did not mask with 1002 (RFC 6455, 5.1 and 8.1), whether the socket parks or not.
func TestWSProtocolErrors(t *testing.T) {
	ping := []byte(`{"type":"ping","ref":"p"}`)
	for _, noPark := range []bool{false, true} {
		for _, tc := range []struct {
			name  string
			frame []byte
			code  int
		}{
			{"invalid UTF-8", frame(0x1, []byte("{\"type\":\"ping\",\"ref\":\"\xff\xfe\"}")), 1007},
			{"unmasked", append([]byte{0x81, byte(len(ping))}, ping...), 1002},
			{"unmasked after a message", append(frame(0x1, ping), append([]byte{0x81, byte(len(ping))}, ping...)...), 1002},
		} {
			t.Run(fmt.Sprintf("%s/nopark=%v", tc.name, noPark), func(t *testing.T) {
				t.Parallel()
				n := newWSNode(t, wsNodeOpts{cfg: ws.Config{NoPark: noPark}})
				r := dialRaw(t, n.srv.URL)
				if _, err := r.c.Write(tc.frame); err != nil {
					t.Fatal(err)
				}
				if code, _ := r.readClose(0x1); code != tc.code {
					t.Errorf("closed with %d; want %d", code, tc.code)
				}
			})
		}
	}
}

// TestWSPerAddressCap: one client address may hold MaxPerAddr sockets on a node; past that the
// upgrade is refused with 429 and a message saying what to do, and a socket closed frees a place.
// The address is WSConfig.ClientAddr's.
func TestWSPerAddressCap(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{cfg: ws.Config{MaxPerAddr: 3, ClientAddr: func(r *http.Request) string {
		return r.Header.Get("X-Test-Client") // as a proxy would forward it
	}}})
	dial := func(client string) (*websocket.Conn, *http.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, resp, err := websocket.Dial(ctx, n.srv.URL, &websocket.DialOptions{
			Subprotocols: []string{ws.Subprotocol},
			HTTPHeader:   http.Header{"Origin": {wsTestOrigin}, "X-Test-Client": {client}},
		})
		if c != nil {
			t.Cleanup(func() { c.CloseNow() })
		}
		return c, resp, err
	}
	var held []*websocket.Conn
	for range 3 {
		c, _, err := dial("a")
		if err != nil {
			t.Fatalf("dial within the cap: %v", err)
		}
		held = append(held, c)
	}
	_, resp, err := dial("a")
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("dial past the cap: %v, %v; want 429 with Retry-After", resp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "at most 3") {
		t.Errorf("refusal %q; want it to say the cap", body)
	}
	if _, _, err := dial("b"); err != nil {
		t.Errorf("another address was refused: %v", err)
	}
	if got := n.metric(t, "tourhub_ws_refused_total"); got != 1 {
		t.Errorf("tourhub_ws_refused_total = %v; want 1", got)
	}
	held[0].Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(10 * time.Second)
	for n.ws.Sockets() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sockets after one closed; want 3", n.ws.Sockets())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, _, err := dial("a"); err != nil {
		t.Errorf("dial after a socket closed: %v", err)
	}
}

// TestWSIdleSocketClosed: a socket that has neither subscribed nor authenticated IdleTimeout
// after it opened is closed with 4004; one that did either is not.
func TestWSIdleSocketClosed(t *testing.T) {
	t.Parallel()
	n := newWSNode(t, wsNodeOpts{cfg: ws.Config{IdleTimeout: 300 * time.Millisecond}})
	n.tourney(t, "ti", "Ada")
	sub := n.dial(t)
	sub.subscribe("ti")
	authed := n.dial(t)
	authed.send(map[string]any{"type": "auth", "token": n.token(t, command.Claims{Tournament: "ti", Role: command.RoleOrganiser})})
	authed.expect("auth_ok")
	idle := n.dial(t) // opened last: the others' idle checks are due before its own
	idle.send(map[string]any{"type": "ping", "ref": "only pings"})
	idle.expect("pong")
	if got := idle.closeStatus(); got != 4004 {
		t.Errorf("idle socket closed with %d; want 4004", got)
	}
	for _, c := range []*wsClient{sub, authed} {
		c.send(map[string]any{"type": "ping", "ref": "still"})
		if m := c.expect("pong"); m.Ref != "still" {
			t.Errorf("pong %+v; want ref still", m)
		}
	}
	if got := n.metric(t, "tourhub_ws_server_closes_total", "code", "4004"); got != 1 {
		t.Errorf("%v closes with 4004; want 1", got)
	}
}
