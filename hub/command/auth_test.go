package command

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestIssueAsJWTWritesIt: Issue writes a token byte for byte as golang-jwt's
// NewWithClaims(HS256, jwtClaims).SignedString does, for every role, player ids of every size,
// tournament ids that JSON must escape, and clocks of every kind, and Verify reads back its claims.
func TestIssueAsJWTWritesIt(t *testing.T) {
	secret := []byte("test-secret-0123456789abcdef0123456789")
	claims := []Claims{
		{Tournament: "t_ab12cd34", Role: RoleOrganiser},
		{Tournament: "t_ab12cd34", Role: RoleSpectator},
		{Tournament: "t_ab12cd34", Role: RolePlayer, Player: 1},
		{Tournament: "t_x", Role: RolePlayer, Player: 1 << 40},
		{Tournament: `t_<"quoted"> & \back`, Role: RolePlayer, Player: 7},
		{Tournament: "t_ünïcødé\u2028\x01", Role: RoleOrganiser},
	}
	clocks := []time.Time{
		time.Date(2026, 12, 7, 13, 14, 15, 999_999_999, time.UTC),
		time.Date(2026, 12, 7, 13, 14, 15, 0, time.FixedZone("x", 3600)),
		time.Unix(1, 500),
		time.Now(),
	}
	for _, ttl := range []time.Duration{time.Second, 90 * time.Minute, 24 * time.Hour, 400 * 24 * time.Hour} {
		for _, now := range clocks {
			k := NewTokens(secret, ttl, func() time.Time { return now })
			for _, c := range claims {
				got, err := k.Issue(c)
				if err != nil {
					t.Fatal(err)
				}
				want, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwtClaims{
					Tournament: c.Tournament, Role: c.Role, Player: c.Player,
					RegisteredClaims: jwt.RegisteredClaims{
						IssuedAt:  jwt.NewNumericDate(now),
						ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
					},
				}).SignedString(secret)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("Issue(%+v) at %v, ttl %v:\n%s\nwant\n%s", c, now, ttl, got, want)
				}
				if back, err := k.Verify(got); err != nil || back != c {
					t.Errorf("Verify(Issue(%+v)) = %+v, %v", c, back, err)
				}
			}
		}
	}
	if _, err := NewTokens(secret, 0, nil).Issue(Claims{Tournament: "t_a", Role: RolePlayer}); err == nil {
		t.Error("a player token without a player id was issued")
	}
}

// parserVerify is Verify without verifyIssued: golang-jwt's parser alone, as before it.
func (k *Tokens) parserVerify(token string) (Claims, string) {
	var jc jwtClaims
	_, err := k.parser.ParseWithClaims(token, &jc, func(*jwt.Token) (any, error) { return k.secret, nil })
	switch {
	case token == "":
		return Claims{}, "required"
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, "expired"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return Claims{}, "signature"
	case err != nil:
		return Claims{}, "invalid"
	}
	c := Claims{Tournament: jc.Tournament, Role: jc.Role, Player: jc.Player}
	if c.valid() != nil {
		return Claims{}, "invalid"
	}
	return c, ""
}

// verifyOutcome is Verify's answer in parserVerify's terms.
func verifyOutcome(k *Tokens, token string) (Claims, string) {
	c, err := k.Verify(token)
	var ce *Error
	switch {
	case err == nil:
		return c, ""
	case !errors.As(err, &ce) || ce.Code != CodeUnauthorized:
		return c, "not unauthorized: " + err.Error()
	case strings.Contains(err.Error(), "required"):
		return c, "required"
	case strings.Contains(err.Error(), "expired"):
		return c, "expired"
	case strings.Contains(err.Error(), "not signed"):
		return c, "signature"
	}
	return c, "invalid"
}

