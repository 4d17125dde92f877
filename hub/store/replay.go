package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tourhub/tourhub/match"
)

// ErrHistoryGone says that the log no longer holds every command from the tournament's creation
// (it keeps the newest StreamMaxLen, and none once retention.log has passed), or that its
// entries were logged by a hub that kept no commands: the states it would replay cannot be
// rebuilt.
var ErrHistoryGone = errors.New("the log no longer holds the tournament's whole history")

// Commands returns the commands of entries, the whole log from version 1 (the create) as
// Store.Events(id, 0) answers it, or ErrHistoryGone if it is not whole.
func Commands(entries []Entry) ([]match.Command, error) {
	if len(entries) == 0 || entries[0].Version != 1 {
		return nil, ErrHistoryGone
	}
	out := make([]match.Command, len(entries))
	for i, e := range entries {
		if e.Version != int64(i+1) || len(e.Command) == 0 {
			return nil, ErrHistoryGone
		}
		if err := json.Unmarshal(e.Command, &out[i]); err != nil {
			return nil, fmt.Errorf("command of version %d: %w", e.Version, err)
		}
	}
	return out, nil
}

// Replay applies cmds in order to a new tournament, through the engine, and returns the state
// after the first upTo of them (all when upTo is 0 or more than there are). The engine is
// deterministic (match/), so this is the state the store held at that version. A command the
// engine refuses is an error naming it: the list is not a history this engine made.
func Replay(cmds []match.Command, upTo int) (*match.Tournament, error) {
	if upTo <= 0 || upTo > len(cmds) {
		upTo = len(cmds)
	}
	t := &match.Tournament{}
	for i, c := range cmds[:upTo] {
		if (i == 0) != (c.Type == match.CmdCreate) {
			return nil, fmt.Errorf("command %d is %q: a history starts with create and has only one", i+1, c.Type)
		}
		if _, err := ApplyCommand(t, c); err != nil {
			return nil, fmt.Errorf("command %d (%s): %w", i+1, c.Type, err)
		}
	}
	return t, nil
}
