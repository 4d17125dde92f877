package match

import (
	"math"
	"math/bits"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on settings and names.
const (
	MaxPlayersLimit = 1024
	MaxBestOf       = 99
	MaxNameLen      = 64
	// MaxGroupSize caps the players of one round robin group (a group of n plays n(n-1)/2 matches).
	MaxGroupSize = 256
	// MaxGamePoints bounds the points of one side in one game (Match.Games).
	MaxGamePoints = 10_000
	// MaxRounds caps Swiss rounds.
	MaxRounds = 64
	// MaxPoints bounds each of points.win, draw and loss, from -MaxPoints to MaxPoints. A player
	// counts at most MaxGroupSize-1 results (a round robin group; Swiss has at most MaxRounds),
	// so a total is at most 255*1000 and a Buchholz or Sonneborn-Berger sum at most 255 times
	// that, about 6.5e7: far below 2^53, where float64 (and a JavaScript number) stops being exact
	// for whole numbers, and below 2^53/1e6, which the 1e-6 rounding of pointsRound needs.
	MaxPoints = 1000
	// MaxRandomSeed is the largest random_seed: 2^53-1, the largest whole number a JavaScript
	// client holds exactly, so that a browser can read a seed back and reuse it.
	MaxRandomSeed = 1<<53 - 1
	// MaxRating is the largest participant rating.
	MaxRating = 1_000_000
	// MaxDuration bounds every duration setting.
	MaxDuration = 30 * 24 * time.Hour
)

// Times the engine accepts, in scheduled_start and in Command.At: from minTime to maxTime (1970 to
// 9000; vars only because a time.Time cannot be a constant). Every time it stores or sends is one
// of them or at most 255 round-robin rounds of MaxDuration (about 21 years) after one, so all of
// them stay within the years 0000-9999 that RFC 3339 and time.Time.MarshalJSON can write.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// checkTime says whether t is a time the engine accepts (see minTime) and can encode.
func checkTime(what string, t time.Time) *Error {
	if t.Before(minTime) || t.After(maxTime) {
		return errorf(CodeInvalid, "%s must be between %s and %s, got %s", what,
			minTime.Format(time.RFC3339), maxTime.Format(time.RFC3339), t.Format(time.RFC3339))
	}
	if _, err := t.MarshalJSON(); err != nil {
		return errorf(CodeInvalid, "%s %s cannot be written as RFC 3339 (use a time zone offset under 24 hours)", what, t.Format(time.RFC3339))
	}
	return nil
}

// check says whether each points value is a number within +-MaxPoints and the three are ordered.
func (p Points) check() *Error {
	for _, v := range []struct {
		name string
		v    float64
	}{{"win", p.Win}, {"draw", p.Draw}, {"loss", p.Loss}} {
		if math.IsNaN(v.v) || v.v < -MaxPoints || v.v > MaxPoints {
			return errorf(CodeInvalid, "points.%s must be a number from %d to %d, got %v", v.name, -MaxPoints, MaxPoints, v.v)
		}
	}
	if p.Win < p.Draw || p.Draw < p.Loss {
		return errorf(CodeInvalid, "points must satisfy win >= draw >= loss, got win %v, draw %v, loss %v", p.Win, p.Draw, p.Loss)
	}
	return nil
}

var defaultPoints = Points{Win: 3, Draw: 1, Loss: 0}

// withDefaults fills every zero setting with its default and checks the result.
func (s Settings) withDefaults() (Settings, *Error) {
	s = s.clone()
	switch s.Format {
	case SingleElimination, DoubleElimination, RoundRobin, Swiss:
	case "":
		return s, errorf(CodeInvalid, "format is required: one of single_elimination, double_elimination, round_robin, swiss")
	default:
		return s, errorf(CodeInvalid, "unknown format %q: use single_elimination, double_elimination, round_robin or swiss", s.Format)
	}
	if s.BestOf == 0 {
		s.BestOf = 1
	}
	if s.BestOf < 1 || s.BestOf > MaxBestOf {
		return s, errorf(CodeInvalid, "best_of must be between 1 and %d, got %d", MaxBestOf, s.BestOf)
	}
	if s.BestOf%2 == 0 && !s.pointsFormat() {
		return s, errorf(CodeInvalid, "best_of must be odd for eliminations (a series must have a winner), got %d", s.BestOf)
	}
	if s.MaxPlayers == 0 {
		s.MaxPlayers = MaxPlayersLimit
	}
	if s.MaxPlayers < 2 || s.MaxPlayers > MaxPlayersLimit {
		return s, errorf(CodeInvalid, "max_players must be between 2 and %d, got %d", MaxPlayersLimit, s.MaxPlayers)
	}
	if err := checkEnding(s.Format, s.ThirdPlace, &s.GrandFinal, ""); err != nil {
		return s, err
	}
	if s.Groups == 0 && s.Format == RoundRobin {
		s.Groups = 1
	}
	if s.Groups != 0 && s.Format != RoundRobin {
		return s, errorf(CodeInvalid, "groups applies to round_robin only")
	}
	if s.Groups < 0 || s.Groups > s.MaxPlayers/2 && s.Groups > 1 {
		return s, errorf(CodeInvalid, "groups must be between 1 and max_players/2, got %d", s.Groups)
	}
	if s.Legs == 0 && s.Format == RoundRobin {
		s.Legs = 1
	}
	if s.Legs != 0 && s.Format != RoundRobin {
		return s, errorf(CodeInvalid, "legs applies to round_robin only")
	}
	if s.Legs < 0 || s.Legs > 2 {
		return s, errorf(CodeInvalid, "legs must be 1 (everyone meets once) or 2 (a double round robin), got %d", s.Legs)
	}
	if s.Rounds != 0 && s.Format != Swiss {
		return s, errorf(CodeInvalid, "rounds applies to swiss only")
	}
	if s.Rounds < 0 || s.Rounds > MaxRounds {
		return s, errorf(CodeInvalid, "rounds must be between 1 and %d, got %d", MaxRounds, s.Rounds)
	}
	if s.AllowDraws && !s.pointsFormat() {
		return s, errorf(CodeInvalid, "allow_draws applies to round_robin and swiss only")
	}
	if s.pointsFormat() {
		if s.Points == nil {
			p := defaultPoints
			s.Points = &p
		}
		if err := s.Points.check(); err != nil {
			return s, err
		}
		if len(s.TieBreaks) == 0 {
			s.TieBreaks = defaultTieBreaks(s.Format)
		}
		seen := map[TieBreak]bool{}
		for _, tb := range s.TieBreaks {
			switch tb {
			case HeadToHead, Buchholz, SonnebornBerger, GameDifference, GamePoints:
			default:
				return s, errorf(CodeInvalid, "unknown tie-break %q: use head_to_head, buchholz, sonneborn_berger, game_difference or game_points", tb)
			}
			if seen[tb] {
				return s, errorf(CodeInvalid, "tie-break %q listed twice", tb)
			}
			seen[tb] = true
		}
	} else if s.Points != nil || len(s.TieBreaks) > 0 {
		return s, errorf(CodeInvalid, "points and tie_breaks apply to round_robin and swiss only")
	}
	if s.RandomSeed > MaxRandomSeed {
		return s, errorf(CodeInvalid, "random_seed must be a whole number from 0 to %d (2^53-1, the largest a JavaScript client holds exactly), got %d", uint64(MaxRandomSeed), s.RandomSeed)
	}
	s, terr := s.timeDefaults()
	if terr != nil {
		return s, terr
	}
	switch s.Seeding {
	case "":
		s.Seeding = SeedGiven
	case SeedGiven, SeedRandom, SeedRating:
	default:
		return s, errorf(CodeInvalid, "unknown seeding %q: use given, random or rating", s.Seeding)
	}
	if err := s.checkPlayoff(); err != nil {
		return s, err
	}
	return s, nil
}

// checkEnding checks an elimination's ending, third_place and grand_final (prefix: "playoff." for a
// playoff's), against its format, and fills the grand final's default.
func checkEnding(f Format, thirdPlace bool, gf *GrandFinal, prefix string) *Error {
	if thirdPlace && f != SingleElimination {
		return errorf(CodeInvalid, "%sthird_place applies to single_elimination only", prefix)
	}
	switch *gf {
	case "":
		if f == DoubleElimination {
			*gf = GrandFinalReset
		}
	case GrandFinalNone, GrandFinalSingle, GrandFinalReset:
		if f != DoubleElimination {
			return errorf(CodeInvalid, "%sgrand_final applies to double_elimination only", prefix)
		}
	default:
		return errorf(CodeInvalid, "unknown %sgrand_final %q: use none, single or reset", prefix, *gf)
	}
	return nil
}

func defaultTieBreaks(f Format) []TieBreak {
	if f == Swiss {
		return []TieBreak{Buchholz, SonnebornBerger, HeadToHead, GameDifference}
	}
	return []TieBreak{HeadToHead, SonnebornBerger, GameDifference, Buchholz}
}

func (s Settings) pointsFormat() bool { return s.Format == RoundRobin || s.Format == Swiss }

// cleanName trims a name and checks it is valid text, short, free of control characters and line
// breaks, and shows something: a name made only of spaces and invisible characters (zero-width
// space, joiners, soft hyphen, Hangul filler...) would look empty in every list. Invisible
// characters are kept inside a name, where emoji sequences (ZWJ, variation selectors) and scripts
// such as Persian or Devanagari (ZWNJ, ZWJ) need them; foldName ignores them when names are
// compared.
func cleanName(what, name string) (string, *Error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errorf(CodeInvalid, "%s is required", what)
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameLen {
		return "", errorf(CodeInvalid, "%s must be valid text of at most %d characters", what, MaxNameLen)
	}
	shows := false
	for _, r := range name {
		if unicode.In(r, unicode.Cc, unicode.Zl, unicode.Zp) {
			return "", errorf(CodeInvalid, "%s must not contain control characters or line breaks (found U+%04X)", what, r)
		}
		shows = shows || visible(r)
	}
	if !shows {
		return "", errorf(CodeInvalid, "%s must have at least one visible character (a letter, digit, punctuation mark or symbol); %q has only spaces and invisible characters", what, name)
	}
	return name, nil
}

// invisible says whether r shows nothing by itself: a format character (zero-width space and
// joiners, bidi marks, soft hyphen, word joiner, byte order mark, tags), a variation selector, or
// another default-ignorable code point (Hangul fillers, combining grapheme joiner...). This is
// Unicode's Default_Ignorable_Code_Point, give or take a few format characters that do show
// (Arabic number signs), which are ignored too: comparing them away only makes look-alikes clash.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// visible says whether r shows something on its own: a letter, digit, punctuation mark or symbol
// that is not invisible. (Spaces and combining marks alone do not count.)
func visible(r rune) bool {
	return unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S) && !invisible(r)
}

