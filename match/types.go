// Package match is the tournament domain: formats, seeding, byes, best-of-N series, standings and
// tie-breaks. It does no I/O, reads no clock and uses no randomness it was not given.
//
// A tournament is a value (*Tournament). Every change is a Command; Apply checks it against the
// state and, only if it is valid, changes the state and returns the events that describe what
// changed. A rejected command returns an *Error and leaves the state exactly as it was. The same
// state and the same command always give the same result, which is what lets several nodes replay
// one log.
package match

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Format names a tournament format.
type Format string

// The formats.
const (
	SingleElimination Format = "single_elimination"
	DoubleElimination Format = "double_elimination"
	RoundRobin        Format = "round_robin"
	Swiss             Format = "swiss"
)

// Status is the lifecycle state of a tournament.
type Status string

// Tournament statuses.
const (
	StatusRegistering Status = "registering"
	StatusRunning     Status = "running"
	StatusFinished    Status = "finished"
	StatusCancelled   Status = "cancelled"
	// StatusDeleted is the status the delete command leaves: no read of the stores sees a deleted
	// tournament (the memory store drops it at once, Redis keeps a short tombstone so that its
	// delete event reaches the sockets that watch it on every node).
	StatusDeleted Status = "deleted"
)

// MatchStatus is the state of one match.
type MatchStatus string

// Match statuses. A pending match waits for at least one player; a ready one can be played and
// reported; disputed means the two players reported different scores and the organiser must decide;
// completed has a result (possibly a walkover); void means nobody reached it (two byes, a double
// forfeit upstream, or a grand-final reset that was not needed).
const (
	MatchPending   MatchStatus = "pending"
	MatchReady     MatchStatus = "ready"
	MatchDisputed  MatchStatus = "disputed"
	MatchCompleted MatchStatus = "completed"
	MatchVoid      MatchStatus = "void"
)

// Bracket says which part of a tournament a match belongs to.
type Bracket string

// Brackets.
const (
	BracketWinners    Bracket = "winners"     // single elimination, or the winners side of double
	BracketLosers     Bracket = "losers"      // double elimination losers bracket
	BracketGrandFinal Bracket = "grand_final" // double elimination grand final (round 1) and reset (round 2)
	BracketThirdPlace Bracket = "third_place" // single elimination third-place match
	BracketGroup      Bracket = "group"       // round robin
	BracketSwiss      Bracket = "swiss"       // Swiss rounds
)

// GrandFinal selects how a double-elimination tournament ends.
type GrandFinal string

// Grand final modes. None: the winners-bracket champion wins the tournament once the losers bracket
// has a champion (who is second). Single: one grand final. Reset: if the losers-bracket player wins
// the first grand final, a second one decides (both players then have one loss).
const (
	GrandFinalNone   GrandFinal = "none"
	GrandFinalSingle GrandFinal = "single"
	GrandFinalReset  GrandFinal = "reset"
)

// Seeding selects how seeds are assigned at start.
type Seeding string

// Seeding methods. Given: join order, or the seed each participant was given. Random: a
// deterministic shuffle by Settings.RandomSeed. Rating: highest rating first, join order on ties.
const (
	SeedGiven  Seeding = "given"
	SeedRandom Seeding = "random"
	SeedRating Seeding = "rating"
)

// TieBreak names one tie-break criterion for round robin and Swiss standings.
type TieBreak string

// Tie-breaks, applied in the order Settings.TieBreaks lists them after points.
const (
	// HeadToHead: points scored in matches among exactly the tied players.
	HeadToHead TieBreak = "head_to_head"
	// Buchholz: sum of the points of every opponent met (a bye counts as no opponent).
	Buchholz TieBreak = "buchholz"
	// SonnebornBerger: sum of the points of opponents beaten plus half of those drawn with.
	SonnebornBerger TieBreak = "sonneborn_berger"
	// GameDifference: games won minus games lost across all series.
	GameDifference TieBreak = "game_difference"
	// GamePoints: points scored in games minus points conceded, across the series reported with
	// their games (Match.Games).
	GamePoints TieBreak = "game_points"
)

