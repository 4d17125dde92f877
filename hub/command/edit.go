package command

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tourhub/tourhub/hub/store"
	"github.com/tourhub/tourhub/match"
)

// The organiser's edits (match/edit.go): each is one command through apply, like a result.

// Edit renames the tournament or changes its description: the organiser.
func (s *Service) Edit(ctx context.Context, c Claims, tournament string, e match.Edit) (store.Applied, error) {
	return s.organiser(ctx, c, tournament, match.Command{Type: match.CmdEdit, Edit: &e})
}

// Delete deletes the tournament: the organiser. The stores drop it at once; the sockets that
// watch it get its tournament_deleted event, and their subscriptions to it end.
func (s *Service) Delete(ctx context.Context, c Claims, tournament string) (store.Applied, error) {
	return s.organiser(ctx, c, tournament, match.Command{Type: match.CmdDelete})
}

// EditPlayer changes player pid: its name (the organiser, or the player themself) or, before the
// start, its rating or seed (the organiser).
func (s *Service) EditPlayer(ctx context.Context, c Claims, tournament string, pid int, e match.Edit) (store.Applied, error) {
	if err := selfOrOrganiser(c, tournament, pid); err != nil {
		return store.Applied{}, err
	}
	if c.Role != RoleOrganiser && (e.Rating != nil || e.Seed != nil) {
		return store.Applied{}, Errorf(CodeForbidden, "only the organiser may change a rating or a seed; a player may change their name")
	}
	return s.apply(ctx, tournament, match.Command{Type: match.CmdEditPlayer, Player: match.PlayerID(pid), Edit: &e}, "")
}

// Seed fixes the seed order before the start: the organiser. Seeding random shuffles by a seed
// drawn here (the engine takes randomness only from its commands, so that a replay is the same).
func (s *Service) Seed(ctx context.Context, c Claims, tournament string, seeding match.Seeding, order []match.PlayerID) (store.Applied, error) {
	cmd := match.Command{Type: match.CmdSeed, Seeding: seeding, Order: order}
	if seeding == match.SeedRandom {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return store.Applied{}, fmt.Errorf("seed: %w", err)
		}
		cmd.RandomSeed = binary.LittleEndian.Uint64(b[:]) & match.MaxRandomSeed
	}
	return s.organiser(ctx, c, tournament, cmd)
}

// Added is the outcome of AddPlayers: the players registered, each with their token.
type Added struct {
	store.Applied
	Players []AddedPlayer
}

// AddedPlayer is one registered player and the token the organiser hands them.
type AddedPlayer struct {
	ID    match.PlayerID `json:"player_id"`
	Name  string         `json:"name"`
	Token string         `json:"token"`
}

// MaxAddPlayers bounds one add_players command: a tournament's largest size.
const MaxAddPlayers = 1024

// AddPlayers registers many players at once, all or none: the organiser. Each comes back with a
// player token, for the organiser to hand on (a personal link).
func (s *Service) AddPlayers(ctx context.Context, c Claims, tournament string, players []match.NewPlayer) (Added, error) {
	if len(players) > MaxAddPlayers {
		return Added{}, Errorf(CodeBadRequest, "at most %d players at once, not %d", MaxAddPlayers, len(players))
	}
	a, err := s.organiser(ctx, c, tournament, match.Command{Type: match.CmdAddPlayers, Players: players})
	if err != nil {
		return Added{}, err
	}
	out := Added{Applied: a, Players: make([]AddedPlayer, 0, len(players))}
	for _, e := range a.Events {
		if e.Type != match.EvPlayerJoined || e.Participant == nil {
			continue
		}
		token, err := s.tokens.Issue(Claims{Tournament: tournament, Role: RolePlayer, Player: int(e.Participant.ID)})
		if err != nil {
			return Added{}, err
		}
		out.Players = append(out.Players, AddedPlayer{ID: e.Participant.ID, Name: e.Participant.Name, Token: token})
	}
	return out, nil
}

