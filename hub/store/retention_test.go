package store_test

import (
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

func dur(d time.Duration) match.Duration { return match.Duration(d) }

// TestRetentionTTL: the state is kept by the retention of its status, the log by its own, never
// longer than the state; a tournament stored without a retention is kept by the node's.
func TestRetentionTTL(t *testing.T) {
	t.Parallel()
	node := store.Retention{Finished: 2 * time.Hour, Idle: 24 * time.Hour}
	own := match.Retention{Finished: dur(10 * time.Minute), Idle: dur(time.Hour), Log: dur(30 * time.Minute)}
	for _, tc := range []struct {
		name       string
		r          match.Retention
		status     match.Status
		state, log time.Duration
	}{
		{"own, registering", own, match.StatusRegistering, time.Hour, 30 * time.Minute},
		{"own, running", own, match.StatusRunning, time.Hour, 30 * time.Minute},
		{"own, finished: the log no longer than the state", own, match.StatusFinished, 10 * time.Minute, 10 * time.Minute},
		{"own, cancelled", own, match.StatusCancelled, 10 * time.Minute, 10 * time.Minute},
		{"none stored, running: the node's", match.Retention{}, match.StatusRunning, 24 * time.Hour, 24 * time.Hour},
		{"none stored, finished: the node's", match.Retention{}, match.StatusFinished, 2 * time.Hour, 2 * time.Hour},
		{"deleted: a tombstone, whatever the retention", own, match.StatusDeleted, store.DeletedKept, store.DeletedKept},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &match.Tournament{Status: tc.status, Settings: match.Settings{Retention: tc.r}}
			if state, log := node.TTL(tr); state != tc.state || log != tc.log {
				t.Errorf("TTL = state %v, log %v; want %v, %v", state, log, tc.state, tc.log)
			}
		})
	}
}

// TestRetentionShortNode: a node whose own retention is under MinRetention still takes its own
// value (the bounds never exclude every value).
func TestRetentionShortNode(t *testing.T) {
	t.Parallel()
	node := store.Retention{Finished: 30 * time.Second, Idle: time.Hour}
	cmd := match.Command{Type: match.CmdCreate, Settings: &match.Settings{Retention: match.Retention{Finished: dur(30 * time.Second)}}}
	got, err := node.Settle(cmd)
	if err != nil {
		t.Fatalf("Settle(finished 30s on a node of 30s): %v", err)
	}
	if want := (match.Retention{Finished: dur(30 * time.Second), Idle: dur(time.Hour), Log: dur(time.Hour)}); got.Settings.Retention != want {
		t.Errorf("retention %+v; want %+v", got.Settings.Retention, want)
	}
	cmd.Settings.Retention.Finished = dur(31 * time.Second)
	if _, err := node.Settle(cmd); err == nil {
		t.Error("Settle(finished 31s on a node of 30s) succeeded; want it refused")
	}
}
