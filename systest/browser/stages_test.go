package browser

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// stageState is the part of a two-stage tournament's state these tests read.
type stageState struct {
	Status     string `json:"status"`
	Stage      int    `json:"stage"`
	Qualifiers []int  `json:"qualifiers"`
	Matches    []struct {
		ID      int    `json:"id"`
		Bracket string `json:"bracket"`
		Status  string `json:"status"`
		Players []int  `json:"players"`
	} `json:"matches"`
	Standings []struct {
		PlayerID int `json:"player_id"`
	} `json:"standings"`
}

// playReady has the organiser decide every ready match of the given brackets (the first listed
// player wins 1-0) until none is left; it returns the state then.
func playReady(ctx context.Context, t *testing.T, tr *tourney, brackets ...string) stageState {
	t.Helper()
	for {
		var s stageState
		mustAPI(ctx, t, http.MethodGet, tr.url(""), "", nil, &s)
		played := 0
		for _, m := range s.Matches {
			if m.Status != "ready" || !slices.Contains(brackets, m.Bracket) {
				continue
			}
			tr.command(ctx, t, fmt.Sprintf("/matches/%d/result", m.ID), map[string]any{"scores": []int{1, 0}})
			played++
		}
		if played == 0 {
			return s
		}
	}
}

// TestBrowserTwoStage: the organiser creates a round robin in two groups with a single-elimination
// playoff through the form; once the group matches are played the spectator (never reloaded) says
// the group stage is over, the organiser page lists the four qualifiers, the organiser moves one
// down, removes one and adds a player who did not qualify, and starts the playoff from the page;
// the spectator shows the playoff with those four players, seeded as arranged, and once it is
// played the final standings put a playoff player first. A player who did not qualify is shown
// no match to play.
func TestBrowserTwoStage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := startHub(ctx, t)
	browser := newBrowser(ctx, t)

	org := newTab(t, browser, "organiser")
	org.do("fill in the create form",
		chromedp.Navigate(base+"/organiser.html"),
		chromedp.WaitVisible(chromedp.ID("create-name")),
		chromedp.SetValue(chromedp.ID("create-name"), "Two Stage Cup"),
		chromedp.SetValue(chromedp.ID("create-format"), "round_robin"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('create-format').dispatchEvent(new Event('change'))`),
		chromedp.WaitVisible(chromedp.ID("create-playoff")),
		chromedp.SetValue(chromedp.ID("create-groups"), "2"),
		chromedp.Click(chromedp.ID("create-playoff")),
		chromedp.WaitVisible(chromedp.ID("create-playoff-advance")),
		chromedp.SetValue(chromedp.ID("create-playoff-format"), "single_elimination"),
		chromedp.SetValue(chromedp.ID("create-playoff-advance"), "2"),
		chromedp.SetValue(chromedp.ID("create-playoff-best-of"), "1"),
	)
	if got := org.text(`label[for=create-playoff-advance]`); got != "Players advancing from each group" {
		t.Errorf("the advancing label after a round robin reads %q; want it to say per group", got)
	}
	org.do("create", chromedp.Click(chromedp.ID("create-submit")))
	org.wait("the organiser view", `location.search.includes('t=') && !document.getElementById('org-view').hidden`)
	tid := org.text(`[data-testid="tournament-id"]`)
	org.wait("the tournament state", `document.querySelector('[data-testid=tournament-status][data-status=registering]')`)
	orgToken := org.eval("read the organiser key", fmt.Sprintf(`localStorage.getItem('tourhub:organiser:' + %q) || ''`, tid))
	if tid == "" || orgToken == "" {
		t.Fatalf("organiser page: tournament id %q, key %q", tid, orgToken)
	}
	tr := &tourney{base: base, id: tid, org: orgToken, pid: map[string]int{}, token: map[string]string{}}
	var created struct {
		Settings struct {
			Groups  int `json:"groups"`
			Playoff *struct {
				Format  string `json:"format"`
				Advance int    `json:"advance"`
				BestOf  int    `json:"best_of"`
			} `json:"playoff"`
		} `json:"settings"`
	}
	mustAPI(ctx, t, http.MethodGet, tr.url(""), "", nil, &created)
	if p := created.Settings.Playoff; created.Settings.Groups != 2 || p == nil || p.Format != "single_elimination" || p.Advance != 2 || p.BestOf != 1 {
		t.Fatalf("the form created groups %d, playoff %+v; want 2 groups, a single-elimination playoff of 2 per group, best of 1", created.Settings.Groups, p)
	}

	spec := newTab(t, browser, "spectator")
	spec.do("open the spectator page", chromedp.Navigate(base+"/spectator.html?t="+tid))
	spec.wait("the spectator's first snapshot", `document.querySelector('[data-testid=tournament-status][data-status=registering]')`)
	spec.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__e2eMarker = 'no reload'`))

	names := []string{"Ada", "Grace", "Linus", "Ken", "Barbara", "Edsger", "Donald", "Frances"}
	var batch struct {
		Players []struct {
			PlayerID int    `json:"player_id"`
			Name     string `json:"name"`
			Token    string `json:"token"`
		} `json:"players"`
	}
	var list []map[string]any
	for _, n := range names {
		list = append(list, map[string]any{"name": n})
	}
	mustAPI(ctx, t, http.MethodPost, tr.url("/players/batch"), orgToken, map[string]any{"players": list}, &batch)
	nameOf := map[int]string{}
	for _, p := range batch.Players {
		tr.pid[p.Name], tr.token[p.Name] = p.PlayerID, p.Token
		nameOf[p.PlayerID] = p.Name
	}
	if len(nameOf) != 8 {
		t.Fatalf("batch added %d players; want 8", len(nameOf))
	}
	tr.command(ctx, t, "/start", struct{}{})
	spec.wait("the group stage", `(document.querySelector('[data-testid=stage]') || {}).textContent === 'Group stage'`)
	spec.wait("the group stage's section", `document.querySelector('[data-testid=stage-group] [data-testid=group-2]') && document.querySelector('[data-testid=stage-playoff] [data-testid=playoff-empty]')`)

	// Every group match, by the organiser: the group stage is over, and waits.
	s := playReady(ctx, t, tr, "group")
	if s.Status != "running" || s.Stage != 1 || len(s.Qualifiers) != 4 {
		t.Fatalf("after the group matches: status %s, stage %d, qualifiers %v; want running, 1, four", s.Status, s.Stage, s.Qualifiers)
	}
	quals := s.Qualifiers
	spec.wait("the group stage over", `(document.querySelector('[data-testid=stage]') || {}).textContent === 'Group stage over: waiting for the playoff'`)
	if got := spec.text(`[data-testid=stage-group-over]`); !strings.Contains(got, "Group stage is over") && !strings.Contains(got, "group stage is over") {
		t.Errorf("the spectator's group stage says %q; want that it is over", got)
	}

	ids := `[...document.querySelectorAll('#qualifiers > li')].map((li) => li.dataset.playerId).join()`
	join := func(pids ...int) string {
		var s []string
		for _, p := range pids {
			s = append(s, strconv.Itoa(p))
		}
		return strings.Join(s, ",")
	}
	org.wait("the playoff card with the four qualifiers", `!document.querySelector('[data-testid=playoff-card]').hidden && `+ids+` === `+q(join(quals...)))
	for _, pid := range quals {
		if got := org.text(fmt.Sprintf(`[data-testid="qualifier-%d"]`, pid)); !strings.Contains(got, nameOf[pid]) || !strings.Contains(got, "Group ") {
			t.Errorf("qualifier %d reads %q; want %s and their group", pid, got, nameOf[pid])
		}
	}

	// A player who did not qualify is told so, with no match to play.
	out := 0
	for pid := range nameOf {
		if !slices.Contains(quals, pid) {
			out = pid
			break
		}
	}
	player := newTab(t, browser, "player "+nameOf[out])
	player.do("open the personal link", chromedp.Navigate(base+"/player.html?t="+tid+"#token="+tr.token[nameOf[out]]))
	player.wait("no match, not qualified", `(document.querySelector('#next-match [data-testid=no-match]') || {textContent: ''}).textContent.includes('did not qualify')`)
	if got := player.eval("a report form", `String(!!document.querySelector('#report-form'))`); got != "false" {
		t.Error("a player who did not qualify is offered a match to report")
	}

	// The organiser arranges the playoff: the top seed one down, the last removed, one added.
	org.do("move the top seed down", press(fmt.Sprintf(`[data-testid="qualifier-down-%d"]`, quals[0]))...)
	org.wait("the top two swapped", ids+` === `+q(join(quals[1], quals[0], quals[2], quals[3])))
	org.do("remove the last", press(fmt.Sprintf(`[data-testid="qualifier-remove-%d"]`, quals[3]))...)
	org.wait("three left", ids+` === `+q(join(quals[1], quals[0], quals[2])))
	if got := org.eval("the add choice", fmt.Sprintf(`String(!!document.querySelector('[data-testid=qualifier-add-select] option[value="%d"]'))`, quals[3])); got != "true" {
		t.Error("the removed qualifier cannot be added back")
	}
	org.do("choose a player who did not qualify", chromedp.SetValue(chromedp.CSS(`[data-testid=qualifier-add-select]`), strconv.Itoa(out)))
	org.do("add them", press(`[data-testid=qualifier-add]`)...)
	chosen := []int{quals[1], quals[0], quals[2], out}
	org.wait("the arranged four", ids+` === `+q(join(chosen...)))
	org.do("start the playoff", press(`[data-testid=playoff-start]`)...)
	org.wait("the answer to the start", answered)
	if e := org.text(`[data-testid=msg-error]`); e != "" {
		t.Fatalf("the playoff start was refused: %s", e)
	}
	org.wait("the playoff card gone", `document.querySelector('[data-testid=playoff-card]').hidden`)
	mustAPI(ctx, t, http.MethodGet, tr.url(""), "", nil, &s)
	if s.Stage != 2 || join(s.Qualifiers...) != join(chosen...) {
		t.Fatalf("after the start: stage %d, qualifiers %v; want 2, %v (as arranged)", s.Stage, s.Qualifiers, chosen)
	}

	// The spectator's playoff: the four as arranged, seed 1 against 4 and 2 against 3.
	spec.wait("the playoff", `(document.querySelector('[data-testid=stage]') || {}).textContent === 'Playoff'`)
	spec.wait("the playoff's first round", `document.querySelectorAll('[data-testid=stage-playoff] .round[data-round="1"] .match').length === 2`)
	if got := spec.text(`[data-testid=stage-playoff] h3`); got != "Playoff" {
		t.Errorf("the playoff section is titled %q", got)
	}
	if got := spec.text(`[data-testid=stage-group] h3`); got != "Group stage" {
		t.Errorf("the group section is titled %q", got)
	}
	pairs := spec.eval("the first round's pairs", `[...document.querySelectorAll('[data-testid=stage-playoff] .round[data-round="1"] .match')].map((m) =>
	  [...m.querySelectorAll('.slot .name')].map((n) => n.textContent).sort().join(' v ')).sort().join('; ')`)
	pair := func(a, b int) string {
		p := []string{nameOf[a], nameOf[b]}
		slices.Sort(p)
		return strings.Join(p, " v ")
	}
	want := []string{pair(chosen[0], chosen[3]), pair(chosen[1], chosen[2])}
	slices.Sort(want)
	if pairs != strings.Join(want, "; ") {
		t.Errorf("the playoff's first round on the spectator page: %q; want %q", pairs, strings.Join(want, "; "))
	}
	if got := org.eval("group match tools", `String(!!document.querySelector('[data-testid=stage-group] .org-tools'))`); got != "false" {
		t.Error("the organiser can still correct group matches after the playoff started")
	}

	// The playoff to its end: the final standings put a playoff player first.
	s = playReady(ctx, t, tr, "winners")
	if s.Status != "finished" {
		t.Fatalf("after the playoff: status %s; want finished", s.Status)
	}
	spec.wait("the finished tournament", `document.querySelector('[data-testid=tournament-status][data-status=finished]')`)
	spec.wait("the final standings", `document.querySelectorAll('[data-testid=final-standings] tbody tr').length === 8`)
	first := spec.attr(`[data-testid=final-standings] tbody tr`, "data-testid")
	top, _ := strconv.Atoi(strings.TrimPrefix(first, "standing-"))
	if !slices.Contains(chosen, top) || top != s.Standings[0].PlayerID {
		t.Errorf("the spectator's standings start with %q; want the champion standing-%d, a playoff player of %v", first, s.Standings[0].PlayerID, chosen)
	}
	if got := spec.text(fmt.Sprintf(`[data-testid="stage-reached-%d"]`, top)); got != "Playoff" {
		t.Errorf("the champion's stage reached reads %q; want Playoff", got)
	}
	if got := spec.eval("read the marker", `String(window.__e2eMarker)`); got != "no reload" {
		t.Errorf("spectator page was reloaded (marker %q); want live updates only", got)
	}
}

