package backtest

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
	"github.com/accord-dev/accord/scenarios"
)

func TestParseCases(t *testing.T) {
	in := "agreement,stage,known_at,comment\n" +
		"# a comment line\n" +
		"gbr-jpn-raa,signed,2022-11-30,first\n" +
		"\n" +
		"  jpn-phl-raa , in_force, 2024-07 ,\n"
	cs, err := ParseCases(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Case{
		{Agreement: "gbr-jpn-raa", Stage: "signed", KnownAt: events.MustDate("2022-11-30"), Line: 3},
		// A partial known_at is its last day.
		{Agreement: "jpn-phl-raa", Stage: "in_force", KnownAt: events.MustDate("2024-07-31"), Line: 5},
	}
	if len(cs) != len(want) {
		t.Fatalf("got %d cases: %+v", len(cs), cs)
	}
	for i := range want {
		if cs[i] != want[i] {
			t.Errorf("case %d: %+v, want %+v", i, cs[i], want[i])
		}
	}
}

func TestParseCasesRejectsBadRows(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // substrings of the error, in order
	}{
		{"empty", "", []string{"empty"}},
		{"header only", "agreement,stage,known_at\n", []string{"no cases"}},
		{"wrong header", "agreement,known_at,stage\ngbr-jpn-raa,2022-11-30,signed\n", []string{"line 1", "header"}},
		{"bad rows", "agreement,stage,known_at\n" +
			"gbr-jpn-raa,signed,2022-11-30\n" + // line 2: good
			"GBR JPN,signed,2022-11-30\n" + // line 3: bad id
			"gbr-jpn-raa,sign,2022-11-30\n" + // line 4: bad stage
			"gbr-jpn-raa,proposed,2022-11-30\n" + // line 5: proposed is not forecast
			"gbr-jpn-raa,signed,2022-02-30\n" + // line 6: impossible date
			"gbr-jpn-raa,signed\n" + // line 7: too few fields
			"gbr-jpn-raa,signed,2022-11-30\n", // line 8: duplicate of line 2
			[]string{"6 bad case(s)", "line 3: agreement \"GBR JPN\"", "line 4: stage \"sign\"", "line 5: stage \"proposed\"",
				"line 6: known_at", "2022-02-30", "line 7: 2 field(s)", "line 8: the same case as line 2"}},
		{"bad quoting", "agreement,stage,known_at\n\"gbr-jpn-raa,signed,2022-11-30\n", []string{"line 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCases(strings.NewReader(tc.in))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, events.ErrInvalid) {
				t.Errorf("error is not ErrInvalid: %v", err)
			}
			msg := err.Error()
			at := 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error lacks %q (in order):\n%s", w, msg)
				}
				at += i + len(w)
			}
		})
	}
}

// TestBundledCases: at least 30 cases, each at 30, 90 or 180 days before
// the day the agreement reached the stage, with the agreement known and
// the stage not reached at known_at.
func TestBundledCases(t *testing.T) {
	log := bundled(t)
	cs, err := DeriveCases(log, nil, BundledOffsets())
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) < 30 {
		t.Fatalf("%d bundled cases, want at least 30", len(cs))
	}
	set := projections.NewSet(nil)
	if err := set.ApplyAll(log); err != nil {
		t.Fatal(err)
	}
	seen := map[Case]bool{}
	for _, c := range cs {
		if seen[c] {
			t.Errorf("%v twice", c)
		}
		seen[c] = true
		full, _ := set.Agreements.Get(c.Agreement, projections.Cut{})
		dates, _ := scenarios.MilestoneDates(full)
		out := dates[scenarios.MilestoneIndex(c.Stage)]
		days := int(out.Day.Sub(c.KnownAt.Day) / (24 * time.Hour))
		if days != 30 && days != 90 && days != 180 {
			t.Errorf("%v: outcome %s is %d days later", c, out, days)
		}
		now, ok := set.Agreements.Get(c.Agreement, cutAt(c.KnownAt, time.Time{}))
		if !ok {
			t.Errorf("%v: the agreement is not known then", c)
			continue
		}
		nd, first := scenarios.MilestoneDates(now)
		if first < 0 || !nd[scenarios.MilestoneIndex(c.Stage)].IsZero() {
			t.Errorf("%v: first milestone %d, target reached %v", c, first, nd[scenarios.MilestoneIndex(c.Stage)])
		}
	}
	// Known cases: the Japan-UK RAA's signature, 30 days before 2023-01-11.
	if !seen[Case{Agreement: "gbr-jpn-raa", Stage: "signed", KnownAt: events.MustDate("2022-12-12")}] {
		t.Error("missing gbr-jpn-raa signed known at 2022-12-12")
	}
}

// TestCalendarCases: the calendar cases of docs/backtesting.md (not
// selected by outcome) parse and run on the bundled history, and many of
// them are censored.
func TestCalendarCases(t *testing.T) {
	f, err := os.Open("testdata/calendar_cases.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cs, err := ParseCases(f)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(bundled(t), cs, Options{Runs: 20, Seed: 1, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	censored := 0
	for _, c := range r.Cases {
		if c.Censored {
			censored++
		}
	}
	if len(cs) < 300 || censored < len(cs)/4 {
		t.Errorf("%d cases, %d censored", len(cs), censored)
	}
	if s := r.Summary.Accord; s.NCRPS >= s.N || s.NBrier != s.N {
		t.Errorf("censored cases should lack a CRPS but keep a Brier score: %+v", s)
	}
}