// seriesResult checks scores against the series and says who won (0 or 1) or that it was a draw.
// Every result goes through it: a report, an organiser's decision or correction, and a report that
// stands at a timeout.
func (s Settings) seriesResult(sc [2]int) (winner int, draw bool, err *Error) {
	n := s.BestOf
	if sc[0] < 0 || sc[1] < 0 {
		return 0, false, errorf(CodeInvalidScore, "scores cannot be negative, got %d-%d", sc[0], sc[1])
	}
	// Each score on its own first: the sum of two huge scores overflows int and would pass.
	if sc[0] > n || sc[1] > n {
		return 0, false, errorf(CodeInvalidScore, "%d-%d is impossible in a best-of-%d: each score is games won, from 0 to %d", sc[0], sc[1], n, n)
	}
	if sc[0]+sc[1] > n {
		return 0, false, errorf(CodeInvalidScore, "%d-%d is more games than a best-of-%d series has", sc[0], sc[1], n)
	}
	if sc[0] == sc[1] {
		if !s.AllowDraws {
			return 0, false, errorf(CodeInvalidScore, "%d-%d is a draw, and this tournament does not allow draws: a best-of-%d needs %d wins", sc[0], sc[1], n, n/2+1)
		}
		return 0, true, nil
	}
	need := n/2 + 1
	hi, w := sc[0], 0
	if sc[1] > sc[0] {
		hi, w = sc[1], 1
	}
	if hi != need {
		return 0, false, errorf(CodeInvalidScore, "%d-%d is impossible in a best-of-%d: the series ends when one side reaches %d wins", sc[0], sc[1], n, need)
	}
	return w, false, nil
}

