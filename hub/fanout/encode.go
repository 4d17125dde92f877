package fanout

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tourhub/tourhub/hub/sock"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/view"
	"github.com/tourhub/tourhub/hub/wire"
	"github.com/tourhub/tourhub/internal/jsonw"
	"github.com/tourhub/tourhub/match"
)

// The messages the table encodes: events and snapshots (once per version per node, shared.go), the
// subscribed answer, and the notices (notice.go). docs/protocol.md has every one of them.

// forms says which forms of a message to make or to compress: v1's (Msg.Data) and v2's
// (Msg.Compact).
type forms struct{ v1, v2 bool }

// bothForms is every form: v1's and v2's.
var bothForms = forms{v1: true, v2: true}

// encodeEvent encodes the event message of e in the protocol versions plain asks for (none: v1's):
// v1's (the events go in as the store holds them when it has them, e.Raw, so that a node does not
// encode every entry again) and v2's compact form (wire). A v2 event carries no epoch: a socket is
// only sent an event that follows what it has (topic.queue), so its epoch is the one of the
// socket's last snapshot or subscribed. A form left out is nil: such a message may only be queued
// for sockets of the other version (a live event goes to the topic's subscribers of the moment,
// formsLocked).
//
// deflate says which forms are compressed (when long enough): those a subscriber can use. compact,
// if not nil, is the v2 form as the committing node encoded it (annex.go), used as it is.
func encodeEvent(id, epoch string, e store.Entry, plain, deflate forms, compact []byte) (Msg, error) {
	if plain == (forms{}) {
		plain.v1 = true
	}
	size := len(e.Raw)
	if size == 0 {
		size = 64 + 320*len(e.Events) // most events carry a match of about 300 bytes
	}
	// Both forms in one buffer (the compact one is about half the other): for the events of a
	// result, too short to compress, that is the message's one allocation.
	full := 80 + len(id) + len(epoch) + len(e.Rev) + size
	v1, v2 := 0, 0
	if plain.v1 {
		v1 = full
	}
	if plain.v2 {
		v2 = full/2 + 32
		if compact != nil {
			v2 = len(compact)
		}
	}
	b := make([]byte, 0, v1+v2)
	if plain.v1 {
		b = append(b, `{"type":"event","tournament":`...)
		b = jsonw.AppendString(b, id)
		b = append(b, `,"epoch":`...)
		b = jsonw.AppendString(b, epoch)
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, e.Version, 10)
		b = append(b, `,"rev":`...)
		b = jsonw.AppendString(b, e.Rev)
		b = append(b, `,"events":`...)
		if len(e.Raw) > 0 {
			b = append(b, e.Raw...)
		} else {
			var err error
			if b, err = match.AppendEvents(b, e.Events); err != nil { // none: []
				return Msg{}, fmt.Errorf("encode event %d: %w", e.Version, err)
			}
		}
		b = append(b, '}')
	}
	n := len(b)
	if plain.v2 {
		var err error
		if compact != nil {
			b = append(b, compact...) // within the capacity: one allocation
		} else if b, err = wire.AppendEvent(b, id, e.Version, e.Rev, e.Events); err != nil {
			return Msg{}, fmt.Errorf("encode event %d (v2): %w", e.Version, err)
		}
	}
	m := Msg{Kind: "event"}
	if plain.v1 {
		m.Data = b[:n:n]
	}
	if plain.v2 {
		m.Compact = b[n:len(b):len(b)]
	}
	if (n < sock.DeflateMin || !deflate.v1) && (len(m.Compact) < sock.DeflateMin || !deflate.v2) {
		return m, nil // nothing to compress: packed would copy the same two forms
	}
	return packed(m, deflate), nil
}

// packed puts m's forms (a message every subscriber may be sent: Data, and Compact if it has
// one) into one allocation, each followed by its compressed form for the sockets that negotiated
// compression (sock.AppendDeflate) when deflate asks for it, it is long enough and it shrinks: the
// shared cache keeps them together, so that whichever form a socket holds keeps them all.
func packed(m Msg, deflate forms) Msg {
	deflated := func(b []byte, want bool) []byte {
		if !want || len(b) < sock.DeflateMin {
			return nil
		}
		z, ok := sock.AppendDeflate(nil, b)
		if !ok {
			return nil
		}
		return z
	}
	dz, cz := deflated(m.Data, deflate.v1), deflated(m.Compact, deflate.v2)
	buf := make([]byte, 0, len(m.Data)+len(dz)+len(m.Compact)+len(cz))
	part := func(b []byte) []byte {
		if len(b) == 0 {
			return nil
		}
		start := len(buf)
		buf = append(buf, b...) // within the capacity: one allocation
		return buf[start:len(buf):len(buf)]
	}
	m.Data, m.Deflated, m.Compact, m.CompactDeflated = part(m.Data), part(dz), part(m.Compact), part(cz)
	return m
}

// encodeSubscribed encodes the subscribed answer: where the catch-up leaves the socket. It is
// written as encoding/json writes its members (ref omitted when empty), without reflection: every
// subscribe of every socket gets one (TestSubscribedAsEncodingJSON).
func encodeSubscribed(ref, id string, at store.Position, recovered bool) Msg {
	b := make([]byte, 0, 128+len(ref)+len(id)+len(at.Epoch)+len(at.Rev))
	b = wire.AppendHead(b, "subscribed", ref, id)
	b = append(b, `,"epoch":`...)
	b = jsonw.AppendString(b, at.Epoch)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, at.Version, 10)
	b = append(b, `,"rev":`...)
	b = jsonw.AppendString(b, at.Rev)
	b = append(b, `,"recovered":`...)
	b = strconv.AppendBool(b, recovered)
	return Msg{Data: append(b, '}'), Kind: "subscribed"}
}

// encodeSnapshot encodes the snapshot message of t at head: in v1's form, or in v2's (compact),
// whose state's matches and standings are compact (wire), written as the state's last fields.
func encodeSnapshot(id string, head store.Position, t *match.Tournament, compact bool) (Msg, error) {
	v := view.NewView(t, head)
	matches, standings := v.Matches, v.Standings
	if compact {
		v.Matches, v.Standings = nil, nil // left out (omitzero), and written below
	}
	b, err := json.Marshal(struct {
		Type       string    `json:"type"`
		Tournament string    `json:"tournament"`
		Epoch      string    `json:"epoch"`
		Version    int64     `json:"version"`
		Rev        string    `json:"rev"`
		State      view.View `json:"state"`
	}{"snapshot", id, head.Epoch, head.Version, head.Rev, v})
	if err != nil {
		return Msg{}, fmt.Errorf("encode snapshot: %w", err)
	}
	if compact {
		b = append(b[:len(b)-2], `,"matches":`...) // before the state's and the message's "}}"
		if b, err = wire.AppendMatches(b, matches); err != nil {
			return Msg{}, fmt.Errorf("encode snapshot (v2): %w", err)
		}
		b = append(b, `,"standings":`...)
		if b, err = wire.AppendStandings(b, standings); err != nil {
			return Msg{}, fmt.Errorf("encode snapshot (v2): %w", err)
		}
		b = append(b, "}}"...)
	}
	return packed(Msg{Data: b, Kind: "snapshot"}, bothForms), nil
}
