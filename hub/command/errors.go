package command

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// Hub error codes: the codes of the API that are not domain codes (match.Code). They are part of
// the public API (docs/api.md, docs/protocol.md).
const (
	CodeBadRequest           = "bad_request"            // malformed JSON, wrong types, unknown fields
	CodeUnauthorized         = "unauthorized"           // missing, malformed, expired or foreign token
	CodeForbidden            = "forbidden"              // the token's role may not do this
	CodeNotFound             = "not_found"              // no such tournament (or route)
	CodeVersionConflict      = "version_conflict"       // too many concurrent commands; retry
	CodeRateLimited          = "rate_limited"           // too many requests
	CodeUnavailable          = "unavailable"            // the store cannot be reached; retry
	CodeInternal             = "internal"               // anything else; the message is always "internal error"
	CodeBadMessage           = "bad_message"            // WebSocket: not JSON, no type, unknown type, missing field
	CodeTooManySubscriptions = "too_many_subscriptions" // WebSocket: over the subscriptions per socket
	CodeTooManyTournaments   = "too_many_tournaments"   // WebSocket: over the tournaments' keys per socket
	CodeTooLarge             = "too_large"              // request body over the limit
	CodeMethodNotAllowed     = "method_not_allowed"     // known path, wrong method
	CodeHistoryGone          = "history_gone"           // the log no longer holds the versions asked for
)

// statusOf is the one table from error code to HTTP status (docs/api.md#errors). The WebSocket
// side sends the same codes in its error messages.
var statusOf = map[string]int{
	CodeBadRequest:       http.StatusBadRequest,
	CodeBadMessage:       http.StatusBadRequest,
	CodeTooLarge:         http.StatusRequestEntityTooLarge,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeUnauthorized:     http.StatusUnauthorized,
	CodeForbidden:        http.StatusForbidden,
	CodeNotFound:         http.StatusNotFound,
	CodeVersionConflict:  http.StatusConflict,
	CodeRateLimited:      http.StatusTooManyRequests,
	CodeUnavailable:      http.StatusServiceUnavailable,
	CodeInternal:         http.StatusInternalServerError,
	CodeHistoryGone:      http.StatusGone,

	string(match.CodeInvalid):         http.StatusBadRequest,
	string(match.CodeUnknownMatch):    http.StatusNotFound,
	string(match.CodeUnknownPlayer):   http.StatusNotFound,
	string(match.CodeAlreadyStarted):  http.StatusConflict,
	string(match.CodeNotRunning):      http.StatusConflict,
	string(match.CodeFinished):        http.StatusConflict,
	string(match.CodeMatchNotReady):   http.StatusConflict,
	string(match.CodeMatchCompleted):  http.StatusConflict,
	string(match.CodeAlreadyExists):   http.StatusConflict,
	string(match.CodeNotDue):          http.StatusConflict,
	string(match.CodeCheckInClosed):   http.StatusConflict,
	string(match.CodeInvalidScore):    http.StatusUnprocessableEntity,
	string(match.CodeNotInMatch):      http.StatusUnprocessableEntity,
	string(match.CodeFull):            http.StatusUnprocessableEntity,
	string(match.CodeNameTaken):       http.StatusUnprocessableEntity,
	string(match.CodeTooFewPlayers):   http.StatusUnprocessableEntity,
	string(match.CodePlayerWithdrawn): http.StatusUnprocessableEntity,
	string(match.CodeNoValidPairing):  http.StatusUnprocessableEntity,
}

// Error is a hub error that users may see: a code from the table above and a clear message.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorBody says how err is shown to a user: the HTTP status, the code and the message. Domain
// errors (*match.Error), hub errors (*Error) and the store's sentinel errors keep their code and
// message; anything else is internal and shown only as "internal error" (the caller logs it in
// full when status is 500).
func ErrorBody(err error) (status int, code, message string) {
	var me *match.Error
	var he *Error
	switch {
	case err == nil:
		return http.StatusOK, "", ""
	case errors.As(err, &me):
		code, message = string(me.Code), me.Message
	case errors.As(err, &he):
		code, message = he.Code, he.Message
	case errors.Is(err, store.ErrNotFound):
		code, message = CodeNotFound, store.ErrNotFound.Error()
	case errors.Is(err, store.ErrUnavailable):
		code, message = CodeUnavailable, "the store is unavailable; retry"
	case errors.Is(err, store.ErrHistoryGone):
		code, message = CodeHistoryGone, "the tournament's log no longer holds its whole history (it keeps the newest commands, up to --max-events, for retention.log), so earlier versions cannot be rebuilt"
	case errors.Is(err, store.ErrConflict):
		code, message = CodeVersionConflict, store.ErrConflict.Error()
	case errors.Is(err, context.Canceled):
		// The request's context ended before the node had an answer: its client went away, or
		// the node is shutting down. Nothing failed; the command may or may not have been applied.
		code, message = CodeUnavailable, "the request was cancelled before it was answered, and may or may not have been applied; retry (with the same submission_id where it has one)"
	case errors.Is(err, context.DeadlineExceeded):
		// The store did not answer within the command's time: as retryable as unreachable.
		code, message = CodeUnavailable, "the store did not answer in time; retry"
	default:
		return http.StatusInternalServerError, CodeInternal, "internal error"
	}
	status, ok := statusOf[code]
	if !ok {
		// A code added to match without a row here: keep the code, 400 is the safest status.
		status = http.StatusBadRequest
	}
	return status, code, message
}