// CheckGames checks the games of a series against its scores (as seriesResult accepted them):
// each game's points are whole numbers from 0 to MaxGamePoints, a game with more points is won
// by that side, a level game is drawn (only where draws are allowed), the games won are the
// scores, there are at most best_of games, and none after the series was decided. No games is
// fine: they are optional.
func (s Settings) CheckGames(sc [2]int, games Games) *Error {
	if len(games) == 0 {
		return nil
	}
	if len(games) > s.BestOf {
		return errorf(CodeInvalidScore, "%d games is more than a best-of-%d series has", len(games), s.BestOf)
	}
	need := s.BestOf/2 + 1
	var won [2]int
	for i, g := range games {
		for _, p := range g {
			if p < 0 || p > MaxGamePoints {
				return errorf(CodeInvalidScore, "game %d: points must be from 0 to %d, got %d-%d", i+1, MaxGamePoints, g[0], g[1])
			}
		}
		if !s.pointsFormat() || s.BestOf%2 == 1 {
			if won[0] == need || won[1] == need {
				return errorf(CodeInvalidScore, "game %d was played after the series was decided (%d-%d)", i+1, won[0], won[1])
			}
		}
		switch {
		case g[0] > g[1]:
			won[0]++
		case g[1] > g[0]:
			won[1]++
		case !s.AllowDraws:
			return errorf(CodeInvalidScore, "game %d is drawn (%d-%d), and this tournament does not allow draws", i+1, g[0], g[1])
		}
	}
	if won != sc {
		return errorf(CodeInvalidScore, "the games give %d-%d in games won, not the %d-%d reported", won[0], won[1], sc[0], sc[1])
	}
	return nil
}

// log2ceil is ceil(log2(n)) for n >= 1.
func log2ceil(n int) int {
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}
