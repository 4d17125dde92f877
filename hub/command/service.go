// Package command is the one path of every command of a node: the HTTP API, the WebSocket and the
// deadline sweeper all call the Service, which authorises the caller's claims (tokens.go), stamps
// the command with the time, applies it through the store, records the tournament's next deadline
// and counts the outcome. Its errors carry the codes of the one error table (errors.go), which both
// transports show.
package command

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// Config configures a Service. Zero values take the defaults stated on each field.
type Config struct {
	// Store sequences the commands. Required.
	Store store.Store
	// Due keeps the tournaments' next deadlines for the sweeper. Required.
	Due store.DueSet
	// Tokens issues and verifies tokens. Required.
	Tokens *Tokens
	// Now is the clock for creation times and the time stamped on every command (Command.At, from
	// which the engine computes deadlines). Defaults to time.Now.
	Now func() time.Time
	// Log receives the service's warnings. Defaults to discarding them.
	Log *slog.Logger
	// Registerer receives the command metrics. Nil registers nothing (they still count).
	Registerer prometheus.Registerer
}

// Service runs commands. Safe for concurrent use.
type Service struct {
	store   store.Store      // static after construction
	due     store.DueSet     // static after construction
	tokens  *Tokens          // static after construction
	now     func() time.Time // static after construction
	log     *slog.Logger     // static after construction
	metrics *metrics         // static after construction
}

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("new command service: a store is required")
	case cfg.Due == nil:
		return nil, errors.New("new command service: a due set is required")
	case cfg.Tokens == nil:
		return nil, errors.New("new command service: tokens are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: cfg.Store, due: cfg.Due, tokens: cfg.Tokens, now: cfg.Now, log: cfg.Log,
		metrics: newMetrics(cfg.Registerer)}, nil
}

// Verify checks a token and returns its claims (an unauthorized *Error if it is not valid).
func (s *Service) Verify(token string) (Claims, error) { return s.tokens.Verify(token) }

// Created is the outcome of Create: the new tournament and its organiser's token.
type Created struct {
	store.Applied
	ID    string
	Token string
}

// Create creates a tournament with a new id; anyone may. A non-empty submissionID makes it safe
// to repeat: the id is derived from it (a hash: the id tells nothing of the submission id), so a
// repeat finds the tournament the first try made, as it is now, and answers it (Duplicate set)
// with a fresh organiser token, creating nothing (once it was deleted or expired, the repeat
// creates it again). Whoever knows the submission id
// gets that token, hence MinJoinSubmissionID.
func (s *Service) Create(ctx context.Context, name, description string, settings match.Settings, submissionID string) (Created, error) {
	if strings.TrimSpace(name) == "" {
		return Created{}, &match.Error{Code: match.CodeInvalid, Message: "name is required"}
	}
	if settings.Format == "" {
		return Created{}, &match.Error{Code: match.CodeInvalid, Message: "format is required: single_elimination, double_elimination, round_robin or swiss"}
	}
	var id string
	if submissionID != "" {
		if n := len(submissionID); n < MinJoinSubmissionID || n > MaxSubmissionID {
			return Created{}, Errorf(CodeBadRequest, "submission_id of a create must be %d to %d characters, and unguessable (a UUID): a repeat gets the organiser token of the tournament it made",
				MinJoinSubmissionID, MaxSubmissionID)
		}
		id = createdID(submissionID)
	} else {
		var err error
		if id, err = newTournamentID(); err != nil {
			return Created{}, err
		}
	}
	now := s.now().UTC()
	cmd := match.Command{Type: match.CmdCreate, Tournament: id, Name: name, Description: description, Settings: &settings, At: now}
	a, err := s.store.Create(ctx, id, cmd, now)
	var me *match.Error
	if submissionID != "" && errors.As(err, &me) && me.Code == match.CodeAlreadyExists {
		a, err = s.createdBefore(ctx, id)
	}
	s.count(string(match.CmdCreate), "create", a, err)
	if err != nil {
		return Created{}, err
	}
	return s.created(ctx, id, a)
}

