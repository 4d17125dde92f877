package redisstore

import (
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/tourhub/tourhub/match"
)

// decode reads JSON that nodes of this package wrote with encoding/json: the state hash's fields,
// the recent list's and published commits' fields, and the log's and published commits' events.
// It is encoding/json/v2's implementation (go-json-experiment/json, the module that Go's
// GOEXPERIMENT=jsonv2 aliases): about half the CPU and a third of the allocations of
// encoding/json's Unmarshal for a followed commit (BenchmarkFollow). Its stricter defaults
// (member names matched exactly, duplicate names and invalid UTF-8 refused) hold for anything
// encoding/json's Marshal writes, so nothing a node stored reads differently. What clients send
// is still read by encoding/json, whose leniency the protocol documents.
func decode(data []byte, v any) error { return jsonv2.Unmarshal(data, v) }

// decodeEvents reads the events of a commit: what this package's nodes write is read by
// match.DecodeEvents, without reflection; anything it leaves (events with standings or a list of
// matches, escaped strings) by decode.
func decodeEvents(data []byte) ([]match.Event, error) {
	if events, ok := match.DecodeEvents(data); ok {
		return events, nil
	}
	var events []match.Event
	err := decode(data, &events)
	return events, err
}

// decodeMatch reads a match's field into a zero m, by match.DecodeMatch or else by decode.
func decodeMatch(data []byte, m *match.Match) error {
	if match.DecodeMatch(data, m) {
		return nil
	}
	*m = match.Match{}
	return decode(data, m)
}

// decodeParticipant reads a participant's field: what this package's nodes write is read by
// match.DecodeParticipant, without reflection; anything it leaves (an escaped name) by decode.
func decodeParticipant(data []byte, p *match.Participant) error {
	if match.DecodeParticipant(data, p) {
		return nil
	}
	*p = match.Participant{}
	return decode(data, p)
}

// decodeMeta reads a tournament's own field (t) into a zero t: what this package's nodes write
// ({"version":N, then the members match's AppendOwnJSON writes}) by match.DecodeOwn, without
// reflection; anything else (an escaped name, a field written by a hub from before) by decode.
func decodeMeta(data []byte, t *match.Tournament) error {
	if rest := restOf(stringOf(data)); len(rest) > 1 && rest[len(rest)-1] == '}' {
		digits := data[len(metaHead) : len(data)-len(rest)-1]
		v, err := strconv.ParseInt(string(digits), 10, 64)
		canonical := len(digits) == 1 || digits[0] != '0' // JSON has no leading zeros
		if err == nil && canonical && match.DecodeOwn(data[len(data)-len(rest):len(data)-1], t) {
			t.Version = v
			return nil
		}
		*t = match.Tournament{}
	}
	return decode(data, t)
}
