package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"
	"github.com/tourhub/tourhub/hub/command"
)

// Reading a request: its query parameters (one table of what each route takes), its path
// parameters, its bearer token and its JSON body, each refused with a message that says what is
// wrong and what to write instead.

// routeQuery lists the query parameters each API route takes, by method and route path; a route
// not listed takes none. checkQuery holds every /api route to it, so that a misspelt parameter
// (?afer=3) is an error rather than silently ignored, on the routes that take none too.
var routeQuery = map[string][]string{
	"GET /api/tournaments/:id":         {"version"},
	"GET /api/tournaments":             {"status", "format", "name", "limit", "cursor"},
	"GET /api/tournaments/:id/events":  {"after", "epoch", "rev"},
	"GET /api/tournaments/:id/notices": {"after"},
}

// checkQuery answers 400 to a request with a query parameter its route does not take (see
// routeQuery), or with one given twice.
func checkQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		q := c.QueryParams()
		if len(q) == 0 {
			return next(c)
		}
		accepted := routeQuery[c.Request().Method+" "+c.Path()]
		for _, k := range slices.Sorted(maps.Keys(q)) {
			if !slices.Contains(accepted, k) {
				return command.Errorf(command.CodeBadRequest, "unknown query parameter %q: %s", k, takes(accepted))
			}
			if len(q[k]) > 1 {
				return command.Errorf(command.CodeBadRequest, "query parameter %q is given %d times; give it once", k, len(q[k]))
			}
		}
		return next(c)
	}
}

// takes says which query parameters a route takes, for an error message.
func takes(accepted []string) string {
	switch len(accepted) {
	case 0:
		return "this endpoint takes no query parameters"
	case 1:
		return "this endpoint takes only " + accepted[0]
	}
	return "this endpoint takes only " + strings.Join(accepted[:len(accepted)-1], ", ") + " and " + accepted[len(accepted)-1]
}

// claims returns the verified claims of the request's bearer token (authentication: whether they
// allow the command, the command service decides).
func (s *Server) claims(c echo.Context) (command.Claims, error) {
	h := c.Request().Header.Get("Authorization")
	if h == "" {
		return command.Claims{}, command.Errorf(command.CodeUnauthorized, "this needs a token: send Authorization: Bearer <token>")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return command.Claims{}, command.Errorf(command.CodeUnauthorized, "the Authorization header must be Bearer <token>")
	}
	return s.cmds.Verify(strings.TrimSpace(token))
}

// authed reads a request that needs a token: its verified claims, then its JSON body into req (nil:
// the body must be empty or {}; optional: an empty body leaves req as it is).
func (s *Server) authed(c echo.Context, req any, optional bool) (command.Claims, error) {
	cl, err := s.claims(c)
	if err != nil {
		return command.Claims{}, err
	}
	return cl, s.body(c, req, optional)
}

// authedOn is authed for a route naming a player or a match: the claims, the path id param
// (what it is, for the message), then the body.
func (s *Server) authedOn(c echo.Context, param, what string, req any, optional bool) (command.Claims, int, error) {
	cl, err := s.claims(c)
	if err != nil {
		return command.Claims{}, 0, err
	}
	id, err := pathID(c, param, what)
	if err != nil {
		return command.Claims{}, 0, err
	}
	return cl, id, s.body(c, req, optional)
}

// body decodes the JSON body into req; with req nil, the body must be empty or {}.
func (s *Server) body(c echo.Context, req any, optional bool) error {
	if req == nil {
		req, optional = &struct{}{}, true
	}
	return s.decode(c, req, optional)
}

// queryAfter reads ?after=, a version (0 when absent).
func queryAfter(c echo.Context) (int64, error) {
	v := c.QueryParam("after")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, command.Errorf(command.CodeBadRequest, "after must be a version (a whole number, 0 or more), not %q", v)
	}
	return n, nil
}

// pathID parses a positive integer path parameter.
func pathID(c echo.Context, name, what string) (int, error) {
	v := c.Param(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, command.Errorf(command.CodeBadRequest, "%s must be a whole number from 1, not %q", what, v)
	}
	return n, nil
}

// decode reads the JSON body into v strictly: one JSON object, no unknown fields, nothing after
// it, at most BodyLimit bytes. With optional, an empty body leaves v as it is.
func (s *Server) decode(c echo.Context, v any, optional bool) error {
	return s.decodeUpTo(c, v, optional, s.cfg.BodyLimit)
}

// decodeUpTo is decode with its own limit: an import is larger than any other request.
func (s *Server) decodeUpTo(c echo.Context, v any, optional bool, limit int64) error {
	// Read whole first: a value error (below) is placed by decoding the fields again.
	body, err := readBody(c, limit)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if errors.Is(err, io.EOF) {
		if optional {
			return nil
		}
		return command.Errorf(command.CodeBadRequest, "the request needs a JSON body")
	}
	if err != nil {
		if ferr := fieldError(body, reflect.TypeOf(v), err); ferr != nil {
			return ferr
		}
		return decodeError(err, limit)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return command.Errorf(command.CodeBadRequest, "the body must hold one JSON object and nothing after it")
	}
	return nil
}

