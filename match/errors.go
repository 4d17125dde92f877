package match

import "fmt"

// Code classifies a rejected command. The hub maps each code to an HTTP status and a WebSocket
// error message; the codes are part of the public API.
type Code string

// Error codes.
const (
	CodeInvalid         Code = "invalid"          // malformed command or settings
	CodeInvalidScore    Code = "invalid_score"    // scores impossible for the series
	CodeUnknownMatch    Code = "unknown_match"    // no such match
	CodeUnknownPlayer   Code = "unknown_player"   // no such participant
	CodeMatchNotReady   Code = "match_not_ready"  // the match is waiting for players
	CodeMatchCompleted  Code = "match_completed"  // only the organiser may change a result
	CodeNotInMatch      Code = "not_in_match"     // the player is not in this match
	CodeAlreadyStarted  Code = "already_started"  // registration is closed
	CodeNotRunning      Code = "not_running"      // the tournament is not running
	CodeFinished        Code = "finished"         // the tournament is over (finished or cancelled)
	CodeFull            Code = "full"             // max_players reached
	CodeNameTaken       Code = "name_taken"       // another participant has this name
	CodeTooFewPlayers   Code = "too_few_players"  // fewer than two players to start
	CodePlayerWithdrawn Code = "player_withdrawn" // the player has withdrawn or is eliminated
	CodeNoValidPairing  Code = "no_valid_pairing" // Swiss: no pairing without a rematch exists
	CodeAlreadyExists   Code = "already_exists"   // create on an existing tournament
	CodeNotDue          Code = "not_due"          // a timed command that is not (or no longer) due
	CodeCheckInClosed   Code = "check_in_closed"  // check-in is not open
)

// Error is a rejected command. The state it was applied to is unchanged.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
