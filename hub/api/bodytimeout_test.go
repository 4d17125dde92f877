package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/tourhub/tourhub/hub/api"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// safety bounds how long a test waits for an answer the hub owes: far past the body timeouts
// used here, it only ends a test whose hub never answers.
const safety = 10 * time.Second

// rawRequest writes head and body on a fresh TCP connection to e and returns the connection
// with a reader on it.
func rawRequest(t *testing.T, e *env, head, body string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", e.http.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head+body); err != nil {
		t.Fatal(err)
	}
	return conn, bufio.NewReader(conn)
}

// TestBodyTimeout: a client that sends the headers and half a body gets a 400 once the body
// timeout has passed, and the connection is closed; before, the hub waited for the rest for as
// long as the client kept the connection open.
func TestBodyTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, api.Config{BodyTimeout: 200 * time.Millisecond})
	const whole = `{"name":"Cup","format":"single_elimination"}`
	half := whole[:len(whole)/2]
	for _, tc := range []struct {
		name, head string
	}{
		{"content-length", fmt.Sprintf("POST /api/tournaments HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(whole))},
		{"chunked", "POST /api/tournaments HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
			fmt.Sprintf("%x\r\n", len(half))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conn, br := rawRequest(t, e, tc.head, half)
			_ = conn.SetReadDeadline(time.Now().Add(safety))
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer to half a body within %s: %v", safety, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var body struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(b, &body)
			if resp.StatusCode != http.StatusBadRequest || body.Error.Code != "bad_request" || !strings.Contains(body.Error.Message, "did not arrive within 200ms") {
				t.Errorf("half a body: %d %s; want 400 bad_request saying the body did not arrive within 200ms", resp.StatusCode, b)
			}
			if _, err := br.ReadByte(); err != io.EOF {
				t.Errorf("after the answer: read %v; want EOF (the connection closed)", err)
			}
		})
	}
}

// TestBodyTimeoutSpares verifies what the deadline must not cut: a body that arrives in
// pieces within the timeout; a handler that runs past the deadline after the whole body is in
// (a read deadline that passed during net/http's background read would cancel the request's
// context; net/http clears it when that read starts); the next request on the connection; and
// WebSockets, which are hijacked.
func TestBodyTimeoutSpares(t *testing.T) {
	t.Parallel()
	const whole = `{"name":"Cup","format":"single_elimination"}`
	head := fmt.Sprintf("POST /api/tournaments HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(whole))
	read := func(t *testing.T, br *bufio.Reader) (int, string) {
		t.Helper()
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}

	t.Run("body in pieces", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, api.Config{BodyTimeout: safety / 2})
		conn, br := rawRequest(t, e, head, whole[:10])
		_ = conn.SetReadDeadline(time.Now().Add(safety))
		time.Sleep(20 * time.Millisecond)
		if _, err := io.WriteString(conn, whole[10:]); err != nil {
			t.Fatal(err)
		}
		if code, b := read(t, br); code != http.StatusCreated {
			t.Errorf("body in two pieces within the timeout: %d %s; want 201", code, b)
		}
	})

	const timeout = 100 * time.Millisecond
	// The handler of this env takes three timeouts to create a tournament (its store's Create is
	// slow), and notes whether its request's context was cancelled meanwhile.
	handlerErr := make(chan error, 1)
	e := newEnvWith(t, api.Config{BodyTimeout: timeout}, envOpts{wrap: func(st store.Store) store.Store {
		return slowCreate{Store: st, delay: 3 * timeout, ctxErr: handlerErr}
	}})

	t.Run("handler past the deadline, then the next request", func(t *testing.T) {
		conn, br := rawRequest(t, e, head, whole)
		_ = conn.SetReadDeadline(time.Now().Add(safety))
		if code, b := read(t, br); code != http.StatusCreated {
			t.Fatalf("request whose handler outlives the body timeout: %d %s; want 201", code, b)
		}
		if err := <-handlerErr; err != nil {
			t.Errorf("the request's context in a handler running past the body timeout: %v; want not cancelled", err)
		}
		if _, err := io.WriteString(conn, head+whole); err != nil {
			t.Fatal(err)
		}
		if code, b := read(t, br); code != http.StatusCreated {
			t.Errorf("second request on the connection: %d %s; want 201", code, b)
		}
	})

	t.Run("websocket", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), safety)
		defer cancel()
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.http.URL, "http")+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()
		time.Sleep(timeout * 3)
		if err := wsjson.Write(ctx, conn, map[string]any{"type": "ping", "ref": "p1"}); err != nil {
			t.Fatal(err)
		}
		for {
			var m map[string]any
			if err := wsjson.Read(ctx, conn, &m); err != nil {
				t.Fatalf("socket after the body timeout: %v; want it open", err)
			}
			if m["type"] == "pong" {
				break
			}
		}
		conn.Close(websocket.StatusNormalClosure, "")
	})
}

// slowCreate is a store whose Create takes delay longer and sends the state of its context then.
type slowCreate struct {
	store.Store
	delay  time.Duration
	ctxErr chan error
}

func (s slowCreate) Create(ctx context.Context, id string, cmd match.Command, at time.Time) (store.Applied, error) {
	time.Sleep(s.delay)
	select {
	case s.ctxErr <- ctx.Err():
	default:
	}
	return s.Store.Create(ctx, id, cmd, at)
}
