package store

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"github.com/tourhub/tourhub/match"
)

// The tournament list: newest first by creation time (unix ms), ties broken by id, greatest
// first. Both stores walk it in that order and hand each summary to a pager, so that the filters,
// the cursor and the end of a page are decided in one place.

// DefaultListLimit is the page size of Store.List when ListFilter.Limit is not set.
const DefaultListLimit = 100

// ListFilter narrows Store.List. Zero values mean no filter.
type ListFilter struct {
	Status match.Status
	Format match.Format
	// Name keeps the tournaments whose name contains it, ignoring case.
	Name string
	// After is where the page starts: only tournaments after it in list order (older, or as old
	// with a smaller id) are listed. The zero Cursor starts at the newest.
	After Cursor
	// Limit is the most summaries a page holds. Defaults to DefaultListLimit.
	Limit int
}

// Page is one answer of Store.List.
type Page struct {
	Summaries []Summary
	// Next is where the following page starts (ListFilter.After); zero when the list is known to
	// end here. A page may be shorter than the limit and still have a Next: a store bounds the
	// work of one call and then answers what it found with the position it reached.
	Next Cursor
}

// Cursor is a position in the tournament list: the creation time and id of the last tournament
// a page passed. A tournament created later is newer than any cursor, so paging on from a cursor
// neither repeats nor skips a tournament when others are created meanwhile; one that expires
// meanwhile is simply no longer listed.
type Cursor struct {
	CreatedMs int64 // unix ms, as the stores order by
	ID        string
}

// CursorOf is the position of s.
func CursorOf(s Summary) Cursor { return Cursor{CreatedMs: s.CreatedAt.UnixMilli(), ID: s.ID} }

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool { return c == Cursor{} }

// Precedes reports whether d comes after c in list order (always, for the zero Cursor c).
func (c Cursor) Precedes(d Cursor) bool {
	return c.IsZero() || d.CreatedMs < c.CreatedMs || d.CreatedMs == c.CreatedMs && d.ID < c.ID
}

// String encodes c for a client: opaque, URL-safe base64 of "<ms>.<id>"; "" for the zero Cursor.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.CreatedMs, 10) + "." + c.ID))
}

// maxCursorLen bounds an encoded cursor: a ms time and an id fit in far less.
const maxCursorLen = 256

// errCursor is why ParseCursor refuses a string.
var errCursor = errors.New("not a cursor this hub gave out (pass next_cursor of the previous page as it is)")

// ParseCursor decodes a cursor made by Cursor.String. "" is the zero Cursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	if len(s) > maxCursorLen {
		return Cursor{}, errCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, errCursor
	}
	ms, id, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || n < 0 || id == "" {
		return Cursor{}, errCursor
	}
	return Cursor{CreatedMs: n, ID: id}, nil
}

// Pager builds one Page from the summaries a store reads in list order, starting at or before
// the filter's cursor.
type Pager struct {
	f     ListFilter
	limit int
	name  string // f.Name lower-cased
	out   []Summary
	pos   Cursor // the last position passed; f.After to begin with
	more  bool   // a summary past a full page matched
}

// NewPager returns a Pager for f.
func NewPager(f ListFilter) *Pager {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	return &Pager{f: f, limit: limit, name: strings.ToLower(f.Name), pos: f.After,
		out: make([]Summary, 0, min(limit, DefaultListLimit))}
}

// Add takes the next summary in list order and reports whether the page is complete (the caller
// stops reading). A summary not after the position reached is ignored, so a store may start
// reading at the cursor's creation time and leave the ties to Add, and a summary read twice is
// listed once.
func (p *Pager) Add(s Summary) (done bool) {
	c := CursorOf(s)
	if !p.pos.Precedes(c) {
		return false
	}
	if !p.match(s) {
		p.pos = c
		return false
	}
	if len(p.out) == p.limit {
		p.more = true
		return true
	}
	p.out = append(p.out, s)
	p.pos = c
	return false
}

// Pass moves past a position that lists nothing (an expired tournament the store read).
func (p *Pager) Pass(c Cursor) {
	if p.pos.Precedes(c) {
		p.pos = c
	}
}

// Full reports whether the page holds Limit summaries: a store that has to read more to learn
// whether another one matches may stop instead, and the client asks for the next page.
func (p *Pager) Full() bool { return len(p.out) == p.limit }

func (p *Pager) match(s Summary) bool {
	return (p.f.Status == "" || s.Status == p.f.Status) &&
		(p.f.Format == "" || s.Format == p.f.Format) &&
		(p.name == "" || strings.Contains(strings.ToLower(s.Name), p.name))
}

// Page returns the page. end says the store read to the end of the list; otherwise (the page was
// full, or the store read as much as one call may) Next is the position reached.
func (p *Pager) Page(end bool) Page {
	pg := Page{Summaries: p.out}
	if p.more || !end {
		pg.Next = p.pos
	}
	return pg
}