// createdBefore answers a repeated create: the tournament as it is now, once the store confirms
// it is as durable as a create it acknowledges (store.Confirmer).
func (s *Service) createdBefore(ctx context.Context, id string) (store.Applied, error) {
	st, head, err := s.store.Load(ctx, id)
	if err != nil {
		return store.Applied{}, err
	}
	if c, ok := s.store.(store.Confirmer); ok {
		if err := c.Confirm(ctx, id); err != nil {
			return store.Applied{}, err
		}
	}
	return store.Applied{Epoch: head.Epoch, Version: head.Version, Rev: head.Rev, State: st, Duplicate: true}, nil
}

// createdID is the id of the tournament a create with submission id sub makes.
func createdID(sub string) string {
	h := sha256.Sum256([]byte("tourhub create\x00" + sub))
	return "t_" + hex.EncodeToString(h[:8])
}

// created records a new tournament's next deadline and gives its organiser a token.
func (s *Service) created(ctx context.Context, id string, a store.Applied) (Created, error) {
	s.track(ctx, id, a.Due)
	token, err := s.tokens.Issue(Claims{Tournament: id, Role: RoleOrganiser})
	if err != nil {
		return Created{}, err
	}
	return Created{Applied: a, ID: id, Token: token}, nil
}

func newTournamentID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("tournament id: %w", err)
	}
	return "t_" + hex.EncodeToString(b[:]), nil
}

// Joined is the outcome of Join: the player and their token.
type Joined struct {
	store.Applied
	Player match.PlayerID
	Token  string
}

// MaxSubmissionID bounds submission ids.
const MaxSubmissionID = 128

// MinJoinSubmissionID is the shortest submission id a join takes: whoever repeats it gets a token
// for the player it made, so it must not be guessable (a UUID has 36 characters).
const MinJoinSubmissionID = 16

// Join registers a player; anyone may. A non-empty submissionID makes it idempotent: a repeat
// answers the first join's player (Duplicate set) with a fresh token, and adds nobody.
func (s *Service) Join(ctx context.Context, tournament, name string, rating float64, submissionID string) (Joined, error) {
	sub := ""
	if submissionID != "" {
		if n := len(submissionID); n < MinJoinSubmissionID || n > MaxSubmissionID {
			return Joined{}, Errorf(CodeBadRequest, "submission_id of a join must be %d to %d characters, and unguessable (a UUID): a repeat gets a token for the player it made",
				MinJoinSubmissionID, MaxSubmissionID)
		}
		sub = "join:" + submissionID
	}
	a, err := s.apply(ctx, tournament, match.Command{Type: match.CmdJoin, Name: name, Rating: rating}, sub)
	if err != nil {
		return Joined{}, err
	}
	var pid match.PlayerID
	for _, e := range a.Events {
		if e.Type == match.EvPlayerJoined {
			pid = e.Player
			if e.Participant != nil {
				pid = e.Participant.ID
			}
		}
	}
	if pid == 0 {
		return Joined{}, errors.New("join: no player_joined event")
	}
	if a.Duplicate && (a.State == nil || !slices.ContainsFunc(a.State.Participants, func(p match.Participant) bool { return p.ID == pid })) {
		return Joined{}, &match.Error{Code: match.CodeUnknownPlayer, Message: fmt.Sprintf(
			"player %d, who joined with this submission_id, has left the tournament; join again with a new submission_id", pid)}
	}
	token, err := s.tokens.Issue(Claims{Tournament: tournament, Role: RolePlayer, Player: int(pid)})
	if err != nil {
		return Joined{}, err
	}
	return Joined{Applied: a, Player: pid, Token: token}, nil
}

// Leave removes player pid before the start: the player themself or the organiser.
func (s *Service) Leave(ctx context.Context, c Claims, tournament string, pid int) (store.Applied, error) {
	if err := selfOrOrganiser(c, tournament, pid); err != nil {
		return store.Applied{}, err
	}
	return s.apply(ctx, tournament, match.Command{Type: match.CmdLeave, Player: match.PlayerID(pid)}, "")
}

