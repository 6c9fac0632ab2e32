package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/examples"
	"github.com/accord-dev/accord/projections"
)

// TestBadFiles: every file in testdata/bad is a different kind of mistake;
// each must be reported with its line and a message that names it.
func TestBadFiles(t *testing.T) {
	cases := map[string]struct {
		line int
		want string
	}{
		"unknown-field":          {3, `unknown field "seeds"`},
		"unknown-nested-field":   {8, `unknown field "occured_at"`},
		"bad-date":               {3, `"2022-02-30" is not a date`},
		"unknown-agreement":      {6, `unknown agreement "gbr-kor-raa"`},
		"unknown-event-type":     {8, `unknown event type "agreement_sined"`},
		"rule-syntax":            {7, "rule broken does not compile"},
		"rule-unknown-field":     {9, "event has no field contry"},
		"bad-triangular":         {10, "min: 90 is greater than max 30"},
		"negative-sigma":         {11, "must be a positive number, got -0.5"},
		"shift-unknown-id":       {7, "no event with id no-such-event"},
		"unknown-stage":          {5, `"ratified" is not a stage to forecast`},
		"duplicate-rule":         {9, "rule delay is defined twice"},
		"yaml-syntax":            {5, "cannot start any token"}, // a tab indents line 5
		"bad-event-data":         {10, `"Britain" is not an ISO 3166 alpha-3 country code`},
		"wrong-type":             {3, `want an integer, not "many"`},
		"rule-not-bool":          {7, "expected bool"},
		"expect-weight":          {9, "1.5 is not a probability"},
		"bad-horizon":            {3, "2021-12-31 is not after known_at 2022-11-30"},
		"remove-matches-nothing": {7, "edits[1].remove: no event in the base matches agreement_signed of gbr-jpn-raa"},
		"duplicate-key":          {6, `mapping key "runs" already defined`},
		"hazard-rate":            {8, `"often" is neither a number nor history`},
		"leg-not-consecutive":    {8, `"in_force" is not the stage after signed`},
		"bad-name":               {1, `"UK Turnover" is not a scenario name`},
		"two-ops":                {6, "an edit is exactly one of add, remove, retract, shift and replace (this one has 2)"},
	}
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(cases) {
		t.Errorf("%d files in testdata/bad, %d cases", len(files), len(cases))
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			tc, ok := cases[name]
			if !ok {
				t.Fatalf("no expectation for %s", path)
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(filepath.Base(path), src, nil)
			if err == nil {
				err = s.Check(bundled(t), nil)
			}
			if err == nil {
				t.Fatalf("no error")
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("%T %v is not a *FileError", err, err)
			}
			if fe.Line != tc.line {
				t.Errorf("line %d, want %d: %v", fe.Line, tc.line, err)
			}
			if fe.Column < 1 {
				t.Errorf("column %d: %v", fe.Column, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), filepath.Base(path)+":") {
				t.Errorf("error %q does not start with the file name", err)
			}
			if k := events.KindOf(err); k != events.KindInvalid && k != events.KindNotFound {
				t.Errorf("kind %v", k)
			}
		})
	}
}

