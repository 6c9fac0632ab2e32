package backtest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
	"github.com/accord-dev/accord/scenarios"
)

// Case is one backtest question: when did Agreement reach Stage, asked with
// what was known at KnownAt.
type Case struct {
	// Agreement is the agreement id.
	Agreement string `json:"agreement"`
	// Stage is a milestone after proposed: negotiating, agreed_in_principle,
	// signed, approved or in_force.
	Stage projections.Stage `json:"stage"`
	// KnownAt is the cut: a day. A partial date in a cases file is read as
	// the last day of its period, as `accord forecast --known-at` reads it.
	KnownAt events.Date `json:"known_at"`
	// Line is the case's line in its cases file (0 for derived cases).
	Line int `json:"line,omitempty"`
}

// String reads "gbr-jpn-raa signed known at 2022-12-12".
func (c Case) String() string {
	return fmt.Sprintf("%s %s known at %s", c.Agreement, c.Stage, c.KnownAt)
}

func (c Case) where() string {
	if c.Line > 0 {
		return fmt.Sprintf("line %d", c.Line)
	}
	return c.String()
}

// CaseError is a cases file or case list with bad rows. It wraps
// events.ErrInvalid (or events.ErrNotFound when every problem is an
// agreement missing from the log) through Unwrap.
type CaseError struct {
	// Problems are "line 4: stage \"sign\" is not ...", in line order.
	Problems []string
	kind     error
}

// maxProblems bounds the problems a CaseError lists.
const maxProblems = 20

// Error lists the problems, one per line after the first.
func (e *CaseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d bad case(s):", len(e.Problems))
	for i, p := range e.Problems {
		if i == maxProblems {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Problems)-maxProblems)
			break
		}
		b.WriteString("\n  " + p)
	}
	return b.String()
}

// Unwrap returns the error kind.
func (e *CaseError) Unwrap() error {
	if e.kind != nil {
		return e.kind
	}
	return events.ErrInvalid
}

// caseHeader is the header a cases file starts with.
var caseHeader = []string{"agreement", "stage", "known_at"}

// MaxCases bounds the cases of one backtest.
const MaxCases = 100_000

var agreementIDRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ParseCases reads a cases file: CSV (RFC 4180) with the header
// agreement,stage,known_at and one case per row. Further columns, after
// those three, are ignored (so the CSV output of a backtest is a cases
// file); blank lines and lines starting with # are skipped. Every bad row
// is reported with its line number in one *CaseError: a wrong number of
// fields, an agreement id that is not one (lower-case words joined by -),
// a stage that is not a milestone after proposed, a known_at that is not a
// date, or the same case twice. A file without cases is an error too.
func ParseCases(r io.Reader) ([]Case, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, &CaseError{Problems: []string{"the file is empty: want a header agreement,stage,known_at and one case per line"}}
	}
	if err != nil {
		return nil, &CaseError{Problems: []string{csvProblem(err)}}
	}
	line, _ := cr.FieldPos(0)
	if len(head) < len(caseHeader) || !slices.EqualFunc(head[:len(caseHeader)], caseHeader, func(a, b string) bool {
		return strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(a, "\ufeff")), b)
	}) {
		return nil, &CaseError{Problems: []string{fmt.Sprintf("line %d: the header is %q; want agreement,stage,known_at", line, strings.Join(head, ","))}}
	}
	var (
		cases    []Case
		problems []string
		seen     = map[Case]int{}
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err != csv.ErrFieldCount {
				problems = append(problems, csvProblem(err))
				// A quoting error can swallow the rest of the file:
				// stop at the first.
				break
			}
			problems = append(problems, csvProblem(err))
			continue
		}
		line, _ := cr.FieldPos(0)
		c, err := parseCase(rec)
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %v", line, err))
			continue
		}
		key := c
		if first, dup := seen[key]; dup {
			problems = append(problems, fmt.Sprintf("line %d: the same case as line %d", line, first))
			continue
		}
		seen[key] = line
		c.Line = line
		if len(cases) == MaxCases {
			problems = append(problems, fmt.Sprintf("line %d: more than %d cases", line, MaxCases))
			break
		}
		cases = append(cases, c)
	}
	if len(problems) > 0 {
		return nil, &CaseError{Problems: problems}
	}
	if len(cases) == 0 {
		return nil, &CaseError{Problems: []string{"no cases: want one agreement,stage,known_at row after the header"}}
	}
	return cases, nil
}

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d: %v", pe.Line, pe.Err)
	}
	return err.Error()
}

