package redisstore

import (
	"encoding/json"
	"fmt"
	"slices"
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
	// Annex is what the committing node's handler made for the delivery (store.Annexer): the
	// watchers pass it on instead of decoding the events. Nil when the commit has none.
	Annex []byte
}

// payloadTag starts every published message (docs/redis.md) without an annex, annexTag every one
// with: a node that does not know the tag reads the commit from the log instead.
const (
	payloadTag = "tourhub/2"
	annexTag   = "tourhub/3"
)

// bytesOf is s's bytes, shared with s: never written.
func bytesOf(s string) json.RawMessage { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// appendPayload appends the published message to b: a header line, then the events, the annex
// (if any) and the fields as they are (already compact JSON, so nothing is encoded again), so
// that a watching node reads the message without scanning its JSON:
//
//	tourhub/2 <epoch> <version> <rev> <prev or -> <bytes of events>\n<events><fields>
//	tourhub/3 <epoch> <version> <rev> <prev or -> <bytes of events> <bytes of annex>\n<events><annex><fields>
//
// fields are fieldSet.appendObject's (recent, its appendRecent object when the caller has it); a
// create has no prev and no fields (nil). The epoch (hex, newEpoch) and the revs (base 36) need
// no escaping.
func appendPayload(b []byte, epoch string, version int64, events, annex []byte, rev, prev string, fields *fieldSet, recent []byte) []byte {
	b = slices.Grow(b, 96+len(events)+len(annex)) // the fields' object grows it for itself
	if len(annex) == 0 {
		b = append(b, payloadTag...)
	} else {
		b = append(b, annexTag...)
	}
	b = append(b, ' ')
	b = append(b, epoch...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, version, 10)
	b = append(b, ' ')
	b = append(b, rev...)
	b = append(b, ' ')
	if prev == "" {
		b = append(b, '-')
	} else {
		b = append(b, prev...)
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(events)), 10)
	if len(annex) > 0 {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(len(annex)), 10)
	}
	b = append(b, '\n')
	b = append(b, events...)
	b = append(b, annex...)
	if prev == "" { // a create: no fields, watchers that cache the state read it
		return b
	}
	return fields.appendObject(b, recent)
}

// parsePayload reads a published message. It checks the header and the sizes, not the JSON in
// them: the events are decoded when they are delivered, the fields when the state is needed. The
// events and fields it gives are raw's bytes, not copies: they must only be read (they are: the
// fan-out copies the events into its messages, and the JSON decoders do not write).
func parsePayload(raw string) (published, error) {
	bad := func(why string) (published, error) {
		return published{}, fmt.Errorf("redisstore: published message: %s", why)
	}
	head, body, ok := strings.Cut(raw, "\n")
	if !ok {
		return bad("no header line")
	}
	var parts [7]string // the header's words, read without allocating: six, or seven with an annex
	words := 0
	for rest := head; ; words++ {
		if words == len(parts) {
			words++ // more words than a header has
			break
		}
		word, after, more := strings.Cut(rest, " ")
		parts[words] = word
		if !more {
			words++
			break
		}
		rest = after
	}
	annexed := words == 7 && parts[0] == annexTag
	if !annexed && (words != 6 || parts[0] != payloadTag) {
		return bad(fmt.Sprintf("header %.60q is not %s <epoch> <version> <rev> <prev> <size> (or %s ... <size> <size>)",
			head, payloadTag, annexTag))
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
	body = body[n:]
	if annexed {
		a, err := strconv.Atoi(parts[6])
		if err != nil || a < 1 || a > len(body) {
			return bad("bad size of annex")
		}
		m.Annex, body = bytesOf(body[:a]), body[a:]
	}
	if prev := parts[4]; prev != "-" {
		m.Prev, m.Fields = prev, bytesOf(body)
		if len(m.Fields) < 2 {
			return bad("no fields")
		}
	} else if len(body) != 0 || version != 1 {
		return bad("no prev, which only a create (version 1, no fields) may lack")
	}
	return m, nil
}