// readBody reads the whole request body, at most limit bytes (413 past it).
func readBody(c echo.Context, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, limit))
	if err != nil {
		return nil, decodeError(err, limit)
	}
	return body, nil
}

func decodeError(err error, limit int64) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return command.Errorf(command.CodeTooLarge, "the request body is larger than %d bytes", limit)
	case errors.As(err, &syn):
		return command.Errorf(command.CodeBadRequest, "malformed JSON at byte %d", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return command.Errorf(command.CodeBadRequest, "malformed JSON: the body ends too early")
	case errors.As(err, &typ):
		field := jsonPath(typ.Field)
		if field == "" {
			return command.Errorf(command.CodeBadRequest, "the body must be a JSON object, not %s", typ.Value)
		}
		kind := typ.Type.Kind().String()
		if lit, ok := strings.CutPrefix(typ.Value, "number "); ok && numberKind(kind) &&
			(strings.HasPrefix(kind, "float") || !strings.ContainsAny(lit, ".eE")) {
			return command.Errorf(command.CodeBadRequest, "field %s: the number %s is out of range", field, lit)
		}
		return command.Errorf(command.CodeBadRequest, "field %s must be %s, not %s", field, jsonKind(kind), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return command.Errorf(command.CodeBadRequest, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return command.Errorf(command.CodeBadRequest, "malformed JSON: %v", err)
}

// jsonPath turns encoding/json's field path into the one the client wrote: it drops the Go names
// of embedded structs ("Settings.points.win" is points.win). Every JSON name of the API is lower
// case; a Go name is not.
func jsonPath(p string) string {
	var keep []string
	for _, seg := range strings.Split(p, ".") {
		if seg != "" && !unicode.IsUpper(rune(seg[0])) {
			keep = append(keep, seg)
		}
	}
	return strings.Join(keep, ".")
}

// fieldError places an error that encoding/json returns without a field: one from a type's own
// UnmarshalJSON (a time that is not RFC 3339, a duration like "ten minutes"). It decodes each
// field of the object body alone, in order, into its Go type within t, and names the first that
// fails, with what a valid value looks like. It returns nil for the errors decodeError places.
func fieldError(body []byte, t reflect.Type, err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	if errors.As(err, &syn) || errors.As(err, &typ) || errors.As(err, &mbe) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.HasPrefix(err.Error(), "json: unknown field ") {
		return nil
	}
	bad := badField(body, t, "")
	if bad == nil {
		return nil
	}
	if bad.typ == reflect.TypeFor[time.Time]() {
		return command.Errorf(command.CodeBadRequest, "field %s must be a date and time in RFC 3339 form with a time zone, such as %q, not %.60s",
			bad.path, "2026-12-03T18:00:00Z", bad.raw)
	}
	return command.Errorf(command.CodeBadRequest, "field %s: %v", bad.path, bad.err)
}

// badValue is a field whose value its Go type refused.
type badValue struct {
	path string          // as the client wrote it: "match_time_limit", "points.win"
	typ  reflect.Type    // the field's type, pointers removed
	raw  json.RawMessage // the value
	err  error           // the type's error
}

// badField decodes each field of the JSON object raw into its Go type within t (a struct, or a
// pointer to one) and returns the first that fails, or nil; nested objects are searched the same
// way.
func badField(raw []byte, t reflect.Type, prefix string) *badValue {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		name, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil
		}
		ft, ok := jsonField(t, name)
		if !ok {
			continue
		}
		if err := json.Unmarshal(val, reflect.New(ft).Interface()); err != nil {
			if inner := badField(val, ft, prefix+name+"."); inner != nil {
				return inner
			}
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			return &badValue{path: prefix + name, typ: ft, raw: val, err: err}
		}
	}
	return nil
}

// jsonField finds the type of the field that encoding/json fills from the object key name in
// struct t: by its json tag or Go name, exactly or else ignoring case, through embedded structs.
func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	var fold reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && tag == "" && ft.Kind() == reflect.Struct {
			if inner, ok := jsonField(ft, name); ok {
				return inner, true
			}
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		if tag == name {
			return f.Type, true
		}
		if fold == nil && strings.EqualFold(tag, name) {
			fold = f.Type
		}
	}
	return fold, fold != nil
}

// numberKind says whether a Go kind holds a JSON number.
func numberKind(k string) bool {
	return strings.HasPrefix(k, "int") || strings.HasPrefix(k, "uint") || strings.HasPrefix(k, "float")
}

// jsonKind names a Go kind as JSON calls it.
func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "a whole number"
	case strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice", k == "array":
		return "an array"
	case k == "struct", k == "map", k == "ptr":
		return "an object"
	}
	return "another type"
}
