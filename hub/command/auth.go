package command

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// macs holds HMAC-SHA256 hashes keyed with secret (hash.Hash): keying one hashes the
	// secret's two pads, which Reset does not do again.
	macs sync.Pool
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
	k := &Tokens{
		secret:    slices.Clone(secret),
		ttl:       ttl,
		now:       now,
		parser:    jwt.NewParser(append(rules, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}))...),
		validator: jwt.NewValidator(rules...),
	}
	k.macs.New = func() any { return hmac.New(sha256.New, k.secret) }
	return k
}

// sign appends the HS256 signature of msg to dst: the HMAC-SHA256 of msg under the secret, as
// golang-jwt's SigningMethodHS256 computes it (TestIssueAsJWTWritesIt).
func (k *Tokens) sign(dst, msg []byte) []byte {
	m := k.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(msg)
	dst = m.Sum(dst)
	k.macs.Put(m)
	return dst
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
	var claims [128]byte
	var sig [sha256.Size]byte
	b := make([]byte, 0, 256)
	b = append(b, hs256Prefix...)
	b = base64.RawURLEncoding.AppendEncode(b, appendClaims(claims[:0], c, now.Unix(), now.Add(k.ttl).Unix()))
	s := k.sign(sig[:0], b)
	b = append(b, '.')
	return string(base64.RawURLEncoding.AppendEncode(b, s)), nil
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

// verifyIssued verifies a token as k.parser does, faster, when it is written as Issue writes
// tokens (every token of this hub): it reports true, with jc filled, only when the parser would
// accept the token with those claims (TestVerifyAsTheParser, FuzzVerifyAsTheParser); false
// leaves the decision, and the reason, to the parser. The header is compared as bytes rather
// than decoded into a map; the signature is checked first, as golang-jwt's HS256 checks it (an
// HMAC-SHA256 compared in constant time); the claims are read only in the form appendClaims
// writes (readClaims); the rules on them (exp required and passed, iat not in the future) are
// golang-jwt's own (k.validator).
func (k *Tokens) verifyIssued(token string, jc *jwtClaims) bool {
	rest, ok := strings.CutPrefix(token, hs256Prefix)
	if !ok {
		return false
	}
	payload, sigSeg, ok := strings.Cut(rest, ".")
	if !ok || base64.RawURLEncoding.DecodedLen(len(sigSeg)) != sha256.Size ||
		base64.RawURLEncoding.DecodedLen(len(payload)) > maxClaims {
		return false
	}
	var sig, want [sha256.Size]byte
	if n, err := base64.RawURLEncoding.Decode(sig[:], []byte(sigSeg)); err != nil || n != len(sig) {
		return false
	}
	if !hmac.Equal(sig[:], k.sign(want[:0], []byte(token[:len(token)-len(sigSeg)-1]))) {
		return false
	}
	var buf [maxClaims]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], []byte(payload))
	if err != nil || !readClaims(buf[:n], jc) {
		return false
	}
	return k.validator.Validate(jc) == nil
}

// maxClaims bounds the claims verifyIssued reads itself (a tournament id of a few hundred
// bytes); longer ones go to the parser.
const maxClaims = 512

// readClaims reads b into jc when b is claims exactly as appendClaims writes them, and reports
// whether it did. Whatever it accepts, encoding/json reads as the same claims: it takes the
// strings as they stand between their quotes and the numbers as integers, and accepts b only if
// appendClaims writes those values back as b, byte for byte (so a string with an escape, a
// number with a fraction or an exponent, a member more or in another order are refused). exp and
// iat must lie within ±2^53, where the float the parser reads them as is exact.
func readClaims(b []byte, jc *jwtClaims) bool {
	r := b
	str := func(prefix string) (string, bool) {
		var ok bool
		if r, ok = bytes.CutPrefix(r, []byte(prefix)); !ok {
			return "", false
		}
		i := bytes.IndexByte(r, '"')
		if i < 0 {
			return "", false
		}
		s := string(r[:i])
		r = r[i+1:]
		return s, true
	}
	num := func(prefix string) (int64, bool) {
		var ok bool
		if r, ok = bytes.CutPrefix(r, []byte(prefix)); !ok {
			return 0, false
		}
		i := 0
		for i < len(r) && (r[i] == '-' || '0' <= r[i] && r[i] <= '9') {
			i++
		}
		n, err := strconv.ParseInt(string(r[:i]), 10, 64)
		r = r[i:]
		return n, err == nil && -1<<53 <= n && n <= 1<<53
	}
	var c Claims
	var ok bool
	if c.Tournament, ok = str(`{"tid":"`); !ok {
		return false
	}
	role, ok := str(`,"role":"`)
	if !ok {
		return false
	}
	c.Role = Role(role)
	if bytes.HasPrefix(r, []byte(`,"pid":`)) {
		pid, ok := num(`,"pid":`)
		if !ok || int64(int(pid)) != pid {
			return false
		}
		c.Player = int(pid)
	}
	exp, ok := num(`,"exp":`)
	if !ok {
		return false
	}
	iat, ok := num(`,"iat":`)
	if !ok {
		return false
	}
	var again [maxClaims]byte
	if !bytes.Equal(appendClaims(again[:0], c, iat, exp), b) {
		return false
	}
	*jc = jwtClaims{Tournament: c.Tournament, Role: c.Role, Player: c.Player, RegisteredClaims: jwt.RegisteredClaims{
		ExpiresAt: jwt.NewNumericDate(time.Unix(exp, 0)),
		IssuedAt:  jwt.NewNumericDate(time.Unix(iat, 0)),
	}}
	return true
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
