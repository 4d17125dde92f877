// Package storetest is the conformance suite of store.Store: every implementation (memstore,
// redisstore) runs Run against itself, so that the hub behaves the same on one node or many.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// timeout bounds every wait of the suite.
const timeout = 10 * time.Second

// Run runs the suite. newStore returns a fresh, empty store; the suite registers its own Handler
// where it watches. newStore must close the store when the test ends (t.Cleanup). Run may call
// Close itself earlier, so Close must be safe to call twice.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("CreateLoad", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := ctxFor(t)
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		a, err := s.Create(ctx, "t_create", createCmd("Cup", match.SingleElimination), at)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if a.Version != 1 || a.Epoch == "" || a.Duplicate || a.State == nil || a.State.Name != "Cup" || len(a.Events) == 0 {
			t.Fatalf("Create = version %d epoch %q duplicate %v state %v events %d; want version 1, an epoch, the state and events",
				a.Version, a.Epoch, a.Duplicate, a.State, len(a.Events))
		}
		if a.Events[0].Type != match.EvCreated {
			t.Errorf("first event %s; want %s", a.Events[0].Type, match.EvCreated)
		}
		got, head, err := s.Load(ctx, "t_create")
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if want := (store.Position{Epoch: a.Epoch, Version: 1, Rev: a.Rev}); got.ID != "t_create" || got.Version != 1 || got.Status != match.StatusRegistering || head != want || a.Rev == "" {
			t.Errorf("Load = id %q version %d status %s head %+v; want t_create 1 registering %+v with a rev", got.ID, got.Version, got.Status, head, want)
		}
		// Load returns a copy: changing it changes nothing in the store.
		got.Name = "changed"
		got.Participants = append(got.Participants, match.Participant{ID: 99, Name: "ghost"})
		again, _, err := s.Load(ctx, "t_create")
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if again.Name != "Cup" || len(again.Participants) != 0 {
			t.Errorf("after changing a loaded copy: name %q, %d participants; want Cup, 0", again.Name, len(again.Participants))
		}
		if _, _, err := s.Load(ctx, "t_nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Load(unknown) error %v; want ErrNotFound", err)
		}
		_, err = s.Create(ctx, "t_create", createCmd("Other", match.RoundRobin), at)
		if code(err) != match.CodeAlreadyExists {
			t.Errorf("Create(existing) error %v; want %s", err, match.CodeAlreadyExists)
		}
		_, err = s.Create(ctx, "t_bad", match.Command{Type: match.CmdCreate, Name: "", Settings: &match.Settings{Format: match.SingleElimination}}, at)
		if code(err) != match.CodeInvalid {
			t.Errorf("Create(no name) error %v; want %s", err, match.CodeInvalid)
		}
		if _, _, err := s.Load(ctx, "t_bad"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Load after a rejected Create: error %v; want ErrNotFound", err)
		}
		if _, err := s.Apply(ctx, "t_nope", match.Command{Type: match.CmdStart}, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Apply(unknown) error %v; want ErrNotFound", err)
		}
		if _, _, _, err := s.Events(ctx, "t_nope", 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Events(unknown) error %v; want ErrNotFound", err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})

	t.Run("Retention", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := ctxFor(t)
		// Not given: the node's values, and the log kept as long as the tournament. The caller's
		// settings are left as they were.
		cmd := createCmd("Default", match.SingleElimination)
		a, err := s.Create(ctx, "t_ret_default", cmd, time.Now())
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		node := a.State.Settings.Retention
		if node.Finished <= 0 || node.Idle <= 0 || node.Log != max(node.Finished, node.Idle) {
			t.Fatalf("retention not given = %+v; want the node's finished and idle, and log the longer of them", node)
		}
		if cmd.Settings.Retention != (match.Retention{}) {
			t.Errorf("Create changed the caller's settings: retention %+v", cmd.Settings.Retention)
		}
		// Given: kept as given, in the stored state.
		short := match.Retention{Finished: match.Duration(2 * time.Minute), Idle: match.Duration(5 * time.Minute), Log: match.Duration(3 * time.Minute)}
		cmd = createCmd("Short", match.SingleElimination)
		cmd.Settings.Retention = short
		if a, err = s.Create(ctx, "t_ret_short", cmd, time.Now()); err != nil {
			t.Fatalf("Create with retention %+v: %v", short, err)
		}
		if got := a.State.Settings.Retention; got != short {
			t.Errorf("Create: retention %+v; want %+v", got, short)
		}
		mustApply(t, s, "t_ret_short", match.Command{Type: match.CmdJoin, Name: "Ada"})
		if got, _, err := s.Load(ctx, "t_ret_short"); err != nil || got.Settings.Retention != short {
			t.Errorf("Load: retention %+v, err %v; want %+v", got.Settings.Retention, err, short)
		}
		// Part given: the rest from the node, the log as long as the longer of the two.
		cmd = createCmd("Part", match.SingleElimination)
		cmd.Settings.Retention = match.Retention{Idle: match.Duration(time.Minute)}
		if a, err = s.Create(ctx, "t_ret_part", cmd, time.Now()); err != nil {
			t.Fatalf("Create with only retention.idle: %v", err)
		}
		if want := (match.Retention{Finished: node.Finished, Idle: match.Duration(time.Minute), Log: max(node.Finished, match.Duration(time.Minute))}); a.State.Settings.Retention != want {
			t.Errorf("only retention.idle given: retention %+v; want %+v", a.State.Settings.Retention, want)
		}
		// Out of bounds: refused with a message that names the field, the value, the bound and the
		// flag that sets it; nothing is stored.
		dur := func(d match.Duration) string { return time.Duration(d).String() }
		over := func(d match.Duration) match.Duration { return d + match.Duration(time.Minute) }
		for i, tc := range []struct {
			name string
			r    match.Retention
			want []string
		}{
			{"finished over the node's", match.Retention{Finished: over(node.Finished)},
				[]string{"retention.finished", dur(over(node.Finished)), dur(node.Finished), "--retention"}},
			{"idle over the node's", match.Retention{Idle: over(node.Idle)},
				[]string{"retention.idle", dur(over(node.Idle)), dur(node.Idle), "--idle-retention"}},
			{"finished under a minute", match.Retention{Finished: match.Duration(30 * time.Second)},
				[]string{"retention.finished", "30s", "1m0s"}},
			{"idle negative", match.Retention{Idle: match.Duration(-time.Hour)}, []string{"retention.idle", "-1h0m0s", "1m0s"}},
			{"log over the tournament's", match.Retention{Finished: short.Finished, Idle: short.Idle, Log: over(short.Idle)},
				[]string{"retention.log", dur(over(short.Idle)), dur(short.Idle)}},
		} {
			id := fmt.Sprintf("t_ret_bad%d", i)
			cmd := createCmd("Bad", match.SingleElimination)
			cmd.Settings.Retention = tc.r
			_, err := s.Create(ctx, id, cmd, time.Now())
			var me *match.Error
			if !errors.As(err, &me) || me.Code != match.CodeInvalid {
				t.Errorf("%s: Create error %v; want %s", tc.name, err, match.CodeInvalid)
				continue
			}
			for _, w := range tc.want {
				if !strings.Contains(me.Message, w) {
					t.Errorf("%s: message %q; want it to say %s", tc.name, me.Message, w)
				}
			}
			if _, _, err := s.Load(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: Load after the refused Create: error %v; want ErrNotFound", tc.name, err)
			}
		}
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := ctxFor(t)
		base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		for i, id := range []string{"t_a", "t_b", "t_c", "t_d"} {
			if _, err := s.Create(ctx, id, createCmd("Cup "+id, match.SingleElimination), base.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatalf("Create %s: %v", id, err)
			}
		}
		mustApply(t, s, "t_b", match.Command{Type: match.CmdJoin, Name: "Ada"})
		mustApply(t, s, "t_c", match.Command{Type: match.CmdCancel})
		all, err := s.List(ctx, store.ListFilter{})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if got := ids(all.Summaries); fmt.Sprint(got) != "[t_d t_c t_b t_a]" {
			t.Errorf("List = %v; want newest first [t_d t_c t_b t_a]", got)
		}
		for _, sm := range all.Summaries {
			if sm.ID == "t_b" && (sm.Players != 1 || sm.Version != 2 || sm.Name != "Cup t_b" || sm.Format != match.SingleElimination || !sm.CreatedAt.Equal(base.Add(time.Minute))) {
				t.Errorf("summary of t_b = %+v; want 1 player, version 2, its name, format and creation time", sm)
			}
		}
		reg, err := s.List(ctx, store.ListFilter{Status: match.StatusRegistering})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if got := ids(reg.Summaries); fmt.Sprint(got) != "[t_d t_b t_a]" {
			t.Errorf("List(registering) = %v; want [t_d t_b t_a]", got)
		}
		canc, err := s.List(ctx, store.ListFilter{Status: match.StatusCancelled})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if got := ids(canc.Summaries); fmt.Sprint(got) != "[t_c]" {
			t.Errorf("List(cancelled) = %v; want [t_c]", got)
		}
		two, err := s.List(ctx, store.ListFilter{Limit: 2})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if got := ids(two.Summaries); fmt.Sprint(got) != "[t_d t_c]" {
			t.Errorf("List(limit 2) = %v; want [t_d t_c]", got)
		}
		if all.Next != (store.Cursor{}) {
			t.Errorf("List of all 4: Next %+v; want none (the last page)", all.Next)
		}
	})

	t.Run("ListPages", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := ctxFor(t)
		// 250 tournaments, three to a millisecond (ties go by id), of every format, some cancelled,
		// every seventh a "Spring" cup.
		base := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		formats := []match.Format{match.SingleElimination, match.DoubleElimination, match.RoundRobin, match.Swiss}
		var all []store.Summary // in list order, newest first
		for i := range 250 {
			sm := store.Summary{ID: fmt.Sprintf("t_p%03d", i), Name: fmt.Sprintf("Cup %d", i), Format: formats[i%4],
				Status: match.StatusRegistering, CreatedAt: base.Add(time.Duration(i/3) * time.Millisecond)}
			if i%7 == 0 {
				sm.Name = fmt.Sprintf("The SPRING cup %d", i)
			}
			if _, err := s.Create(ctx, sm.ID, createCmd(sm.Name, sm.Format), sm.CreatedAt); err != nil {
				t.Fatalf("Create %s: %v", sm.ID, err)
			}
			if i%5 == 0 {
				mustApply(t, s, sm.ID, match.Command{Type: match.CmdCancel})
				sm.Status = match.StatusCancelled
			}
			all = append([]store.Summary{sm}, all...)
		}
		// Every one exactly once, newest first, across pages of 100; a tournament created between
		// two pages (newer than any cursor) does not disturb them.
		got, pages := listAll(t, s, store.ListFilter{Limit: 100}, func(page int) {
			if page == 1 {
				if _, err := s.Create(ctx, "t_p_new", createCmd("Newcomer", match.Swiss), base.Add(time.Hour)); err != nil {
					t.Fatalf("Create between pages: %v", err)
				}
			}
		})
		if fmt.Sprint(got) != fmt.Sprint(ids(all)) {
			t.Errorf("pages of 100 = %v; want every tournament once, newest first: %v", got, ids(all))
		}
		if pages > 4 {
			t.Errorf("%d pages of 100 for 250 tournaments; want at most 4", pages)
		}
		all = append([]store.Summary{{ID: "t_p_new", Name: "Newcomer", Format: match.Swiss, Status: match.StatusRegistering}}, all...)
		// Filters combined with paging.
		for _, tc := range []struct {
			name string
			f    store.ListFilter
			keep func(store.Summary) bool
		}{
			{"status", store.ListFilter{Status: match.StatusCancelled, Limit: 9}, func(sm store.Summary) bool { return sm.Status == match.StatusCancelled }},
			{"format", store.ListFilter{Format: match.Swiss, Limit: 20}, func(sm store.Summary) bool { return sm.Format == match.Swiss }},
			{"name ignores case", store.ListFilter{Name: "spring", Limit: 4}, func(sm store.Summary) bool { return strings.Contains(sm.Name, "SPRING") }},
			{"all three", store.ListFilter{Status: match.StatusRegistering, Format: match.RoundRobin, Name: "Spring CUP", Limit: 2},
				func(sm store.Summary) bool {
					return sm.Status == match.StatusRegistering && sm.Format == match.RoundRobin && strings.Contains(sm.Name, "SPRING")
				}},
			{"nothing matches", store.ListFilter{Name: "winter", Limit: 10}, func(store.Summary) bool { return false }},
		} {
			var want []string
			for _, sm := range all {
				if tc.keep(sm) {
					want = append(want, sm.ID)
				}
			}
			if got, _ := listAll(t, s, tc.f, nil); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: pages of %d = %v; want %v", tc.name, tc.f.Limit, got, want)
			}
		}
		// A cursor is a position, not a tournament: one that names no tournament (here between
		// t_p101 and t_p100, which share a millisecond) still pages on from where it points, and
		// one past the oldest gives an empty last page.
		at := base.Add(33 * time.Millisecond).UnixMilli()
		page, err := s.List(ctx, store.ListFilter{After: store.Cursor{CreatedMs: at, ID: "t_p100x"}, Limit: 3})
		if err != nil {
			t.Fatalf("List after a cursor naming no tournament: %v", err)
		}
		if got := ids(page.Summaries); fmt.Sprint(got) != "[t_p100 t_p099 t_p098]" {
			t.Errorf("List after (ms of t_p100, t_p100x) = %v; want [t_p100 t_p099 t_p098]", got)
		}
		page, err = s.List(ctx, store.ListFilter{After: store.Cursor{CreatedMs: base.UnixMilli() - 1, ID: "t_zzz"}})
		if err != nil {
			t.Fatalf("List after the oldest: %v", err)
		}
		if len(page.Summaries) != 0 || page.Next != (store.Cursor{}) {
			t.Errorf("List after the oldest = %v, next %+v; want an empty last page", ids(page.Summaries), page.Next)
		}
	})

	t.Run("ApplyVersions", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		create(t, s, "t_v")
		for i, name := range []string{"Ada", "Grace", "Linus"} {
			a := mustApply(t, s, "t_v", match.Command{Type: match.CmdJoin, Name: name})
			want := int64(i + 2)
			if a.Version != want || a.State != nil || a.Duplicate {
				t.Fatalf("join %s: version %d, state %v, duplicate %v; want version %d, no state (a command's Applied has none)", name, a.Version, a.State, a.Duplicate, want)
			}
			if st := load(t, s, "t_v"); st.Version != want || len(st.Participants) != i+1 {
				t.Fatalf("after join %s: version %d with %d participants; want %d with %d", name, st.Version, len(st.Participants), want, i+1)
			}
			if len(a.Events) != 1 || a.Events[0].Type != match.EvPlayerJoined {
				t.Errorf("join %s events %+v; want one player_joined", name, a.Events)
			}
		}
		// A loaded state stays as it was: the store never changes a state it handed out.
		mustApply(t, s, "t_v", match.Command{Type: match.CmdStart})
		kept := load(t, s, "t_v")
		id := readyMatch(t, kept)
		mustApply(t, s, "t_v", match.Command{Type: match.CmdReport, Match: id, Scores: [2]int{1, 0}})
		if _, err := s.Apply(ctxFor(t), "t_v", match.Command{Type: match.CmdJoin, Name: "Late"}, ""); err == nil {
			t.Error("a join after the start was accepted")
		}
		if m := kept.Matches[id-1]; kept.Version != 5 || m.Status != match.MatchReady || len(kept.Participants) != 3 {
			t.Errorf("kept state changed by later commands: version %d, match %d %s, %d participants; want 5, ready, 3",
				kept.Version, id, m.Status, len(kept.Participants))
		}
		got, _, err := s.Load(ctxFor(t), "t_v")
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if got.Version != 6 || got.Matches[id-1].Status == match.MatchReady {
			t.Errorf("Load = version %d, match %d %s; want 6, reported", got.Version, id, got.Matches[id-1].Status)
		}
	})

	t.Run("RejectedChangesNothing", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder()
		s := newStore(t)
		s.Register(store.HandlerFunc(rec.deliver))
		ctx := ctxFor(t)
		create(t, s, "t_r")
		s.Watch("t_r")
		mustApply(t, s, "t_r", match.Command{Type: match.CmdJoin, Name: "Ada"})
		rec.wait(t, "t_r", 1)
		before, epoch, _ := s.Load(ctx, "t_r")
		for name, cmd := range map[string]match.Command{
			"name taken":     {Type: match.CmdJoin, Name: "ada"},
			"too few":        {Type: match.CmdStart},
			"unknown player": {Type: match.CmdLeave, Player: 7},
			"no type":        {},
			"report early":   {Type: match.CmdReport, Match: 1, Scores: [2]int{1, 0}},
		} {
			if _, err := s.Apply(ctx, "t_r", cmd, "sub-"+name); err == nil {
				t.Errorf("%s: Apply succeeded; want a rejection", name)
			} else if code(err) == "" {
				t.Errorf("%s: error %v; want a *match.Error", name, err)
			}
		}
		after, epoch2, _ := s.Load(ctx, "t_r")
		if after.Version != before.Version || len(after.Participants) != 1 || epoch2 != epoch {
			t.Errorf("after rejections: version %d, %d participants; want %d, 1", after.Version, len(after.Participants), before.Version)
		}
		_, es, complete, err := s.Events(ctx, "t_r", 0)
		if err != nil || !complete || len(es) != 2 {
			t.Errorf("Events = %d entries complete %v err %v; want 2 complete", len(es), complete, err)
		}
		// A rejected submission id is not remembered: the same id may succeed later.
		if _, err := s.Apply(ctx, "t_r", match.Command{Type: match.CmdJoin, Name: "Grace"}, "sub-name taken"); err != nil {
			t.Errorf("Apply with the id of a rejected submission: %v", err)
		}
		got := rec.wait(t, "t_r", 2)
		if fmt.Sprint(versions(got)) != "[2 3]" {
			t.Errorf("delivered versions %v; want [2 3]", versions(got))
		}
	})

	t.Run("IdempotentSubmission", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := ctxFor(t)
		create(t, s, "t_i")
		first, err := s.Apply(ctx, "t_i", match.Command{Type: match.CmdJoin, Name: "Ada"}, "sub-1")
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
		for _, cmd := range []match.Command{{Type: match.CmdJoin, Name: "Ada"}, {Type: match.CmdJoin, Name: "Grace"}} {
			again, err := s.Apply(ctx, "t_i", cmd, "sub-1")
			if err != nil {
				t.Fatalf("repeat: %v", err)
			}
			if !again.Duplicate || again.Version != first.Version || again.Epoch != first.Epoch || len(again.Events) != len(first.Events) || again.Events[0].Type != first.Events[0].Type {
				t.Errorf("repeat = duplicate %v version %d events %+v; want duplicate, version %d and the first events", again.Duplicate, again.Version, again.Events, first.Version)
			}
		}
		got, _, _ := s.Load(ctx, "t_i")
		if got.Version != 2 || len(got.Participants) != 1 {
			t.Errorf("after repeats: version %d, %d participants; want 2, 1", got.Version, len(got.Participants))
		}
		// Ids are per tournament.
		create(t, s, "t_i2")
		other, err := s.Apply(ctx, "t_i2", match.Command{Type: match.CmdJoin, Name: "Ada"}, "sub-1")
		if err != nil || other.Duplicate || other.Version != 2 {
			t.Errorf("same id on another tournament: duplicate %v version %d err %v; want a fresh version 2", other.Duplicate, other.Version, err)
		}
	})

	t.Run("ConcurrentSameReport", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder()
		s := newStore(t)
		s.Register(store.HandlerFunc(rec.deliver))
		ctx := ctxFor(t)
		create(t, s, "t_c")
		s.Watch("t_c")
		mustApply(t, s, "t_c", match.Command{Type: match.CmdJoin, Name: "Ada"})
		mustApply(t, s, "t_c", match.Command{Type: match.CmdJoin, Name: "Grace"})
		mustApply(t, s, "t_c", match.Command{Type: match.CmdStart})
		mid := readyMatch(t, load(t, s, "t_c"))
		const n = 16
		results := make([]store.Applied, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				results[i], errs[i] = s.Apply(ctx, "t_c", match.Command{Type: match.CmdReport, Match: mid, Scores: [2]int{1, 0}}, "final-1")
			})
		}
		wg.Wait()
		fresh := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("goroutine %d: %v", i, errs[i])
			}
			if results[i].Version != 5 {
				t.Errorf("goroutine %d: version %d; want 5", i, results[i].Version)
			}
			if !results[i].Duplicate {
				fresh++
			}
		}
		if fresh != 1 {
			t.Errorf("%d non-duplicate answers; want exactly 1", fresh)
		}
		got, _, _ := s.Load(ctx, "t_c")
		if got.Version != 5 || got.Status != match.StatusFinished {
			t.Errorf("after %d identical reports: version %d status %s; want 5 finished", n, got.Version, got.Status)
		}
		es := rec.wait(t, "t_c", 4)
		if fmt.Sprint(versions(es)) != "[2 3 4 5]" {
			t.Errorf("delivered %v; want [2 3 4 5]", versions(es))
		}
	})

	t.Run("ConcurrentJoins", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder()
		s := newStore(t)
		s.Register(store.HandlerFunc(rec.deliver))
		ctx := ctxFor(t)
		for _, id := range []string{"t_j1", "t_j2"} {
			create(t, s, id)
			s.Watch(id)
		}
		const n = 12
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for _, id := range []string{"t_j1", "t_j2"} {
			for i := range n {
				wg.Go(func() {
					if _, err := s.Apply(ctx, id, match.Command{Type: match.CmdJoin, Name: fmt.Sprintf("P%d", i)}, ""); err != nil {
						errs <- err
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent join: %v", err)
		}
		for _, id := range []string{"t_j1", "t_j2"} {
			got, _, _ := s.Load(ctx, id)
			if got.Version != n+1 || len(got.Participants) != n {
				t.Errorf("%s: version %d, %d participants; want %d, %d", id, got.Version, len(got.Participants), n+1, n)
			}
			es := rec.wait(t, id, n)
			for i, e := range es {
				if e.Version != int64(i+2) || len(e.Events) != 1 {
					t.Fatalf("%s: delivered versions %v; want 2..%d in order, once each", id, versions(es), n+1)
				}
			}
		}
	})

	t.Run("Events", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := ctxFor(t)
		c := create(t, s, "t_e")
		for _, name := range []string{"Ada", "Grace", "Linus"} {
			mustApply(t, s, "t_e", match.Command{Type: match.CmdJoin, Name: name})
		}
		head, es, complete, err := s.Events(ctx, "t_e", 0)
		if err != nil || !complete || head.Epoch != c.Epoch || head.Version != 4 {
			t.Fatalf("Events(0) = head %+v complete %v err %v; want epoch %q version 4, complete", head, complete, err, c.Epoch)
		}
		if fmt.Sprint(versions(es)) != "[1 2 3 4]" || es[0].Events[0].Type != match.EvCreated || es[3].Events[0].Participant == nil || es[3].Events[0].Participant.Name != "Linus" {
			t.Errorf("Events(0) = %v; want versions 1..4 with their events", versions(es))
		}
		_, es, complete, err = s.Events(ctx, "t_e", 2)
		if err != nil || !complete || fmt.Sprint(versions(es)) != "[3 4]" {
			t.Errorf("Events(2) = %v complete %v err %v; want [3 4] complete", versions(es), complete, err)
		}
		_, es, complete, err = s.Events(ctx, "t_e", 4)
		if err != nil || !complete || len(es) != 0 {
			t.Errorf("Events(4) = %v complete %v err %v; want nothing, complete", versions(es), complete, err)
		}
	})

	// Every commit has a rev of its own, and every entry names the rev it was applied to: the
	// entries chain from version 1 to the head that Load and Events answer, and a position
	// continues the history only with the rev of its version (hub.Position.Continues).
	t.Run("RevChain", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx := ctxFor(t)
		c := create(t, s, "t_rev")
		revs := map[string]bool{}
		for _, name := range []string{"Ada", "Grace", "Linus"} {
			a := mustApply(t, s, "t_rev", match.Command{Type: match.CmdJoin, Name: name})
			if a.Rev == "" || revs[a.Rev] {
				t.Fatalf("Apply rev %q: want a new rev per commit", a.Rev)
			}
			revs[a.Rev] = true
		}
		head, es, complete, err := s.Events(ctx, "t_rev", 0)
		if err != nil || !complete || len(es) != 4 {
			t.Fatalf("Events(0) = %v complete %v err %v; want 4 entries", versions(es), complete, err)
		}
		if es[0].Rev != c.Rev || es[0].Prev != "" {
			t.Errorf("entry 1: rev %q prev %q; want the create's rev %q and no prev", es[0].Rev, es[0].Prev, c.Rev)
		}
		for i := 1; i < len(es); i++ {
			if es[i].Prev != es[i-1].Rev || es[i].Rev == "" {
				t.Errorf("entry %d: prev %q rev %q; want prev %q (the rev before) and a rev", es[i].Version, es[i].Prev, es[i].Rev, es[i-1].Rev)
			}
		}
		if _, loaded, _ := s.Load(ctx, "t_rev"); loaded != head || head.Rev != es[3].Rev || head.Version != 4 {
			t.Errorf("Load head %+v, Events head %+v; want both version 4 rev %q", loaded, head, es[3].Rev)
		}
		for _, tc := range []struct {
			name string
			from store.Position
			want bool
		}{
			{"on the history", store.Position{Epoch: c.Epoch, Version: 2, Rev: es[1].Rev}, true},
			{"at the head", head, true},
			{"another rev", store.Position{Epoch: c.Epoch, Version: 2, Rev: "lost"}, false},
			{"no rev", store.Position{Epoch: c.Epoch, Version: 2}, false},
			{"another epoch", store.Position{Epoch: "e_other", Version: 2, Rev: es[1].Rev}, false},
			{"ahead of the store", store.Position{Epoch: c.Epoch, Version: 9, Rev: "x"}, false},
		} {
			h, after, complete, err := s.Events(ctx, "t_rev", min(tc.from.Version, 4))
			if err != nil || !complete {
				t.Fatalf("%s: Events(%d) complete %v err %v", tc.name, tc.from.Version, complete, err)
			}
			if got := tc.from.Continues(h, after); got != tc.want {
				t.Errorf("%s: %+v continues = %v; want %v", tc.name, tc.from, got, tc.want)
			}
		}
	})

	t.Run("WatchDeliversInOrder", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder()
		s := newStore(t)
		s.Register(store.HandlerFunc(rec.deliver))
		c := create(t, s, "t_w")
		create(t, s, "t_unwatched")
		s.Watch("t_w")
		var want []int64
		for _, name := range []string{"Ada", "Grace", "Linus", "Ken"} {
			a := mustApply(t, s, "t_w", match.Command{Type: match.CmdJoin, Name: name})
			mustApply(t, s, "t_unwatched", match.Command{Type: match.CmdJoin, Name: name})
			want = append(want, a.Version)
		}
		a := mustApply(t, s, "t_w", match.Command{Type: match.CmdStart})
		want = append(want, a.Version)
		es := rec.wait(t, "t_w", len(want))
		if fmt.Sprint(versions(es)) != fmt.Sprint(want) {
			t.Errorf("delivered %v; want %v", versions(es), want)
		}
		if e := es[len(es)-1]; len(e.Events) == 0 || e.Events[0].Type != match.EvStarted {
			t.Errorf("last entry events %+v; want tournament_started first", e.Events)
		}
		if ep := rec.epochOf("t_w"); ep != c.Epoch {
			t.Errorf("delivered epoch %q; want %q", ep, c.Epoch)
		}
		if rec.lostCount() != 0 {
			t.Errorf("%d lost deliveries; want 0", rec.lostCount())
		}
		// Watch calls are counted: two Watch, one Unwatch still delivers.
		s.Watch("t_w")
		s.Unwatch("t_w")
		mustApply(t, s, "t_w", match.Command{Type: match.CmdCancel})
		if es := rec.wait(t, "t_w", len(want)+1); es[len(es)-1].Version != a.Version+1 {
			t.Errorf("after Watch, Watch, Unwatch: delivered %v; want %d last", versions(es), a.Version+1)
		}
		if n := rec.count("t_unwatched"); n != 0 {
			t.Errorf("%d entries of an unwatched tournament delivered; want 0", n)
		}
	})

	t.Run("EditAndDelete", func(t *testing.T) {
		// A rename reaches the list; a delete reaches the watchers and then the tournament is
		// gone for every read and command, its id free of any trace in the list.
		t.Parallel()
		rec := newRecorder()
		s := newStore(t)
		s.Register(store.HandlerFunc(rec.deliver))
		ctx := ctxFor(t)
		create(t, s, "t_e")
		create(t, s, "t_keep")
		s.Watch("t_e")
		defer s.Unwatch("t_e")
		name := "Renamed Cup"
		mustApply(t, s, "t_e", match.Command{Type: match.CmdEdit, Edit: &match.Edit{Name: &name}})
		// Delivered once the watch is live: a watch that starts after the delete finds nothing
		// to deliver (the store reports it lost, and a subscriber is refused not_found).
		rec.wait(t, "t_e", 1)
		page, err := s.List(ctx, store.ListFilter{Name: "renamed"})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(page.Summaries) != 1 || page.Summaries[0].Name != name {
			t.Errorf("List by the new name = %+v; want t_e named %q", page.Summaries, name)
		}
		d := mustApply(t, s, "t_e", match.Command{Type: match.CmdDelete})
		es := rec.wait(t, "t_e", 2)
		if last := es[len(es)-1]; last.Version != d.Version || len(last.Events) != 1 || last.Events[0].Type != match.EvDeleted {
			t.Errorf("last delivery %+v; want version %d with tournament_deleted", last, d.Version)
		}
		if _, _, err := s.Load(ctx, "t_e"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Load after delete: %v; want ErrNotFound", err)
		}
		if _, _, _, err := s.Events(ctx, "t_e", 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Events after delete: %v; want ErrNotFound", err)
		}
		if _, err := s.Apply(ctx, "t_e", match.Command{Type: match.CmdJoin, Name: "Late"}, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Apply after delete: %v; want ErrNotFound", err)
		}
		page, err = s.List(ctx, store.ListFilter{})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if got := ids(page.Summaries); fmt.Sprint(got) != "[t_keep]" {
			t.Errorf("List after delete = %v; want [t_keep]", got)
		}
		if _, _, err := s.Load(ctx, "t_keep"); err != nil {
			t.Errorf("the other tournament: %v", err)
		}
	})

	t.Run("Head", func(t *testing.T) {
		// The newest position without the state: the one each commit answered, and not found
		// for an unknown or deleted tournament.
		t.Parallel()
		s := newStore(t)
		h, ok := s.(store.Header)
		if !ok {
			t.Fatalf("%T is not a store.Header", s)
		}
		ctx := ctxFor(t)
		c := create(t, s, "t_head")
		if got, err := h.Head(ctx, "t_head"); err != nil || got != (store.Position{Epoch: c.Epoch, Version: 1, Rev: c.Rev}) {
			t.Errorf("Head after create = %+v, %v; want %s v1 %s", got, err, c.Epoch, c.Rev)
		}
		a := mustApply(t, s, "t_head", match.Command{Type: match.CmdJoin, Name: "Ada"})
		if got, err := h.Head(ctx, "t_head"); err != nil || got != (store.Position{Epoch: c.Epoch, Version: a.Version, Rev: a.Rev}) {
			t.Errorf("Head after a join = %+v, %v; want %s v%d %s", got, err, c.Epoch, a.Version, a.Rev)
		}
		if _, head, err := s.Load(ctx, "t_head"); err != nil || head != (store.Position{Epoch: c.Epoch, Version: a.Version, Rev: a.Rev}) {
			t.Errorf("Load's position = %+v, %v; want Head's", head, err)
		}
		mustApply(t, s, "t_head", match.Command{Type: match.CmdDelete})
		for _, id := range []string{"t_head", "t_never"} {
			if _, err := h.Head(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Head(%s) = %v; want ErrNotFound", id, err)
			}
		}
	})

	t.Run("HistoryReplays", func(t *testing.T) {
		// The log keeps each entry's command: replaying them gives the state at every version,
		// exactly as it was committed.
		t.Parallel()
		s := newStore(t)
		ctx := ctxFor(t)
		a := create(t, s, "t_h")
		states := []*match.Tournament{a.State}
		step := func(c match.Command) {
			t.Helper()
			c.At = time.Date(2026, 12, 3, 20, 0, len(states), 0, time.UTC)
			mustApply(t, s, "t_h", c)
			states = append(states, load(t, s, "t_h"))
		}
		step(match.Command{Type: match.CmdAddPlayers, Players: []match.NewPlayer{{Name: "Ada", Rating: 3}, {Name: "Grace", Rating: 9}, {Name: "Linus"}, {Name: "Ken", Rating: 5}}})
		step(match.Command{Type: match.CmdSeed, Seeding: match.SeedRandom, RandomSeed: 42})
		desc := "Finals at six"
		step(match.Command{Type: match.CmdEdit, Edit: &match.Edit{Description: &desc}})
		step(match.Command{Type: match.CmdStart})
		for states[len(states)-1].Status == match.StatusRunning {
			st := states[len(states)-1]
			id := readyMatch(t, st)
			m := st.Matches[id-1]
			step(match.Command{Type: match.CmdReport, Match: id, Scores: [2]int{1, 0}, By: m.Players[0]})
			step(match.Command{Type: match.CmdReport, Match: id, Scores: [2]int{1, 0}, By: m.Players[1]})
		}
		head, entries, complete, err := s.Events(ctx, "t_h", 0)
		if err != nil || !complete || head.Version != int64(len(states)) {
			t.Fatalf("Events(0): head %+v, complete %v, err %v; want the whole log to version %d", head, complete, err, len(states))
		}
		cmds, err := store.Commands(entries)
		if err != nil {
			t.Fatalf("Commands: %v", err)
		}
		for v := 1; v <= len(states); v++ {
			got, err := store.Replay(cmds, v)
			if err != nil {
				t.Fatalf("Replay to %d: %v", v, err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(states[v-1])
			if string(g) != string(w) {
				t.Fatalf("Replay to version %d:\n got %s\nwant %s", v, g, w)
			}
		}
		if _, err := store.Commands(entries[1:]); !errors.Is(err, store.ErrHistoryGone) {
			t.Errorf("Commands of a log without its first entry: %v; want ErrHistoryGone", err)
		}
	})

	t.Run("UnwatchStops", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder()
		s := newStore(t)
		s.Register(store.HandlerFunc(rec.deliver))
		create(t, s, "t_u")
		s.Watch("t_u")
		mustApply(t, s, "t_u", match.Command{Type: match.CmdJoin, Name: "Ada"})
		rec.wait(t, "t_u", 1)
		s.Unwatch("t_u")
		mustApply(t, s, "t_u", match.Command{Type: match.CmdJoin, Name: "Grace"})
		mustApply(t, s, "t_u", match.Command{Type: match.CmdJoin, Name: "Linus"})
		// Close waits for delivery in progress; after it, nothing more may arrive.
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if got := rec.all("t_u"); len(got) != 1 {
			t.Errorf("delivered %v; want only version 2 (nothing after Unwatch)", versions(got))
		}
	})
}

