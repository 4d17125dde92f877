package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"time"
)

// api calls one hub's HTTP API. Requests answered 429 or 503 are retried with jittered backoff
// until ctx ends, so a node's per-address API rate limit slows setup down instead of failing it.
type api struct {
	d  *dialer
	st *stats
}

// apiError is a non-2xx answer.
type apiError struct {
	Status int
	Code   string
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("http %d %s: %s", e.Status, e.Code, e.Body) }

func (a *api) do(ctx context.Context, client *http.Client, method, url, token string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	backoff := 50 * time.Millisecond
	for {
		trace := newConnTrace()
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace.hooks()), method, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("%s %s: %w (%s)", method, url, err, trace)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, url, err)
		}
		a.st.httpCalls.Add(1)
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			a.st.httpRetries.Add(1)
			if resp.StatusCode == http.StatusTooManyRequests {
				a.st.http429.Add(1)
			}
			wait := backoff/2 + time.Duration(rand.Int64N(int64(backoff)))
			if backoff < 2*time.Second {
				backoff *= 2
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			continue
		}
		if resp.StatusCode/100 != 2 {
			var e struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			_ = json.Unmarshal(b, &e)
			return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Body: string(b)}
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				return fmt.Errorf("%s %s: decode: %w", method, url, err)
			}
		}
		return nil
	}
}

// wireMatch is the part of a match the load generator reads.
type wireMatch struct {
	ID      int    `json:"id"`
	Round   int    `json:"round"`
	Status  string `json:"status"`
	Players [2]int `json:"players"` // 0: nobody yet (the hub may write 0 or null)
}

type wireEvent struct {
	Type    string      `json:"type"`
	Match   *wireMatch  `json:"match"`
	Matches []wireMatch `json:"matches"`
}

type wireState struct {
	ID      string      `json:"id"`
	Status  string      `json:"status"`
	Version int64       `json:"version"`
	Matches wireMatches `json:"matches"`
}

// wireMatches reads a state's matches in either protocol version's form: v1's objects, or a v2
// snapshot's compact lists (readMatches).
type wireMatches []wireMatch

func (ms *wireMatches) UnmarshalJSON(b []byte) error {
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(b)
	if err != nil {
		return err
	}
	out, err := readMatches(v)
	if err != nil {
		return err
	}
	*ms = out
	return nil
}

type created struct {
	Tournament     wireState `json:"tournament"`
	OrganiserToken string    `json:"organiser_token"`
}

type joined struct {
	PlayerID int    `json:"player_id"`
	Token    string `json:"token"`
	Version  int64  `json:"version"`
}

type applied struct {
	Version int64       `json:"version"`
	Events  []wireEvent `json:"events"`
}

func (a *api) create(ctx context.Context, c *http.Client, node, name, format string, maxPlayers int) (created, error) {
	var out created
	err := a.do(ctx, c, http.MethodPost, node+"/api/tournaments", "", map[string]any{
		"name": name, "format": format, "best_of": 1, "max_players": maxPlayers,
	}, &out)
	return out, err
}

func (a *api) join(ctx context.Context, c *http.Client, node, tid, name string) (joined, error) {
	var out joined
	err := a.do(ctx, c, http.MethodPost, node+"/api/tournaments/"+tid+"/players", "", map[string]any{"name": name}, &out)
	return out, err
}

func (a *api) start(ctx context.Context, c *http.Client, node, tid, token string) (applied, error) {
	var out applied
	err := a.do(ctx, c, http.MethodPost, node+"/api/tournaments/"+tid+"/start", token, struct{}{}, &out)
	return out, err
}

func (a *api) state(ctx context.Context, c *http.Client, node, tid string) (wireState, error) {
	var out wireState
	err := a.do(ctx, c, http.MethodGet, node+"/api/tournaments/"+tid, "", nil, &out)
	return out, err
}

func (a *api) result(ctx context.Context, c *http.Client, node, tid, token string, mid int, scores [2]int, sub string) (applied, error) {
	var out applied
	err := a.do(ctx, c, http.MethodPost, fmt.Sprintf("%s/api/tournaments/%s/matches/%d/result", node, tid, mid), token,
		map[string]any{"scores": scores, "submission_id": sub}, &out)
	return out, err
}