// PlayerToken issues a token for player pid of the tournament: the organiser, who hands it to a
// player they registered, or to one who lost theirs. The player must be a participant now.
func (s *Service) PlayerToken(ctx context.Context, c Claims, tournament string, pid int) (string, error) {
	if err := authorise(c, tournament); err != nil {
		return "", err
	}
	if c.Role != RoleOrganiser {
		return "", Errorf(CodeForbidden, "only the organiser may issue a player's token")
	}
	t, _, err := s.store.Load(ctx, tournament)
	if err != nil {
		return "", s.StoreErr("load", err)
	}
	if _, ok := t.Participant(match.PlayerID(pid)); !ok {
		return "", &match.Error{Code: match.CodeUnknownPlayer, Message: fmt.Sprintf("player %d is not in this tournament", pid)}
	}
	token, err := s.tokens.Issue(Claims{Tournament: tournament, Role: RolePlayer, Player: pid})
	if err != nil {
		return "", errors.Join(errors.New("player token"), err)
	}
	return token, nil
}

// MaxImportCommands bounds the history an import replays.
const MaxImportCommands = 20_000

// Import creates a tournament with a new id from the history of another (an export): its create
// command, with this node's retention, then every other command in order, each through the
// store like any command. The caller has checked that the history replays to the state it was
// exported with. If a command is refused (or the store fails) midway, the part imported is
// deleted and the error names the command.
func (s *Service) Import(ctx context.Context, cmds []match.Command) (Created, error) {
	switch {
	case len(cmds) == 0:
		return Created{}, Errorf(CodeBadRequest, "the export has no history to import")
	case len(cmds) > MaxImportCommands:
		return Created{}, Errorf(CodeBadRequest, "the export's history has %d commands; at most %d can be imported", len(cmds), MaxImportCommands)
	case cmds[0].Type != match.CmdCreate || cmds[0].Settings == nil:
		return Created{}, Errorf(CodeBadRequest, "the export's history must start with its create command")
	}
	id, err := newTournamentID()
	if err != nil {
		return Created{}, err
	}
	first := cmds[0]
	set := *first.Settings
	set.Retention = match.Retention{} // this node's
	first.Tournament, first.Settings = id, &set
	a, err := s.store.Create(ctx, id, first, s.now().UTC())
	s.count(string(match.CmdCreate), "create", a, err)
	if err != nil {
		return Created{}, err
	}
	for i, c := range cmds[1:] {
		if c.Type == match.CmdCreate {
			err = Errorf(CodeBadRequest, "command %d of the history is a second create", i+2)
		} else if c.At.IsZero() {
			err = Errorf(CodeBadRequest, "command %d of the history (%s) has no time (at)", i+2, c.Type)
		} else if a, err = s.apply(ctx, id, c, ""); err != nil {
			var me *match.Error
			if errors.As(err, &me) {
				err = &match.Error{Code: me.Code, Message: fmt.Sprintf("command %d of the history (%s) was refused: %s", i+2, c.Type, me.Message)}
			}
		}
		if err != nil {
			if _, derr := s.store.Apply(ctx, id, match.Command{Type: match.CmdDelete, At: s.now().UTC()}, ""); derr != nil {
				s.log.Warn("import failed; deleting its part failed too", "tournament", id, "err", derr)
			}
			return Created{}, err
		}
	}
	if a.State == nil { // the answer shows the imported tournament as it now is
		if a.State, _, err = s.store.Load(ctx, id); err != nil {
			return Created{}, err
		}
	}
	return s.created(ctx, id, a)
}

// NoticesOf authorises reading a player's notices: only that player, with a player token of the
// tournament.
func (s *Service) NoticesOf(c Claims, tournament string) (match.PlayerID, error) {
	if err := authorise(c, tournament); err != nil {
		return 0, err
	}
	if c.Role != RolePlayer {
		return 0, Errorf(CodeForbidden, "notices are a player's own: use a player token")
	}
	return match.PlayerID(c.Player), nil
}

// StartPlayoff starts a two-stage tournament's playoff once its group stage is over: the
// organiser, with the qualifiers the standings gave or the players order names (top seed first).
func (s *Service) StartPlayoff(ctx context.Context, c Claims, tournament string, order []match.PlayerID) (store.Applied, error) {
	return s.organiser(ctx, c, tournament, match.Command{Type: match.CmdStartPlayoff, Order: order})
}
