package match

import "time"

// CommandType names a command.
type CommandType string

// Commands.
const (
	CmdCreate   CommandType = "create"   // Name, Settings (+ Tournament for the id)
	CmdJoin     CommandType = "join"     // Name, Rating
	CmdLeave    CommandType = "leave"    // Player
	CmdCheckIn  CommandType = "check_in" // Player
	CmdStart    CommandType = "start"    //
	CmdReport   CommandType = "report"   // Match, Scores, By (0 = organiser, final; else that player)
	CmdForfeit  CommandType = "forfeit"  // Match, Player (0 with Both = double forfeit)
	CmdWithdraw CommandType = "withdraw" // Player, Disqualify
	CmdCancel   CommandType = "cancel"   //

	CmdStartPlayoff CommandType = "start_playoff" // Order (optional: other qualifiers, top seed first)

	// Organiser's edits (edit.go).
	CmdEdit       CommandType = "edit"        // Edit (name, description)
	CmdDelete     CommandType = "delete"      //
	CmdEditPlayer CommandType = "edit_player" // Player, Edit (name; before the start rating, seed)
	CmdSeed       CommandType = "seed"        // Seeding (given with Order, rating, or random with RandomSeed)
	CmdAddPlayers CommandType = "add_players" // Players

	// Timed commands, issued by the node's deadline sweeper (and accepted only when due).
	CmdOpenCheckIn CommandType = "open_check_in" // At
	CmdWarnCheckIn CommandType = "warn_check_in" // At
	CmdWarn        CommandType = "warn"          // Match, At
	CmdTimeout     CommandType = "timeout"       // Match, At
)

