package redisstore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unsafe"
)

// The pub/sub payload of a commit (docs/redis.md#keys): what a node publishes, and what the nodes
// that watch the tournament read to deliver it and to bring their cached state forward.

// published is the pub/sub message of one commit, as parsePayload reads it.
type published struct {
	Epoch   string
	Version int64
	// Events are the commit's events, a JSON array, as the log holds them.
	Events json.RawMessage
	// Rev names the commit and Prev the one it was applied to (empty for a create): a node checks
	// that a commit continues the history it delivered (see store.Entry).
	Rev  string
	Prev string
	// Fields let the nodes that watch the tournament bring their cached state from Version-1 to
	// Version without reading it back: the state hash fields the commit wrote (field -> value) or
	// deleted (field -> null), a JSON object. Without them every commit by another node would leave
	// the cache stale, and a node's next command would lose its compare-and-set. Empty for a create.
	Fields json.RawMessage
	// Command is the command the commit applied (JSON, as the log's c), in messages of format
	// tourhub/3: a node whose cached state is the one the command was applied to replays it
	// through the engine instead of decoding the events and the fields, and keeps the outcome
	// only if it encodes to the same bytes (see Store.replay). Empty for a create and tourhub/2.
	Command json.RawMessage
}

// payloadTag starts every published message (docs/redis.md): a node that does not know it
// reads the commit from the log instead. A node still reads payloadTag2's messages, which carry
// no command: those of a hub of the version before, during an upgrade.
const (
	payloadTag  = "tourhub/3"
	payloadTag2 = "tourhub/2"
)

// bytesOf is s's bytes, shared with s: never written.
func bytesOf(s string) json.RawMessage { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// payload builds the published message: a header line, then the events, the fields and the
// command as they are (already compact JSON, so nothing is encoded again), so that a watching
// node reads the message without scanning its JSON:
//
//	tourhub/3 <epoch> <version> <rev> <prev or -> <bytes of events> <bytes of fields>\n<events><fields><command>
//
// fields is fieldSet.object's; a create has no prev, no fields and no command (its sizes are
// left out). The epoch (hex, newEpoch) and the revs (base 36) need no escaping.
func payload(epoch string, version int64, events []byte, rev, prev, fields string, command []byte) string {
	var b strings.Builder
	b.Grow(90 + len(events) + len(fields) + len(command))
	b.WriteString(payloadTag)
	b.WriteByte(' ')
	b.WriteString(epoch)
	b.WriteByte(' ')
	b.WriteString(strconv.FormatInt(version, 10))
	b.WriteByte(' ')
	b.WriteString(rev)
	b.WriteByte(' ')
	if prev == "" {
		b.WriteByte('-')
	} else {
		b.WriteString(prev)
	}
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(events)))
	if prev == "" { // a create: no fields, watchers that cache the state read it
		b.WriteByte('\n')
		b.Write(events)
		return b.String()
	}
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(fields)))
	b.WriteByte('\n')
	b.Write(events)
	b.WriteString(fields)
	b.Write(command)
	return b.String()
}

// parsePayload reads a published message, of format tourhub/3 or tourhub/2 (no command). It
// checks the header and the sizes, not the JSON in them: the events are decoded when they are
// delivered, the fields when the state is needed. The events, fields and command it gives are
// raw's bytes, not copies: they must only be read (they are: the fan-out copies the events into
// its messages, and the JSON decoders do not write).
func parsePayload(raw string) (published, error) {
	bad := func(why string) (published, error) {
		return published{}, fmt.Errorf("redisstore: published message: %s", why)
	}
	head, body, ok := strings.Cut(raw, "\n")
	if !ok {
		return bad("no header line")
	}
	parts := strings.Split(head, " ")
	v3 := parts[0] == payloadTag
	if !v3 && parts[0] != payloadTag2 || len(parts) < 6 {
		return bad(fmt.Sprintf("header %.60q is not %s <epoch> <version> <rev> <prev> <size> <size>", head, payloadTag))
	}
	version, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || version < 1 {
		return bad("bad version")
	}
	if parts[3] == "" || parts[3] == "-" {
		return bad("no rev")
	}
	n, err := strconv.Atoi(parts[5])
	if err != nil || n < 2 || n > len(body) {
		return bad("bad size of events")
	}
	m := published{Epoch: parts[1], Version: version, Rev: parts[3], Events: bytesOf(body[:n])}
	create := parts[4] == "-"
	switch {
	case create && (len(parts) != 6 || n != len(body) || version != 1):
		return bad("no prev, which only a create (version 1, no fields) may lack")
	case create:
		return m, nil
	case !v3 && len(parts) != 6:
		return bad("a tourhub/2 header has 6 parts")
	case !v3:
		m.Prev, m.Fields = parts[4], bytesOf(body[n:])
	case len(parts) != 7:
		return bad("a tourhub/3 header after a create has 7 parts")
	default:
		f, err := strconv.Atoi(parts[6])
		if err != nil || f < 2 || f > len(body)-n {
			return bad("bad size of fields")
		}
		m.Prev, m.Fields, m.Command = parts[4], bytesOf(body[n:n+f]), bytesOf(body[n+f:])
	}
	if len(m.Fields) < 2 {
		return bad("no fields")
	}
	return m, nil
}
