package command

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Role is what a token lets its holder do.
type Role string

// Roles.
const (
	RoleOrganiser Role = "organiser"
	RolePlayer    Role = "player"
	RoleSpectator Role = "spectator"
)

// Claims is what a verified token says: one tournament, one role, and for players their id.
type Claims struct {
	Tournament string
	Role       Role
	Player     int // match.PlayerID for RolePlayer; 0 otherwise
}

// Tokens issues and verifies the hub's tokens: HS256 JWTs with the claims tid (tournament), role,
// pid (player id, players only), iat and exp. Verification accepts only HS256 and requires exp, so
// an unsigned ("none") or RS256-confused token and a token without expiry are refused.
type Tokens struct {
	secret []byte           // static after construction
	ttl    time.Duration    // static after construction
	now    func() time.Time // static after construction
	parser *jwt.Parser      // static after construction
}

type jwtClaims struct {
	Tournament string `json:"tid"`
	Role       Role   `json:"role"`
	Player     int    `json:"pid,omitempty"`
	jwt.RegisteredClaims
}

// NewTokens returns a Tokens signing with secret. ttl is how long an issued token lasts (24 h if
// zero); now is the clock (time.Now if nil).
func NewTokens(secret []byte, ttl time.Duration, now func() time.Time) *Tokens {
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	if now == nil {
		now = time.Now
	}
	return &Tokens{
		secret: slices.Clone(secret),
		ttl:    ttl,
		now:    now,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithTimeFunc(now),
		),
	}
}

// TTL is how long issued tokens last.
func (k *Tokens) TTL() time.Duration { return k.ttl }

// Issue signs a token for c that expires after the TTL.
func (k *Tokens) Issue(c Claims) (string, error) {
	if err := c.valid(); err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	now := k.now()
	jc := jwtClaims{
		Tournament: c.Tournament,
		Role:       c.Role,
		Player:     c.Player,
		RegisteredClaims: jwt.RegisteredClaims{
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(k.ttl)),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jc).SignedString(k.secret)
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	return s, nil
}

// Verify checks the signature, algorithm and expiry of token and returns its claims. Every refusal
// is an *Error with code unauthorized.
func (k *Tokens) Verify(token string) (Claims, error) {
	if token == "" {
		return Claims{}, Errorf(CodeUnauthorized, "a token is required")
	}
	var jc jwtClaims
	_, err := k.parser.ParseWithClaims(token, &jc, func(*jwt.Token) (any, error) { return k.secret, nil })
	if err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenExpired):
			return Claims{}, Errorf(CodeUnauthorized, "the token has expired")
		case errors.Is(err, jwt.ErrTokenSignatureInvalid):
			return Claims{}, Errorf(CodeUnauthorized, "the token was not signed by this hub")
		default:
			return Claims{}, Errorf(CodeUnauthorized, "the token is not valid")
		}
	}
	c := Claims{Tournament: jc.Tournament, Role: jc.Role, Player: jc.Player}
	if err := c.valid(); err != nil {
		return Claims{}, Errorf(CodeUnauthorized, "the token is not valid: %v", err)
	}
	return c, nil
}

func (c Claims) valid() error {
	if c.Tournament == "" {
		return errors.New("no tournament")
	}
	switch c.Role {
	case RoleOrganiser, RoleSpectator:
		if c.Player != 0 {
			return fmt.Errorf("role %s has a player id", c.Role)
		}
	case RolePlayer:
		if c.Player <= 0 {
			return errors.New("player token without a player id")
		}
	default:
		return fmt.Errorf("unknown role %q", c.Role)
	}
	return nil
}
