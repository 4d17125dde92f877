package fanout

import (
	"bytes"
	"maps"
	"slices"
	"strconv"

	"github.com/tourhub/tourhub/hub/notice"
	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/hub/wire"
	"github.com/tourhub/tourhub/match"
)

// The annex of a commit (store.Annexer): what every node's table would otherwise make of its
// events, made once by the node that commits it and published with it. A node then delivers the
// entry without decoding its events: the event in v2's form (v1's is the events as the log holds
// them, store.Entry.Raw) and the notices of every player the entry concerns, each node sending
// those of the players it holds a socket of. Its form, lines of compact JSON:
//
//	a1
//	<the event message in v2's form, as encodeEvent writes it>
//	<player id> <a notice message>      (one line per notice, in player order)
//
// An entry that needs the events themselves on every node goes without: one that names
// participants (the table learns their names, for the notices of entries without an annex: those
// replayed from the log), one that deletes the tournament (its subscriptions end), one that tells
// every player something (the opening of check-in), and one whose notices would make the message
// long (annexMax).

// annexTag starts an annex; a table that does not know it resyncs the entry's subscribers. So a
// new form of the annex also needs a new payload tag (hub/redisstore's annexTag): a node of the
// version before then reads those commits from the log instead of resyncing on every one.
const annexTag = "a1\n"

// annexMax bounds an annex: past it the entry goes without one.
const annexMax = 16 << 10

// Annex implements store.Annexer.
func (b *Table) Annex(id string, at store.Position, t *match.Tournament, events []match.Event) []byte {
	for i := range events {
		ev := &events[i]
		if ev.Participant != nil || len(ev.Participants) > 0 || ev.Type == match.EvDeleted || ev.Type == match.EvCheckInOpened {
			return nil
		}
	}
	a, err := wire.AppendEvent(append(make([]byte, 0, 512), annexTag...), id, at.Version, at.Rev, events)
	if err != nil {
		return nil // the table encodes it itself, and says what failed
	}
	byPlayer, err := notice.DeriveFrom(id, store.Entry{Version: at.Version, Rev: at.Rev, Events: events}, t, nil)
	if err != nil {
		return nil
	}
	a = append(a, '\n')
	for _, p := range slices.Sorted(maps.Keys(byPlayer)) {
		for _, n := range byPlayer[p] {
			a = append(strconv.AppendInt(a, int64(p), 10), ' ')
			a = append(append(a, n...), '\n')
		}
	}
	if len(a) > annexMax {
		return nil
	}
	return a
}

// annexed is an annex read by readAnnex: the event's v2 form, and the notices of the players a
// node holds a socket of.
type annexed struct {
	compact []byte
	notices map[match.PlayerID][]Msg
}

// readAnnex reads annex a, keeping the notices of the players in want. The v2 form is a's bytes
// (encodeEvent copies it into the message); each notice kept is a copy, so that a socket's queue
// holding it does not hold the whole published message. False: a is not an annex.
func readAnnex(a []byte, want map[match.PlayerID]bool) (annexed, bool) {
	rest, ok := bytes.CutPrefix(a, []byte(annexTag))
	if !ok {
		return annexed{}, false
	}
	var an annexed
	an.compact, rest, ok = bytes.Cut(rest, []byte{'\n'})
	if !ok || len(an.compact) == 0 {
		return annexed{}, false
	}
	for len(rest) > 0 {
		var line []byte
		if line, rest, ok = bytes.Cut(rest, []byte{'\n'}); !ok {
			return annexed{}, false
		}
		pid, n, ok := bytes.Cut(line, []byte{' '})
		p, err := strconv.Atoi(string(pid))
		if !ok || err != nil || p <= 0 || len(n) == 0 {
			return annexed{}, false
		}
		if want[match.PlayerID(p)] {
			if an.notices == nil {
				an.notices = make(map[match.PlayerID][]Msg)
			}
			an.notices[match.PlayerID(p)] = append(an.notices[match.PlayerID(p)], Msg{Data: bytes.Clone(n), Kind: "notice"})
		}
	}
	return an, true
}