// Points awarded per match result in round robin and Swiss.
type Points struct {
	Win  float64 `json:"win"`
	Draw float64 `json:"draw"`
	Loss float64 `json:"loss"`
}

// Settings are fixed when the tournament is created.
type Settings struct {
	Format Format `json:"format"`
	// BestOf is the series length: 1, 3, 5, 7... (odd). Round robin and Swiss also accept even
	// lengths, where a drawn series is possible. Defaults to 1.
	BestOf int `json:"best_of"`
	// MaxPlayers caps registration (2..1024). Defaults to 1024.
	MaxPlayers int `json:"max_players"`
	// ThirdPlace adds a match between the semi-final losers (single elimination). Defaults to false.
	ThirdPlace bool `json:"third_place,omitempty"`
	// GrandFinal is the double elimination ending. Defaults to reset.
	GrandFinal GrandFinal `json:"grand_final,omitempty"`
	// Groups splits a round robin into that many groups, by snake seeding. Defaults to 1.
	Groups int `json:"groups,omitempty"`
	// Legs is how many times each pair of a round robin group meets: 1, or 2 (a double round
	// robin, the second leg with the sides swapped). Defaults to 1.
	Legs int `json:"legs,omitempty"`
	// Rounds is the number of Swiss rounds. Defaults to ceil(log2(players)).
	Rounds int `json:"rounds,omitempty"`
	// AllowDraws lets round robin and Swiss series end level. Defaults to false.
	AllowDraws bool `json:"allow_draws,omitempty"`
	// Points for round robin and Swiss. Defaults to 3 / 1 / 0.
	Points *Points `json:"points,omitempty"`
	// TieBreaks after points, in order. Defaults: round robin head_to_head, sonneborn_berger,
	// game_difference, buchholz; Swiss buchholz, sonneborn_berger, head_to_head, game_difference.
	TieBreaks []TieBreak `json:"tie_breaks,omitempty"`
	// Seeding method. Defaults to given.
	Seeding Seeding `json:"seeding,omitempty"`
	// RandomSeed drives SeedRandom; the same seed gives the same bracket.
	RandomSeed uint64 `json:"random_seed,omitempty"`
	// RequireCheckIn drops, at start, every participant who has not checked in. Defaults to false.
	RequireCheckIn bool `json:"require_check_in,omitempty"`

	// ScheduledStart starts the tournament by itself at that time (the organiser may start earlier).
	ScheduledStart *time.Time `json:"scheduled_start,omitempty"`
	// CheckInWindow opens check-in this long before ScheduledStart and implies RequireCheckIn:
	// whoever has not checked in when it closes (at the start) is dropped. Defaults to none.
	CheckInWindow Duration `json:"check_in_window,omitempty"`
	// MatchTimeLimit is the time from "ready" to "reported". Defaults to none.
	MatchTimeLimit Duration `json:"match_time_limit,omitempty"`
	// RoundTimeLimit gives every match of a round robin or Swiss round one deadline: Swiss, this
	// long after the round is paired; round robin, round r is due r times this after the start.
	RoundTimeLimit Duration `json:"round_time_limit,omitempty"`
	// WarnBefore is when both players are warned before the deadline. Defaults to a fifth of the
	// time limit.
	WarnBefore Duration `json:"warn_before,omitempty"`
	// OnTimeout is the rule when the time runs out. Defaults to forfeit.
	OnTimeout TimeoutRule `json:"on_timeout,omitempty"`

	// Playoff makes the round robin or Swiss the group stage of a two-stage tournament, followed
	// by this elimination (stages.go). Defaults to none.
	Playoff *Playoff `json:"playoff,omitempty"`

	// Retention is how long the node keeps the tournament and its event log. Defaults to the
	// node's values; see Retention.
	Retention Retention `json:"retention,omitzero"`
}