// tokenCorpus: tokens this hub issued, and every way of getting one wrong: other secrets, other
// algorithms and headers (one only reordered), tampered or missing parts, expired or not yet
// issued, claims that are not this hub's, and encodings the parser refuses.
func tokenCorpus(t testing.TB, secret []byte, now time.Time) []string {
	enc := base64.RawURLEncoding.EncodeToString
	sign := func(header, claims string, key []byte) string {
		s := enc([]byte(header)) + "." + enc([]byte(claims))
		sig, err := jwt.SigningMethodHS256.Sign(s, key)
		if err != nil {
			t.Fatal(err)
		}
		return s + "." + enc(sig)
	}
	const hs = `{"alg":"HS256","typ":"JWT"}`
	iat, exp := now.Unix(), now.Add(time.Hour).Unix()
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	player := `{"tid":"t_a","role":"player","pid":3,"exp":` + num(exp) + `,"iat":` + num(iat) + `}`
	k := NewTokens(secret, time.Hour, func() time.Time { return now })
	issued, err := k.Issue(Claims{Tournament: "t_a", Role: RolePlayer, Player: 3})
	if err != nil {
		t.Fatal(err)
	}
	head, rest, _ := strings.Cut(issued, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	out := []string{
		"", issued, issued + ".", issued + "=", "." + issued, head + "." + payload, head + ".." + sig,
		head + "." + payload + "." + sig[:len(sig)-1], head + "." + payload + "." + sig + "A",
		head + "." + payload + "x." + sig, head + "." + payload + "=." + sig, head + "=." + payload + "." + sig,
		sign(hs, player, secret),
		sign(hs, player, []byte("another-secret-0123456789abcdef0123456789")),
		sign(`{"typ":"JWT","alg":"HS256"}`, player, secret),
		sign(`{"alg":"HS256"}`, player, secret),
		sign(`{"alg":"none","typ":"JWT"}`, player, secret),
		enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(player)) + ".",
		sign(`{"alg":"RS256","typ":"JWT"}`, player, secret),
		sign(`{"alg":"HS384","typ":"JWT"}`, player, secret),
		sign(hs, `{"tid":"t_a","role":"player","pid":3,"iat":`+num(iat)+`}`, secret),                                       // no exp
		sign(hs, `{"tid":"t_a","role":"player","pid":3,"exp":`+num(iat-1)+`,"iat":`+num(iat-100)+`}`, secret),              // expired
		sign(hs, `{"tid":"t_a","role":"player","pid":3,"exp":`+num(exp)+`,"iat":`+num(iat+60)+`}`, secret),                 // issued later
		sign(hs, `{"tid":"t_a","role":"player","pid":3,"exp":`+num(exp)+`,"iat":`+num(iat)+`,"nbf":`+num(exp)+`}`, secret), // not before
		sign(hs, `{"tid":"t_a","role":"player","pid":3,"exp":`+num(exp)+`}`, secret),                                       // no iat
		sign(hs, `{"tid":"t_a","role":"player","exp":`+num(exp)+`,"iat":`+num(iat)+`}`, secret),                            // player without pid
		sign(hs, `{"tid":"","role":"organiser","exp":`+num(exp)+`,"iat":`+num(iat)+`}`, secret),                            // no tournament
		sign(hs, `{"tid":"t_a","role":"root","exp":`+num(exp)+`,"iat":`+num(iat)+`}`, secret),                              // unknown role
		sign(hs, `{"tid":"t_a","role":"player","pid":"3","exp":`+num(exp)+`,"iat":`+num(iat)+`}`, secret),                  // pid a string
		sign(hs, `{"tid":"t_a","role":"organiser","exp":"`+num(exp)+`","iat":`+num(iat)+`}`, secret),                       // exp a string
		sign(hs, `{"tid":"t_a","role":"organiser","exp":`+num(exp)+`.5,"iat":`+num(iat)+`}`, secret),                       // fractional exp
		sign(hs, player+` `, secret),
		sign(hs, player+`{}`, secret),
		sign(hs, `null`, secret),
		sign(hs, `[]`, secret),
		sign(hs, `{`, secret),
		sign(hs, `{"tid":"t_a","role":"organiser","exp":`+num(exp)+`,"iat":`+num(iat)+`,"aud":"x","iss":"y","sub":"z","jti":"j"}`, secret),
		sign(hs, `{"TID":"t_a","Role":"organiser","exp":`+num(exp)+`,"iat":`+num(iat)+`}`, secret), // other cases
		// Claims the fast path reads itself only in appendClaims' form; the parser decides the rest.
		sign(hs, `{"tid":"t_a","role":"organiser","exp":`+num(1<<53+1)+`,"iat":`+num(iat)+`}`, secret),                              // exp past 2^53
		sign(hs, `{"tid":"t_a","role":"organiser","exp":`+num(exp)+`,"iat":-0}`, secret),                                            // -0
		sign(hs, `{"tid":"t_a","role":"organiser","exp":0`+num(exp)+`,"iat":`+num(iat)+`}`, secret),                                 // a leading zero
		sign(hs, `{"tid":"t_a","role":"organiser","exp":`+num(exp)+`e0,"iat":`+num(iat)+`}`, secret),                                // an exponent
		sign(hs, `{"tid":"t_a","role":"player","pid":0,"exp":`+num(exp)+`,"iat":`+num(iat)+`}`, secret),                             // pid 0 written
		sign(hs, `{"tid":"t_\u0061","role":"organiser","exp":`+num(exp)+`,"iat":`+num(iat)+`}`, secret),                             // an escape
		sign(hs, `{"tid":"t_\"","role":"organiser","exp":`+num(exp)+`,"iat":`+num(iat)+`}`, secret),                                 // an escaped quote
		sign(hs, `{"tid":"t_ü","role":"organiser","exp":`+num(exp)+`,"iat":`+num(iat)+`}`, secret),                                  // not ASCII
		sign(hs, "{\"tid\":\"t_\xff\",\"role\":\"organiser\",\"exp\":"+num(exp)+`,"iat":`+num(iat)+`}`, secret),                     // not UTF-8
		sign(hs, `{"tid":"t_<a>","role":"organiser","exp":`+num(exp)+`,"iat":`+num(iat)+`}`, secret),                                // what Issue escapes
		sign(hs, `{"tid":"t_`+strings.Repeat("a", maxClaims)+`","role":"organiser","exp":`+num(exp)+`,"iat":`+num(iat)+`}`, secret), // long
		head + "." + payload + "." + sig[:20] + "\n" + sig[20:],                                                                     // a line break, which base64 skips
		head + "." + payload[:10] + "\r\n" + payload[10:] + "." + sig,
	}
	return out
}