func TestExamplesParseAndCheck(t *testing.T) {
	names := examples.Names()
	for _, want := range []string{"uk-turnover", "philippines", "no-gcap"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("example %s is missing (have %v)", want, names)
		}
	}
	for _, name := range names {
		src, err := examples.File(name)
		if err != nil {
			t.Fatal(err)
		}
		onDisk, err := os.ReadFile(filepath.Join("..", "examples", name+".yaml"))
		if err != nil || string(onDisk) != string(src) {
			t.Errorf("%s: the embedded file differs from examples/%s.yaml (%v)", name, name, err)
		}
		s, err := Parse(name+".yaml", src, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Name != name {
			t.Errorf("%s: name %q", name, s.Name)
		}
		if err := s.Check(bundled(t), nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseFields(t *testing.T) {
	src := `name: all-fields
description: every kind of edit
base: {known_at: 2023-03, position: 150}
horizon: 2026
runs: 500
seed: 9
forecasts:
  - {agreement: gbr-jpn-raa, stage: in_force}
edits:
  - add: {type: leadership_changed, occurred_at: 2023-04-02, confidence: reported,
          source: {publication: Pretend Times, title: a test, date: 2023-04-02},
          data: {country: GBR, office: prime_minister, to: X}}
  - remove: {type: statement_issued, agreement: gbr-jpn-raa, from: 2023-01, until: 2023-01-31}
  - retract: {type: expectation_reported, agreement: gbr-jpn-raa, reason: wrong, on: 2023-02-01}
  - shift: {type: agreed_in_principle, agreement: gbr-jpn-raa, to: 2022-06-01}
  - shift: {type: talks_opened, agreement: gbr-jpn-raa, by_days: -7}
  - replace: {type: agreement_signed, agreement: gbr-jpn-raa, data: {agreement: gbr-jpn-raa, location: London}}
    label: signed in London
model:
  min_events: 3
  distributions:
    - {from: signed, to: approved, pert: {min: 100, mode: 200, max: 400}}
    - {from: approved, to: in_force, agreement: gbr-jpn-raa, uniform: {min: 10, max: 40}}
    - {from: negotiating, to: agreed_in_principle, exponential: {mean: 300}}
  hazards:
    - {country: JPN, per_year: 0.5, scope: both}
    - {country: GBR, per_year: history, since: 2016-01-01, scope: scenario}
rules: []
`
	s, err := Parse("all.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.KnownAt.String() != "2023-03" || s.Position != 150 || s.Horizon.String() != "2026" || s.Runs != 500 || s.Seed != 9 {
		t.Errorf("header: %+v", s)
	}
	if len(s.Edits) != 6 || len(s.Model.Rules) != 0 || len(s.Model.Hazards) != 2 || len(s.Model.Distributions) != 3 || s.Model.MinEvents != 3 {
		t.Fatalf("edits %d rules %d hazards %d dists %d", len(s.Edits), len(s.Model.Rules), len(s.Model.Hazards), len(s.Model.Distributions))
	}
	wantOps := []Op{OpAdd, OpRemove, OpRetract, OpShift, OpShift, OpReplace}
	for i, op := range wantOps {
		if s.Edits[i].Op != op {
			t.Errorf("edit %d: %s, want %s", i, s.Edits[i].Op, op)
		}
	}
	if s.Edits[0].Event.Confidence != events.Reported || s.Edits[0].Event.Source.Publication != "Pretend Times" || s.Edits[0].Event.ID == "" {
		t.Errorf("add: %+v", s.Edits[0].Event)
	}
	if s.Edits[4].ShiftDays != -7 || s.Edits[3].ShiftTo.String() != "2022-06-01" || s.Edits[5].Describe() != "signed in London" {
		t.Errorf("shift/replace: %+v %+v", s.Edits[3], s.Edits[4])
	}
	if !s.Model.Hazards[1].FromHistory || s.Model.Hazards[1].Scope != ScopeScenario || s.Model.Hazards[0].PerYear != 0.5 {
		t.Errorf("hazards: %+v", s.Model.Hazards)
	}
	if err := s.Check(bundled(t), nil); err != nil {
		t.Fatal(err)
	}
	r, err := s.Run(bundled(t), RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Runs != 500 || r.Seed != 9 || len(r.Edits) != 6 {
		t.Errorf("report: runs %d seed %d edits %v", r.Runs, r.Seed, r.Edits)
	}
	// Absent rules mean the defaults.
	s2, err := Parse("d.yaml", []byte("name: d\nbase: {known_at: 2022-11-30}\nforecasts: [{agreement: gbr-jpn-raa, stage: signed}]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s2.Model.Rules) != len(DefaultRules()) || s2.Runs != DefaultRuns || s2.Seed != 1 {
		t.Errorf("defaults: %d rules, %d runs, seed %d", len(s2.Model.Rules), s2.Runs, s2.Seed)
	}
	if s2.Targets[0] != (Target{Agreement: "gbr-jpn-raa", Stage: projections.StageSigned}) {
		t.Errorf("target %v", s2.Targets[0])
	}
}

func TestParseTooLarge(t *testing.T) {
	big := "name: x\ndescription: " + strings.Repeat("a", MaxFileBytes) + "\n"
	_, err := Parse("big.yaml", []byte(big), nil)
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("err %v", err)
	}
}

// TestReadmeFormat: the format documented in examples/README.md parses.
func TestReadmeFormat(t *testing.T) {
	b, err := os.ReadFile("../examples/README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml block in examples/README.md")
	}
	s, err := Parse("README.md", []byte(block), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Edits) != 5 || len(s.Model.Rules) != 2 || len(s.Model.Hazards) != 2 || len(s.Model.Distributions) != 2 {
		t.Errorf("edits %d rules %d hazards %d distributions %d", len(s.Edits), len(s.Model.Rules), len(s.Model.Hazards), len(s.Model.Distributions))
	}
}