// recorder collects deliveries; its deliver never blocks.
type recorder struct {
	mu      sync.Mutex
	entries map[string][]store.Entry // guarded by mu
	epochs  map[string]string        // guarded by mu
	lost    int                      // guarded by mu
	changed chan struct{}            // closed and replaced on every delivery; guarded by mu
}

func newRecorder() *recorder {
	return &recorder{entries: map[string][]store.Entry{}, epochs: map[string]string{}, changed: make(chan struct{})}
}

func (r *recorder) deliver(id, epoch string, e store.Entry, lost bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if lost {
		r.lost++
	} else {
		r.entries[id] = append(r.entries[id], e)
		r.epochs[id] = epoch
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// wait returns id's entries once there are at least n, failing the test after the timeout.
func (r *recorder) wait(t *testing.T, id string, n int) []store.Entry {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		es, ch := append([]store.Entry(nil), r.entries[id]...), r.changed
		r.mu.Unlock()
		if len(es) >= n {
			return es
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("waited %v for %d deliveries of %s; got %v", timeout, n, id, versions(es))
		}
	}
}

func (r *recorder) all(id string) []store.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]store.Entry(nil), r.entries[id]...)
}

func (r *recorder) count(id string) int { return len(r.all(id)) }

func (r *recorder) epochOf(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.epochs[id]
}