// CheckIn checks a player in: a player themself (pid nil or their own), or the organiser for the
// player pid.
func (s *Service) CheckIn(ctx context.Context, c Claims, tournament string, pid *int) (store.Applied, error) {
	if err := authorise(c, tournament); err != nil {
		return store.Applied{}, err
	}
	var who int
	switch c.Role {
	case RolePlayer:
		who = c.Player
		if pid != nil && *pid != c.Player {
			return store.Applied{}, Errorf(CodeForbidden, "a player may only check themself in")
		}
	case RoleOrganiser:
		if pid == nil {
			return store.Applied{}, Errorf(CodeBadRequest, "player_id is required when the organiser checks a player in")
		}
		who = *pid
	default:
		return store.Applied{}, Errorf(CodeForbidden, "only players and the organiser may check in")
	}
	return s.apply(ctx, tournament, match.Command{Type: match.CmdCheckIn, Player: match.PlayerID(who)}, "")
}

// Start starts the tournament: the organiser.
func (s *Service) Start(ctx context.Context, c Claims, tournament string) (store.Applied, error) {
	return s.organiser(ctx, c, tournament, match.Command{Type: match.CmdStart})
}

// Cancel cancels the tournament: the organiser.
func (s *Service) Cancel(ctx context.Context, c Claims, tournament string) (store.Applied, error) {
	return s.organiser(ctx, c, tournament, match.Command{Type: match.CmdCancel})
}

// organiserDoes says what each organiser's command does, for the message that refuses it to others.
var organiserDoes = map[match.CommandType]string{
	match.CmdStart:        "start the tournament",
	match.CmdCancel:       "cancel the tournament",
	match.CmdEdit:         "edit the tournament",
	match.CmdDelete:       "delete the tournament",
	match.CmdSeed:         "seed the players",
	match.CmdStartPlayoff: "start the playoff",
	match.CmdAddPlayers:   "add players",
}

func (s *Service) organiser(ctx context.Context, c Claims, tournament string, cmd match.Command) (store.Applied, error) {
	if err := authorise(c, tournament); err != nil {
		return store.Applied{}, err
	}
	if c.Role != RoleOrganiser {
		return store.Applied{}, Errorf(CodeForbidden, "only the organiser may %s", organiserDoes[cmd.Type])
	}
	return s.apply(ctx, tournament, cmd, "")
}

// Withdraw withdraws player pid (the player themself or the organiser) or, with disqualify,
// disqualifies them (the organiser only).
func (s *Service) Withdraw(ctx context.Context, c Claims, tournament string, pid int, disqualify bool) (store.Applied, error) {
	if err := selfOrOrganiser(c, tournament, pid); err != nil {
		return store.Applied{}, err
	}
	if disqualify && c.Role != RoleOrganiser {
		return store.Applied{}, Errorf(CodeForbidden, "only the organiser may disqualify")
	}
	return s.apply(ctx, tournament, match.Command{Type: match.CmdWithdraw, Player: match.PlayerID(pid), Disqualify: disqualify}, "")
}

// Report applies a result: the organiser's report is final (By 0); a player reports as themself
// (the engine refuses a match they are not in). A non-empty submissionID makes the report
// idempotent per tournament and reporter: the same id from the same reporter returns the first
// answer with Duplicate set.
func (s *Service) Report(ctx context.Context, c Claims, tournament string, m match.MatchID, res match.Report, submissionID string) (store.Applied, error) {
	if err := authorise(c, tournament); err != nil {
		return store.Applied{}, err
	}
	if m <= 0 {
		return store.Applied{}, &match.Error{Code: match.CodeUnknownMatch, Message: fmt.Sprintf("no match %d", m)}
	}
	if len(submissionID) > MaxSubmissionID {
		return store.Applied{}, Errorf(CodeBadRequest, "submission_id is longer than %d bytes", MaxSubmissionID)
	}
	cmd := match.Command{Type: match.CmdReport, Match: m, Scores: res.Scores, Games: res.Games}
	var sub string
	switch c.Role {
	case RoleOrganiser:
		if submissionID != "" {
			sub = "report:o:" + submissionID
		}
	case RolePlayer:
		cmd.By = match.PlayerID(c.Player)
		if submissionID != "" {
			sub = "report:p" + strconv.Itoa(c.Player) + ":" + submissionID
		}
	default:
		return store.Applied{}, Errorf(CodeForbidden, "only the players of a match and the organiser may report its result")
	}
	return s.apply(ctx, tournament, cmd, sub)
}