// TestStateTwoStage: the model takes the stage and qualifiers of a snapshot, group_stage_finished
// sets the qualifiers (nobody has a match to play then), playoff_started the stage, qualifiers
// and playoff matches; the renderer draws the group stage and the playoff in their own sections
// and the header says which stage it is; once the playoff has started the group tables come from
// the group matches alone, ranked within each group.
func TestStateTwoStage(t *testing.T) {
	page := modulePage(t, "two-stage events")
	got := page.eval("apply the stage events", `Promise.all([import('/js/state.js'), import('/js/bracket.js'), import('/js/page.js'), import('/js/standings.js')]).then(([s, b, p, st]) => {
	  const g = (id, round, players, status) => ({id, bracket: 'group', group: 1, round, status, players, scores: [status === 'completed' ? 1 : 0, 0],
	    winner: status === 'completed' ? players[0] : null});
	  const m = s.fromSnapshot({id: 't1', name: 'T', format: 'round_robin', status: 'running', version: 5, stage: 1,
	    settings: {format: 'round_robin', best_of: 1, groups: 1, playoff: {format: 'single_elimination', advance: 2, best_of: 1}},
	    participants: [{id: 1, name: 'Ada'}, {id: 2, name: 'Grace'}, {id: 3, name: 'Linus'}],
	    matches: [g(1, 1, [1, 2], 'completed'), g(2, 2, [1, 3], 'completed'), g(3, 3, [2, 3], 'ready')], standings: []});
	  const el = document.createElement('section');
	  const head = document.createElement('section');
	  document.body.append(el, head);
	  const view = () => {
	    b.renderTournament(el, m);
	    p.renderHead(head, m);
	    return {sections: [...el.querySelectorAll('.stage > h3')].map((x) => x.textContent),
	      stage: (head.querySelector('[data-testid=stage]') || {}).textContent || '',
	      playoff: [...el.querySelectorAll('[data-testid=stage-playoff] .match')].map((x) => Number(x.dataset.matchId)),
	      group: [...el.querySelectorAll('[data-testid=stage-group] .match')].map((x) => Number(x.dataset.matchId))};
	  };
	  const out = {snapshot: [m.stage, m.qualifiers], next3: (s.nextMatchFor(m, 3) || {}).id || 0, running: view()};
	  s.applyEvents(m, [{type: 'match_completed', match: g(3, 3, [2, 3], 'completed')},
	    {type: 'group_stage_finished', qualifiers: [1, 2], standings: [], reason: 'group stage over'}], 6);
	  out.finished = [m.stage, m.qualifiers, s.groupStageOver(m), (s.nextMatchFor(m, 1) || {}).id || 0, view()];
	  s.applyEvents(m, [{type: 'player_eliminated', player: 3},
	    {type: 'playoff_started', qualifiers: [2, 1], matches: [{id: 4, bracket: 'winners', round: 1, status: 'ready', players: [2, 1], scores: [0, 0], winner: null}]}], 7);
	  out.playoff = [m.stage, m.qualifiers, m.matches.map((x) => x.id), s.groupStageOver(m), (s.nextMatchFor(m, 1) || {}).id || 0,
	    (s.nextMatchFor(m, 3) || {}).id || 0, m.participants[2].eliminated, view()];
	  const r = s.fromSnapshot({id: 't2', status: 'running', stage: 2, qualifiers: [3, 1], settings: {format: 'swiss'}, participants: [], matches: []});
	  out.restored = [r.stage, r.qualifiers];
	  const two = s.fromSnapshot({id: 't4', status: 'running', stage: 2, qualifiers: [1, 3], format: 'round_robin',
	    settings: {format: 'round_robin', groups: 2, playoff: {format: 'single_elimination', advance: 1}},
	    participants: [{id: 1, name: 'A'}, {id: 2, name: 'B'}, {id: 3, name: 'C'}, {id: 4, name: 'D'}],
	    matches: [{...g(1, 1, [1, 2], 'completed'), group: 1}, {...g(2, 1, [3, 4], 'completed'), group: 2},
	      {id: 3, bracket: 'winners', round: 1, status: 'completed', players: [1, 3], scores: [1, 0], winner: 1}],
	    standings: [{player_id: 1, rank: 1}, {player_id: 3, rank: 2}, {player_id: 2, rank: 3, rank_to: 4}, {player_id: 4, rank: 3, rank_to: 4}]});
	  out.groupTables = st.groupStandings(two).map((x) => [x.player_id, x.group, x.rank, x.wins]);
	  const plain = s.fromSnapshot({id: 't3', status: 'running', settings: {format: 'swiss'}, participants: [], matches: []});
	  out.plain = [plain.stage, plain.qualifiers];
	  el.remove();
	  head.remove();
	  return JSON.stringify(out);
	})`)
	want := `{"snapshot":[1,null],"next3":3,"running":{"sections":["Group stage","Playoff"],"stage":"Group stage","playoff":[],"group":[1,2,3]},` +
		`"finished":[1,[1,2],true,0,{"sections":["Group stage","Playoff"],"stage":"Group stage over: waiting for the playoff","playoff":[],"group":[1,2,3]}],` +
		`"playoff":[2,[2,1],[1,2,3,4],false,4,0,true,{"sections":["Playoff","Group stage"],"stage":"Playoff","playoff":[4],"group":[1,2,3]}],` +
		`"restored":[2,[3,1]],"groupTables":[[1,1,1,1],[2,1,2,0],[3,2,1,1],[4,2,2,0]],"plain":[0,null]}`
	if got != want {
		t.Errorf("two-stage model:\n got %s\nwant %s", got, want)
	}
}