// Retention says how long a node keeps one tournament, each duration counted from the
// tournament's last command. The engine only carries it: the node fills it in and bounds it at
// creation (hub/store's Retention.Settle), because its defaults and upper bounds are the node's
// own flags, which the engine does not know. A tournament stored before retention was set per
// tournament has the zero value, and the node keeps it by its own values.
type Retention struct {
	// Finished is how long a finished or cancelled tournament is kept.
	Finished Duration `json:"finished,omitempty"`
	// Idle is how long a tournament that is not finished or cancelled is kept.
	Idle Duration `json:"idle,omitempty"`
	// Log is how long the event log (the replay behind a resume and GET .../events) is kept; never
	// longer than the tournament itself. Once it is gone, a client that resumes gets a snapshot.
	Log Duration `json:"log,omitempty"`
}

// PlayerID identifies a participant within one tournament: 1, 2, 3... in join order. Zero means
// nobody and is written as JSON null.
type PlayerID int

// MarshalJSON writes nobody (0: an empty slot, no winner yet) as null.
func (p PlayerID) MarshalJSON() ([]byte, error) { return AppendPlayer(make([]byte, 0, 8), p), nil }

// UnmarshalJSON reads a player id, or null for nobody.
func (p *PlayerID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*p = 0
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 0)
	if err != nil {
		return fmt.Errorf("player id %.20s is not an integer", b)
	}
	*p = PlayerID(n)
	return nil
}

// Participant is a registered player.
type Participant struct {
	ID   PlayerID `json:"id"`
	Name string   `json:"name"`
	// Seed is the place in the seed order (1 is the top seed): before the start the organiser's,
	// if they set one (seed, edit_player; 0 for nobody yet), and at the start everyone's.
	Seed      int     `json:"seed,omitempty"`
	Rating    float64 `json:"rating,omitempty"` // used by SeedRating
	CheckedIn bool    `json:"checked_in,omitempty"`
	// Eliminated is set once the player can play no further match.
	Eliminated bool `json:"eliminated,omitempty"`
	// Withdrawn is set by Withdraw (voluntary) and Disqualify.
	Withdrawn    bool `json:"withdrawn,omitempty"`
	Disqualified bool `json:"disqualified,omitempty"`
	// EliminatedIn is the match that eliminated the player (0: withdrawn between matches).
	EliminatedIn MatchID `json:"eliminated_in,omitempty"`
	// Byes counts Swiss byes received.
	Byes int `json:"byes,omitempty"`
}

// Outcome selects what a feed takes from its source match.
type Outcome string

// Feed outcomes.
const (
	TakeWinner Outcome = "winner"
	TakeLoser  Outcome = "loser"
)

// Feed says where a match slot's player comes from: a seeded player at start, or the winner or
// loser of an earlier match.
type Feed struct {
	Match MatchID `json:"match,omitempty"`
	Take  Outcome `json:"take,omitempty"`
}

// MatchID identifies a match within one tournament: its index in Tournament.Matches plus one.
type MatchID int

// Report is one side's claim of a result, kept until both sides agree or the organiser decides.
type Report struct {
	Scores [2]int `json:"scores"`
	// Games are the points of each game of the series, if the reporter gave them (see Match.Games).
	Games Games `json:"games,omitempty"`
}

// Games are the points of each game of a series, in order: [[11,3],[8,11],[11,9]].
type Games [][2]int

// gameList is m's games, or nil.
func (m *Match) gameList() Games {
	if m.Games == nil {
		return nil
	}
	return *m.Games
}

// ptr returns a copy of g to keep in a Match, or nil when there are none.
func (g Games) ptr() *Games {
	if len(g) == 0 {
		return nil
	}
	c := slices.Clone(g)
	return &c
}