// Forfeit forfeits match m: the organiser for one side (player) or both; a player for themself
// (player nil or their own).
func (s *Service) Forfeit(ctx context.Context, c Claims, tournament string, m match.MatchID, player *int, both bool) (store.Applied, error) {
	if err := authorise(c, tournament); err != nil {
		return store.Applied{}, err
	}
	cmd := match.Command{Type: match.CmdForfeit, Match: m, Both: both}
	switch c.Role {
	case RoleOrganiser:
		if both && player != nil {
			return store.Applied{}, Errorf(CodeBadRequest, "give either player_id or both, not the two")
		}
		if !both && player == nil {
			return store.Applied{}, Errorf(CodeBadRequest, "player_id (the side that forfeits) or both is required")
		}
		if player != nil {
			cmd.Player = match.PlayerID(*player)
		}
	case RolePlayer:
		if both {
			return store.Applied{}, Errorf(CodeForbidden, "only the organiser may forfeit both sides")
		}
		if player != nil && *player != c.Player {
			return store.Applied{}, Errorf(CodeForbidden, "a player may only forfeit for themself")
		}
		cmd.Player = match.PlayerID(c.Player)
	default:
		return store.Applied{}, Errorf(CodeForbidden, "only a player of the match or the organiser may forfeit")
	}
	return s.apply(ctx, tournament, cmd, "")
}

// authorise checks that c is a token for tournament.
func authorise(c Claims, tournament string) error {
	if c.Tournament != tournament {
		return Errorf(CodeUnauthorized, "the token is for another tournament")
	}
	return nil
}

// selfOrOrganiser allows the organiser of tournament, or the player pid themself.
func selfOrOrganiser(c Claims, tournament string, pid int) error {
	if err := authorise(c, tournament); err != nil {
		return err
	}
	switch {
	case c.Role == RoleOrganiser:
		return nil
	case c.Role == RolePlayer && c.Player == pid:
		return nil
	case c.Role == RolePlayer:
		return Errorf(CodeForbidden, "a player may only do this for themself")
	}
	return Errorf(CodeForbidden, "only the player themself or the organiser may do this")
}

// apply stamps cmd with the time, runs it through the store, records the tournament's next
// deadline and counts the outcome: every command of the node but Create goes through it, timed
// ones from the sweeper included.
func (s *Service) apply(ctx context.Context, id string, cmd match.Command, sub string) (store.Applied, error) {
	if cmd.At.IsZero() {
		cmd.At = s.now().UTC()
	}
	a, err := s.store.Apply(ctx, id, cmd, sub)
	s.count(string(cmd.Type), "apply", a, err)
	if err == nil && !a.Duplicate {
		s.track(ctx, id, a.Due)
	}
	return a, err
}

// trackTimeout bounds recording a commit's next deadline once the command's caller has gone.
const trackTimeout = 5 * time.Second

// track records the tournament's next deadline after a commit. It only ever moves the recorded
// time earlier: a node with an older state cannot push a deadline back, and a too-early entry only
// costs the sweeper one extra look. The commit happened, so the deadline is recorded even when the
// command's caller has gone meanwhile (a client that hung up): otherwise nothing would fire it.
func (s *Service) track(ctx context.Context, id string, at time.Time) {
	if at.IsZero() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), trackTimeout)
	defer cancel()
	if err := s.due.Lower(ctx, id, at); err != nil {
		s.log.Warn("schedule deadline", "tournament", id, "err", err)
	}
}

func (s *Service) count(typ, op string, a store.Applied, err error) {
	outcome := "applied"
	switch {
	case errors.Is(err, context.Canceled):
		// Cut short by its caller (a client gone, the node draining): not the store's failure.
		outcome = "canceled"
	case err != nil:
		_, code, _ := ErrorBody(err)
		outcome = code
		if code == CodeUnavailable || code == CodeInternal || code == CodeVersionConflict {
			s.metrics.storeErrors.WithLabelValues(op).Inc()
		}
	case a.Duplicate:
		outcome = "duplicate"
	}
	s.metrics.commands.WithLabelValues(typ, outcome).Inc()
}

// StoreErr counts a failed read of the store by the node's transports (not an unknown
// tournament) in tourhub_store_errors_total and returns err.
func (s *Service) StoreErr(op string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	if _, code, _ := ErrorBody(err); code == CodeUnavailable || code == CodeInternal {
		s.metrics.storeErrors.WithLabelValues(op).Inc()
	}
	return err
}
