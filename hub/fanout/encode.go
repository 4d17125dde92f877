package fanout

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tourhub/tourhub/hub/sock"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/view"
	"github.com/tourhub/tourhub/match"
)

// The messages the table encodes: events and snapshots (once per version per node, shared.go), the
// subscribed answer, and the notices (notice.go). docs/protocol.md has every one of them.

// encodeEvent encodes the event message of e. The events go in as the store holds them when it
// has them (e.Raw), so that a node does not encode every entry again.
func encodeEvent(id, epoch string, e store.Entry) (Msg, error) {
	events := e.Raw
	if len(events) == 0 {
		var err error
		evs := e.Events
		if evs == nil {
			evs = []match.Event{} // [] in JSON, not null
		}
		if events, err = json.Marshal(evs); err != nil {
			return Msg{}, fmt.Errorf("encode event %d: %w", e.Version, err)
		}
	}
	b := make([]byte, 0, 80+len(id)+len(epoch)+len(e.Rev)+len(events))
	b = append(b, `{"type":"event","tournament":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"epoch":`...)
	b = appendJSONString(b, epoch)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, e.Version, 10)
	b = append(b, `,"rev":`...)
	b = appendJSONString(b, e.Rev)
	b = append(b, `,"events":`...)
	b = append(b, events...)
	b = append(b, '}')
	return withDeflated(Msg{Data: b, Kind: "event"}), nil
}

// withDeflated adds to m, a message every subscriber may be sent, its compressed form for the
// sockets that negotiated compression (sock.AppendDeflate), when it shrinks. Both forms are one
// allocation, the plain one first, as the shared cache keeps them.
func withDeflated(m Msg) Msg {
	if len(m.Data) < sock.DeflateMin {
		return m
	}
	buf := make([]byte, len(m.Data), len(m.Data)+len(m.Data)/4+64)
	copy(buf, m.Data)
	out, ok := sock.AppendDeflate(buf, m.Data)
	if !ok {
		return m
	}
	n := len(m.Data)
	m.Data, m.Deflated = out[:n:n], out[n:len(out):len(out)]
	return m
}

// appendJSONString appends s as a JSON string, as encoding/json writes it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// encodeSubscribed encodes the subscribed answer: where the catch-up leaves the socket.
func encodeSubscribed(ref, id string, at store.Position, recovered bool) Msg {
	b, _ := json.Marshal(struct {
		Type       string `json:"type"`
		Ref        string `json:"ref,omitempty"`
		Tournament string `json:"tournament"`
		Epoch      string `json:"epoch"`
		Version    int64  `json:"version"`
		Rev        string `json:"rev"`
		Recovered  bool   `json:"recovered"`
	}{"subscribed", ref, id, at.Epoch, at.Version, at.Rev, recovered}) // strings and numbers: cannot fail
	return Msg{Data: b, Kind: "subscribed"}
}

func encodeSnapshot(id string, head store.Position, t *match.Tournament) (Msg, error) {
	b, err := json.Marshal(struct {
		Type       string    `json:"type"`
		Tournament string    `json:"tournament"`
		Epoch      string    `json:"epoch"`
		Version    int64     `json:"version"`
		Rev        string    `json:"rev"`
		State      view.View `json:"state"`
	}{"snapshot", id, head.Epoch, head.Version, head.Rev, view.NewView(t, head)})
	if err != nil {
		return Msg{}, fmt.Errorf("encode snapshot: %w", err)
	}
	return withDeflated(Msg{Data: b, Kind: "snapshot"}), nil
}