// TestVerifyAsTheParser: Verify, with its fast path for the tokens Issue writes (verifyIssued),
// accepts exactly the tokens golang-jwt's parser alone accepts, with the same claims, and refuses
// the others for the same reason.
func TestVerifyAsTheParser(t *testing.T) {
	secret := []byte("test-secret-0123456789abcdef0123456789")
	now := time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)
	k := NewTokens(secret, time.Hour, func() time.Time { return now })
	fast := 0
	for _, tok := range tokenCorpus(t, secret, now) {
		gotC, got := verifyOutcome(k, tok)
		wantC, want := k.parserVerify(tok)
		if got != want || gotC != wantC {
			t.Errorf("Verify(%q) = %+v, %q; the parser alone: %+v, %q", tok, gotC, got, wantC, want)
		}
		var jc jwtClaims
		if k.verifyIssued(tok, &jc) {
			fast++
		}
	}
	if fast < 3 {
		t.Errorf("verifyIssued took %d tokens of the corpus; want at least the three this hub wrote", fast)
	}
}

// FuzzVerifyAsTheParser: whatever the token, Verify's answer is the parser's alone.
func FuzzVerifyAsTheParser(f *testing.F) {
	secret := []byte("test-secret-0123456789abcdef0123456789")
	now := time.Date(2026, 12, 7, 13, 0, 0, 0, time.UTC)
	for _, tok := range tokenCorpus(f, secret, now) {
		f.Add(tok)
	}
	k := NewTokens(secret, time.Hour, func() time.Time { return now })
	f.Fuzz(func(t *testing.T, tok string) {
		gotC, got := verifyOutcome(k, tok)
		wantC, want := k.parserVerify(tok)
		if got != want || gotC != wantC {
			t.Errorf("Verify(%q) = %+v, %q; the parser alone: %+v, %q", tok, gotC, got, wantC, want)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	k := NewTokens([]byte("test-secret-0123456789abcdef0123456789"), 0, nil)
	tok, err := k.Issue(Claims{Tournament: "t_ab12cd34ef56", Role: RolePlayer, Player: 12})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := k.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	k := NewTokens([]byte("test-secret-0123456789abcdef0123456789"), 0, nil)
	c := Claims{Tournament: "t_ab12cd34ef56", Role: RolePlayer, Player: 12}
	for b.Loop() {
		if _, err := k.Issue(c); err != nil {
			b.Fatal(err)
		}
	}
}