// Command is one change to a tournament. It is a flat tagged union so that it can be logged and
// replayed as JSON; the fields each type reads are listed next to the type constants.
type Command struct {
	Type       CommandType `json:"type"`
	Tournament string      `json:"tournament,omitempty"`
	Name       string      `json:"name,omitempty"`
	// Description is the tournament's description at create.
	Description string    `json:"description,omitempty"`
	Settings    *Settings `json:"settings,omitempty"`
	Rating      float64   `json:"rating,omitempty"`
	Player      PlayerID  `json:"player,omitempty"`
	Match       MatchID   `json:"match,omitempty"`
	Scores      [2]int    `json:"scores,omitempty"`
	// Games are the points of each game of a reported series (optional; Match.Games).
	Games Games `json:"games,omitempty"`
	// By is who reports: 0 for the organiser (whose word is final and may correct a completed
	// match), otherwise the reporting player, who must be in the match.
	By         PlayerID `json:"by,omitempty"`
	Both       bool     `json:"both,omitempty"`
	Disqualify bool     `json:"disqualify,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	// Edit is what edit and edit_player change.
	Edit *Edit `json:"edit,omitempty"`
	// Seeding, Order and RandomSeed are the seed command's method, explicit order and shuffle seed.
	Seeding    Seeding    `json:"seeding,omitempty"`
	Order      []PlayerID `json:"order,omitempty"`
	RandomSeed uint64     `json:"random_seed,omitempty"`
	// Players are the players add_players registers.
	Players []NewPlayer `json:"players,omitempty"`
	// At is when the command was issued, from the node's clock. Deadlines are stamped from it and
	// timed commands are checked against it; the engine reads no clock.
	At time.Time `json:"at,omitzero"`
}

// EventType names an event.
type EventType string

// Events. Each carries what a client needs to update its copy without asking again: matches are
// sent whole as they are after the change.
const (
	EvCreated            EventType = "tournament_created"     // Tournament (settings only)
	EvPlayerJoined       EventType = "player_joined"          // Participant
	EvPlayerLeft         EventType = "player_left"            // Player
	EvCheckedIn          EventType = "player_checked_in"      // Player
	EvPlayerDropped      EventType = "player_dropped"         // Player, Reason (did not check in)
	EvStarted            EventType = "tournament_started"     // Participants (with seeds), Settings (as the start completed them), Matches (all)
	EvRoundStarted       EventType = "round_started"          // Round, Matches (Swiss: the new round)
	EvMatchReady         EventType = "match_ready"            // Match
	EvMatchUpdated       EventType = "match_updated"          // MatchID, Slots (a pending match's players and filled slots: one filled by the match feeding it, or emptied by a correction)
	EvMatchReported      EventType = "match_reported"         // Match, Player (who reported)
	EvMatchDisputed      EventType = "match_disputed"         // Match
	EvMatchCompleted     EventType = "match_completed"        // Match
	EvMatchReset         EventType = "match_reset"            // Match (its result was undone by a correction)
	EvMatchVoid          EventType = "match_void"             // Match
	EvEliminated         EventType = "player_eliminated"      // Player, MatchID (the match that put them out, their EliminatedIn; absent when none did)
	EvReinstated         EventType = "player_reinstated"      // Player (a correction undid an elimination)
	EvWithdrawn          EventType = "player_withdrawn"       // Player, Reason ("withdrew" or "disqualified")
	EvFinished           EventType = "tournament_finished"    // Standings, Reason
	EvCancelled          EventType = "tournament_cancelled"   //
	EvCheckInOpened      EventType = "check_in_opened"        // At (when it closes: the start)
	EvCheckInClosing     EventType = "check_in_closing"       // At (when it closes), Participants (not checked in yet)
	EvDeadlineWarning    EventType = "match_deadline_warning" // Match, At (the deadline)
	EvTimedOut           EventType = "match_timed_out"        // Match (before the rule applied), Reason
	EvReopened           EventType = "tournament_reopened"    // Reason (a correction reset matches after the finish)
	EvCorrected          EventType = "match_corrected"        // Match (as corrected), Was (as it was): the organiser changed a result
	EvGroupStageFinished EventType = "group_stage_finished"   // Standings (of the groups), Qualifiers (seeded), Reason
	EvPlayoffStarted     EventType = "playoff_started"        // Qualifiers (top seed first), Matches (the playoff's)
	EvEdited             EventType = "tournament_edited"      // Name, Description (both as they are now)
	EvDeleted            EventType = "tournament_deleted"     //
	EvPlayerEdited       EventType = "player_edited"          // Player, Participant (as it is now)
	EvSeedsChanged       EventType = "seeds_changed"          // Participants (all, with their seeds), Settings
)

// Event describes one change made by a command.
type Event struct {
	Type   EventType `json:"type"`
	Player PlayerID  `json:"player,omitempty"`
	Round  int       `json:"round,omitempty"`
	Match  *Match    `json:"match,omitempty"`
	// MatchID and Slots are match_updated's: the players and filled slots of a pending match,
	// the only fields of it that change while it waits (a few bytes, not the whole match).
	// MatchID is also player_eliminated's: the match that put the player out.
	MatchID MatchID `json:"match_id,omitempty"`
	Slots   *Slots  `json:"slots,omitempty"`
	// Was is a corrected match as it was before the correction (match_corrected).
	Was          *Match        `json:"was,omitempty"`
	Matches      []Match       `json:"matches,omitempty"`
	Participant  *Participant  `json:"participant,omitempty"`
	Participants []Participant `json:"participants,omitempty"`
	Qualifiers   []PlayerID    `json:"qualifiers,omitempty"`
	Standings    []Standing    `json:"standings,omitempty"`
	Settings     *Settings     `json:"settings,omitempty"`
	Name         string        `json:"name,omitempty"`
	Description  string        `json:"description,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	At           time.Time     `json:"at,omitzero"`
}

// Slots are a match's players and which of its slots are filled (Match.Players, Match.Filled).
type Slots struct {
	Players [2]PlayerID `json:"players"`
	Filled  [2]bool     `json:"filled"`
}

// Standing is one line of the standings. Rank and RankTo give a tied placement: 5 and 8 mean
// "5th-8th". Points and tie-break values are set for round robin and Swiss.
type Standing struct {
	Player    PlayerID `json:"player_id"`
	Rank      int      `json:"rank"`
	RankTo    int      `json:"rank_to"`
	Group     int      `json:"group,omitempty"`
	Wins      int      `json:"wins"`
	Draws     int      `json:"draws"`
	Losses    int      `json:"losses"`
	Points    float64  `json:"points"`
	GamesWon  int      `json:"games_won"`
	GamesLost int      `json:"games_lost"`
	// GamePointsFor and GamePointsAgainst sum the points of the games reported (Match.Games).
	GamePointsFor     int                  `json:"game_points_for,omitempty"`
	GamePointsAgainst int                  `json:"game_points_against,omitempty"`
	TieBreaks         map[TieBreak]float64 `json:"tie_breaks,omitempty"`
	Eliminated        bool                 `json:"eliminated,omitempty"`
}