func parseCase(rec []string) (Case, error) {
	if len(rec) < len(caseHeader) {
		return Case{}, fmt.Errorf("%d field(s); want agreement,stage,known_at", len(rec))
	}
	id, stage, known := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
	if len(id) > 100 || !agreementIDRe.MatchString(id) {
		return Case{}, fmt.Errorf("agreement %q is not an agreement id (lower-case letters and digits joined by -, such as gbr-jpn-raa)", id)
	}
	st := projections.Stage(stage)
	if lvl := scenarios.MilestoneIndex(st); lvl < 1 {
		return Case{}, fmt.Errorf("stage %q: want one of %s", stage, stageNames())
	}
	d, err := events.ParseDate(known)
	if err != nil {
		return Case{}, fmt.Errorf("known_at: %v", err)
	}
	return Case{Agreement: id, Stage: st, KnownAt: events.DayOf(d.End())}, nil
}

func stageNames() string {
	var s []string
	for _, st := range scenarios.Milestones()[1:] {
		s = append(s, string(st))
	}
	return strings.Join(s, ", ")
}

// BundledOffsets are the days before each transition at which DeriveCases
// asks: 180, 90 and 30.
func BundledOffsets() []int { return []int{180, 90, 30} }

// DeriveCases derives cases from a log, as the bundled cases are derived
// from the bundled history: for every agreement and every day on which it
// reached a new milestone after its first recorded one (the leg has a
// known start), one case per offset (days before that day), asking for the
// highest milestone reached that day. A case is kept when, at its
// known_at, the agreement had a recorded milestone known (there is
// something to forecast from) and had not reached the target yet; targets
// dated only to the year are skipped (a year is too coarse to score in
// days; a month counts from its first day, as everywhere in accord).
// Cases are sorted by agreement, then target milestone, then known_at.
//
// Note the selection: every derived case is a transition that did happen,
// 30 to 180 days after its known_at. See docs/backtesting.md.
func DeriveCases(log []events.Event, codec *events.Codec, offsets []int) ([]Case, error) {
	set := projections.NewSet(codec)
	if err := set.ApplyAll(log); err != nil {
		return nil, err
	}
	var out []Case
	for _, st := range set.Agreements.At(projections.Cut{}) {
		dates, first := scenarios.MilestoneDates(st)
		if first < 0 {
			continue
		}
		for lvl := first + 1; lvl < len(dates); lvl++ {
			d := dates[lvl]
			if d.IsZero() || d.Precision == events.PrecisionYear {
				continue
			}
			if lvl+1 < len(dates) && dates[lvl+1].Compare(d) == 0 {
				continue // a higher milestone was reached the same day
			}
			for _, off := range offsets {
				ka := events.DayOf(d.Day.AddDate(0, 0, -off))
				cut := cutAt(ka, time.Time{})
				now, ok := set.Agreements.Get(st.ID, cut)
				if !ok {
					continue
				}
				nd, nf := scenarios.MilestoneDates(now)
				if nf < 0 || !nd[lvl].IsZero() {
					continue
				}
				out = append(out, Case{Agreement: st.ID, Stage: scenarios.Milestones()[lvl], KnownAt: ka})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Case) int {
		if c := strings.Compare(a.Agreement, b.Agreement); c != 0 {
			return c
		}
		if c := scenarios.MilestoneIndex(a.Stage) - scenarios.MilestoneIndex(b.Stage); c != 0 {
			return c
		}
		return a.KnownAt.Compare(b.KnownAt)
	})
	return out, nil
}

// endOfDay returns the last instant of t's day (UTC): the instant a day's
// cut stands for.
func endOfDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 999_999_999, time.UTC)
}

// cutAt is the knowledge of a case: what had happened and been reported by
// the end of known_at, and recorded by recordedBy (zero: no limit).
func cutAt(knownAt events.Date, recordedBy time.Time) projections.Cut {
	e := endOfDay(knownAt.Day)
	return projections.Cut{AsOf: e, KnownAt: e, RecordedBy: recordedBy}
}