func (r *recorder) lostCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lost
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return ctx
}

func createCmd(name string, f match.Format) match.Command {
	return match.Command{Type: match.CmdCreate, Name: name, Settings: &match.Settings{Format: f, BestOf: 1}}
}

func create(t *testing.T, s store.Store, id string) store.Applied {
	t.Helper()
	a, err := s.Create(ctxFor(t), id, createCmd("Cup "+id, match.SingleElimination), time.Now())
	if err != nil {
		t.Fatalf("Create %s: %v", id, err)
	}
	return a
}

func mustApply(t *testing.T, s store.Store, id string, c match.Command) store.Applied {
	t.Helper()
	a, err := s.Apply(ctxFor(t), id, c, "")
	if err != nil {
		t.Fatalf("Apply %s to %s: %v", c.Type, id, err)
	}
	return a
}

// load is s.Load of id, failing the test on error.
func load(t *testing.T, s store.Store, id string) *match.Tournament {
	t.Helper()
	st, _, err := s.Load(ctxFor(t), id)
	if err != nil {
		t.Fatalf("Load %s: %v", id, err)
	}
	return st
}

func readyMatch(t *testing.T, tr *match.Tournament) match.MatchID {
	t.Helper()
	for _, m := range tr.Matches {
		if m.Status == match.MatchReady {
			return m.ID
		}
	}
	t.Fatalf("no ready match in %+v", tr.Matches)
	return 0
}

func code(err error) match.Code {
	var me *match.Error
	if errors.As(err, &me) {
		return me.Code
	}
	return ""
}

func ids(ss []store.Summary) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

// listAll follows List's cursor from the start of f to the end and returns the ids in the order
// listed and the number of pages. between, if set, runs after each page but the last, given its
// number (from 1). A page is never longer than f.Limit; it may be shorter and still not the last.
func listAll(t *testing.T, s store.Store, f store.ListFilter, between func(page int)) (got []string, pages int) {
	t.Helper()
	for {
		page, err := s.List(ctxFor(t), f)
		if err != nil {
			t.Fatalf("List(%+v): %v", f, err)
		}
		pages++
		if len(page.Summaries) > f.Limit {
			t.Fatalf("List(%+v) = %d summaries; want at most %d", f, len(page.Summaries), f.Limit)
		}
		got = append(got, ids(page.Summaries)...)
		if page.Next == (store.Cursor{}) {
			return got, pages
		}
		if page.Next == f.After || pages > 1000 {
			t.Fatalf("List(%+v): next cursor %+v does not move on", f, page.Next)
		}
		f.After = page.Next
		if between != nil {
			between(pages)
		}
	}
}

func versions(es []store.Entry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Version
	}
	return out
}
