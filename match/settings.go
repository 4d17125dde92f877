package match

import (
	"math/bits"
	"strings"
	"unicode/utf8"
)

// Limits on settings and names.
const (
	MaxPlayersLimit = 1024
	MaxBestOf       = 99
	MaxNameLen      = 64
	// MaxGroupSize caps the players of one round robin group (a group of n plays n(n-1)/2 matches).
	MaxGroupSize = 256
)

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
	if s.ThirdPlace && s.Format != SingleElimination {
		return s, errorf(CodeInvalid, "third_place applies to single_elimination only")
	}
	switch s.GrandFinal {
	case "":
		if s.Format == DoubleElimination {
			s.GrandFinal = GrandFinalReset
		}
	case GrandFinalNone, GrandFinalSingle, GrandFinalReset:
		if s.Format != DoubleElimination {
			return s, errorf(CodeInvalid, "grand_final applies to double_elimination only")
		}
	default:
		return s, errorf(CodeInvalid, "unknown grand_final %q: use none, single or reset", s.GrandFinal)
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
	if s.Rounds != 0 && s.Format != Swiss {
		return s, errorf(CodeInvalid, "rounds applies to swiss only")
	}
	if s.Rounds < 0 || s.Rounds > 64 {
		return s, errorf(CodeInvalid, "rounds must be between 1 and 64, got %d", s.Rounds)
	}
	if s.AllowDraws && !s.pointsFormat() {
		return s, errorf(CodeInvalid, "allow_draws applies to round_robin and swiss only")
	}
	if s.pointsFormat() {
		if s.Points == nil {
			p := defaultPoints
			s.Points = &p
		}
		if s.Points.Win < s.Points.Draw || s.Points.Draw < s.Points.Loss {
			return s, errorf(CodeInvalid, "points must satisfy win >= draw >= loss")
		}
		if len(s.TieBreaks) == 0 {
			s.TieBreaks = defaultTieBreaks(s.Format)
		}
		seen := map[TieBreak]bool{}
		for _, tb := range s.TieBreaks {
			switch tb {
			case HeadToHead, Buchholz, SonnebornBerger, GameDifference:
			default:
				return s, errorf(CodeInvalid, "unknown tie-break %q: use head_to_head, buchholz, sonneborn_berger or game_difference", tb)
			}
			if seen[tb] {
				return s, errorf(CodeInvalid, "tie-break %q listed twice", tb)
			}
			seen[tb] = true
		}
	} else if s.Points != nil || len(s.TieBreaks) > 0 {
		return s, errorf(CodeInvalid, "points and tie_breaks apply to round_robin and swiss only")
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
	return s, nil
}

func defaultTieBreaks(f Format) []TieBreak {
	if f == Swiss {
		return []TieBreak{Buchholz, SonnebornBerger, HeadToHead, GameDifference}
	}
	return []TieBreak{HeadToHead, SonnebornBerger, GameDifference, Buchholz}
}

func (s Settings) pointsFormat() bool { return s.Format == RoundRobin || s.Format == Swiss }

// cleanName trims a name and checks it is printable and short.
func cleanName(what, name string) (string, *Error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errorf(CodeInvalid, "%s is required", what)
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameLen {
		return "", errorf(CodeInvalid, "%s must be valid text of at most %d characters", what, MaxNameLen)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", errorf(CodeInvalid, "%s must not contain control characters", what)
		}
	}
	return name, nil
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

// log2ceil is ceil(log2(n)) for n >= 1.
func log2ceil(n int) int {
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}
