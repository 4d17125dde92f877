package command

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tourhub/tourhub/internal/jsonw"
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
	secret    []byte           // static after construction
	ttl       time.Duration    // static after construction
	now       func() time.Time // static after construction
	parser    *jwt.Parser      // static after construction
	validator *jwt.Validator   // static after construction; the parser's rules, for verifyIssued
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
	rules := []jwt.ParserOption{jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(now)}
	return &Tokens{
		secret:    slices.Clone(secret),
		ttl:       ttl,
		now:       now,
		parser:    jwt.NewParser(append(rules, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}))...),
		validator: jwt.NewValidator(rules...),
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
	// The token as jwt.NewWithClaims(jwt.SigningMethodHS256, jwtClaims{...}).SignedString writes
	// it, byte for byte (TestIssueAsJWTWritesIt), without marshalling its constant header map
	// and the claims by reflection for every join: a header, the claims, each base64url without
	// padding, and the HS256 signature of the two.
	b := make([]byte, 0, 256)
	b = append(b, hs256Prefix...)
	b = base64.RawURLEncoding.AppendEncode(b, appendClaims(make([]byte, 0, 128), c, now.Unix(), now.Add(k.ttl).Unix()))
	sig, err := jwt.SigningMethodHS256.Sign(string(b), k.secret)
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	b = append(b, '.')
	return string(base64.RawURLEncoding.AppendEncode(b, sig)), nil
}

// hs256Header is the header golang-jwt writes for an HS256 token, {"alg":"HS256","typ":"JWT"},
// base64url-encoded, and hs256Prefix the start of every token Issue writes.
var (
	hs256Header = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	hs256Prefix = hs256Header + "."
)

// appendClaims appends the claims of c as encoding/json writes jwtClaims: tid, role, pid (if
// any), then the registered claims exp and iat (seconds since 1970: jwt.NumericDate at its
// default precision).
func appendClaims(b []byte, c Claims, iat, exp int64) []byte {
	b = append(b, `{"tid":`...)
	b = jsonw.AppendString(b, c.Tournament)
	b = append(b, `,"role":`...)
	b = jsonw.AppendString(b, string(c.Role))
	if c.Player != 0 {
		b = append(b, `,"pid":`...)
		b = strconv.AppendInt(b, int64(c.Player), 10)
	}
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, exp, 10)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, iat, 10)
	return append(b, '}')
}

// Verify checks the signature, algorithm and expiry of token and returns its claims. Every refusal
// is an *Error with code unauthorized.
func (k *Tokens) Verify(token string) (Claims, error) {
	if token == "" {
		return Claims{}, Errorf(CodeUnauthorized, "a token is required")
	}
	var jc jwtClaims
	if !k.verifyIssued(token, &jc) {
		// Whatever verifyIssued does not accept, the parser decides, and says why.
		jc = jwtClaims{}
		_, err := k.parser.ParseWithClaims(token, &jc, func(*jwt.Token) (any, error) { return k.secret, nil })
		switch {
		case err == nil: // signed by this hub, with a header another writer wrote
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

// verifyIssued verifies a token as k.parser does, faster, when it has the header Issue writes
// (every token of this hub): it reports true, with jc filled, only when the parser would accept
// the token with those claims (TestVerifyAsTheParser); false leaves the decision, and the
// reason, to the parser. The header is compared as bytes rather than decoded into a map, and the
// signature is checked before the claims are decoded; the signature check (HS256) and the rules
// on the claims (k.validator: exp required and passed, iat not in the future) are golang-jwt's.
func (k *Tokens) verifyIssued(token string, jc *jwtClaims) bool {
	rest, ok := strings.CutPrefix(token, hs256Prefix)
	if !ok {
		return false
	}
	payload, sigSeg, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sigSeg, '.') >= 0 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(sigSeg)
	if err != nil || jwt.SigningMethodHS256.Verify(token[:len(token)-len(sigSeg)-1], sig, k.secret) != nil {
		return false
	}
	claims, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(claims, jc) != nil {
		return false
	}
	return k.validator.Validate(jc) == nil
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