// Match is one series between two slots.
type Match struct {
	ID      MatchID     `json:"id"`
	Bracket Bracket     `json:"bracket"`
	Round   int         `json:"round"`           // 1-based within its bracket
	Group   int         `json:"group,omitempty"` // round robin group, 1-based
	Status  MatchStatus `json:"status"`
	Players [2]PlayerID `json:"players"`
	// Filled says which slots are decided (a decided slot with no player is a bye).
	Filled [2]bool `json:"filled,omitzero"`
	Feeds  [2]Feed `json:"feeds,omitzero"`
	Scores [2]int  `json:"scores"`
	// Games are the points of each game of the series, in order, when the result gave them
	// ([[11,3],[8,11],[11,9]]): they agree with Scores (CheckGames) and feed the game_points
	// tie-break. Nil for a walkover or a result given without them. A pointer, so that a Match
	// stays comparable with == (the Redis store diffs matches that way).
	Games  *Games   `json:"games,omitempty"`
	Winner PlayerID `json:"winner"`
	Loser  PlayerID `json:"loser"`
	Draw   bool     `json:"draw,omitempty"`
	// Walkover is set when the result came from a bye, forfeit, no-show or withdrawal.
	Walkover bool `json:"walkover,omitempty"`
	// Forfeited marks the side(s) that forfeited.
	Forfeited [2]bool    `json:"forfeited,omitzero"`
	Reports   [2]*Report `json:"reports,omitzero"`
	// ReadyAt is when the match became ready; Deadline when it must be reported (zero: no limit).
	ReadyAt  time.Time `json:"ready_at,omitzero"`
	Deadline time.Time `json:"deadline,omitzero"`
	// Warned is set once the deadline warning went out; Overdue once the deadline passed with the
	// decision left to the organiser.
	Warned  bool `json:"warned,omitempty"`
	Overdue bool `json:"overdue,omitempty"`
	// WinnerTo and LoserTo are where the result goes (zero: nowhere).
	WinnerTo MatchID `json:"winner_to,omitempty"`
	LoserTo  MatchID `json:"loser_to,omitempty"`
}

// Tournament is the whole state of one tournament.
type Tournament struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Description is the organiser's text about the tournament (MaxDescriptionLen characters).
	Description string   `json:"description,omitempty"`
	Settings    Settings `json:"settings"`
	Status      Status   `json:"status"`
	// Version counts applied commands; every successful Apply adds exactly one.
	Version      int64         `json:"version"`
	Participants []Participant `json:"participants"`
	Matches      []Match       `json:"matches"`
	// LastPlayer is the highest PlayerID ever given, so that ids are never reused after a leave.
	LastPlayer PlayerID `json:"last_player"`
	// Round is the current Swiss round (0 before start).
	Round int `json:"round,omitempty"`
	// Stage is the stage of a two-stage tournament being played (StageGroups, StagePlayoff; 0
	// before the start or without a playoff).
	Stage int `json:"stage,omitempty"`
	// Qualifiers are the players of the playoff, top seed first: worked out when the group stage
	// ended, then as the playoff started with them.
	Qualifiers []PlayerID `json:"qualifiers,omitempty"`
	// CheckInOpen is set when the check-in window opened.
	CheckInOpen bool `json:"check_in_open,omitempty"`
	// CheckInWarned is set once the players who had not checked in were warned it closes soon.
	CheckInWarned bool `json:"check_in_warned,omitempty"`
	// StartedAt and RoundStartedAt are the times of the start and of the current Swiss round.
	StartedAt      time.Time `json:"started_at,omitzero"`
	RoundStartedAt time.Time `json:"round_started_at,omitzero"`
	// Note explains an early finish (for example, no valid Swiss pairing).
	Note string `json:"note,omitempty"`

	idx *index // derived, rebuilt on demand; see playerMatches
	// dirty collects what the command being applied touches, while ApplyChanges runs (nil
	// otherwise).
	dirty *changeSet
}

// UnmarshalJSON reads games strictly: a list of [points, points] pairs of whole numbers (the
// standard decoder would drop a third number of a pair without a word).
func (g *Games) UnmarshalJSON(b []byte) error {
	var raw [][]json.Number
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("games must be a list of [points, points] pairs, such as [[11,3],[8,11]]")
	}
	if raw == nil {
		*g = nil
		return nil
	}
	out := make(Games, len(raw))
	for i, pair := range raw {
		if len(pair) != 2 {
			return fmt.Errorf("games[%d] must be two numbers (each side's points), not %d", i, len(pair))
		}
		for k, n := range pair {
			v, err := strconv.ParseInt(n.String(), 10, 0)
			if err != nil {
				return fmt.Errorf("games[%d] must be whole numbers, not %s", i, n)
			}
			out[i][k] = int(v)
		}
	}
	*g = out
	return nil
}
