package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/examples"
	"github.com/accord-dev/accord/projections"
	"github.com/accord-dev/accord/scenarios"
)

// scenarioSourceHelp explains the FILE argument of the scenario commands.
const scenarioSourceHelp = `FILE is a scenario file (YAML; see examples/ and the README), or
saved:NAME (the latest saved version of a scenario, run against the log as
it was recorded when it was saved), saved:NAME@VERSION, or example:NAME (a
bundled example: ` + "uk-turnover, philippines, no-gcap, no-signature" + `).`

func (m *Main) scenarioCommand(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "What-if scenarios: run, diff, state, check, save, list and show scenario files",
		Long: `A scenario is a YAML file: a base (the log as known at a date, or up to a
position), edits (hypothetical events added, events removed, retracted,
shifted or replaced), a model (reference classes, explicit distributions,
stochastic leadership changes) and rules written as expressions. Running it
simulates the baseline (the base alone) and the scenario (the base with the
edits) with the same random numbers, and explains the difference. The log
is never changed; 'scenario save' keeps the file itself in the log, in the
stream scenario/NAME, one version per save.

` + scenarioSourceHelp,
	}
	sub := []*cobra.Command{
		m.scenarioRunCommand(g, false),
		m.scenarioRunCommand(g, true),
		m.scenarioStateCommand(g),
		m.scenarioCheckCommand(g),
		m.scenarioSaveCommand(g),
		m.scenarioListCommand(g),
		m.scenarioShowCommand(g),
	}
	for _, c := range sub {
		c.Args = wrapArgs(c.Args)
		cmd.AddCommand(c)
	}
	return cmd
}

// scenarioSource is a scenario file to run: its text, the name used in
// messages, and, for a saved scenario, when it was saved.
type scenarioSource struct {
	name    string
	data    []byte
	savedAt time.Time
}

// readScenario resolves FILE, saved:NAME[@VERSION] or example:NAME.
func (m *Main) readScenario(ctx context.Context, g *globalFlags, arg string) (scenarioSource, error) {
	switch {
	case strings.HasPrefix(arg, "example:"):
		name := strings.TrimPrefix(arg, "example:")
		b, err := examples.File(name)
		if err != nil {
			return scenarioSource{}, fmt.Errorf("%w: %v", events.ErrNotFound, err)
		}
		return scenarioSource{name: "examples/" + name + ".yaml", data: b}, nil
	case strings.HasPrefix(arg, "saved:"):
		ref := strings.TrimPrefix(arg, "saved:")
		name, ver, _ := strings.Cut(ref, "@")
		var version int64
		if ver != "" {
			v, err := strconv.ParseInt(ver, 10, 64)
			if err != nil || v < 1 {
				return scenarioSource{}, fmt.Errorf("%w: %q: the version must be a number from 1", events.ErrInvalid, arg)
			}
			version = v
		}
		sv, err := m.savedScenario(ctx, g, name, version)
		if err != nil {
			return scenarioSource{}, err
		}
		return scenarioSource{name: fmt.Sprintf("saved:%s@%d", sv.Name, sv.Version), data: []byte(sv.YAML), savedAt: sv.recordedAt}, nil
	}
	st, err := os.Stat(arg)
	if err == nil && st.Size() > scenarios.MaxFileBytes {
		return scenarioSource{}, fmt.Errorf("%w: %s is %d bytes; a scenario file is at most %d", events.ErrInvalid, arg, st.Size(), scenarios.MaxFileBytes)
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return scenarioSource{}, fmt.Errorf("%w: %s: no such file", events.ErrNotFound, arg)
		}
		return scenarioSource{}, fmt.Errorf("read %s: %w", arg, err)
	}
	return scenarioSource{name: arg, data: b}, nil
}

// loadScenario reads and parses FILE and the log it runs on.
func (m *Main) loadScenario(ctx context.Context, g *globalFlags, arg string) (*scenarios.Scenario, []events.Event, error) {
	src, err := m.readScenario(ctx, g, arg)
	if err != nil {
		return nil, nil, err
	}
	s, err := scenarios.Parse(src.name, src.data, m.Codec)
	if err != nil {
		return nil, nil, err
	}
	s.RecordedBy = src.savedAt
	log, err := m.loadLog(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	return s, log, nil
}

func (m *Main) scenarioRunCommand(g *globalFlags, diffOnly bool) *cobra.Command {
	var sf simFlags
	use, short := "run FILE", "Run a scenario: baseline and scenario forecasts, the difference and its causes"
	long := `Simulate the baseline (the base alone) and the scenario (the base with the
edits), with the same seed and the same random numbers, and compare them.

JSON: name, known_at, horizon, runs, seed, edits, baseline and scenario
(each with forecasts: agreement, stage, quantiles, p_by, mean, ...; states:
each forecast agreement's stage at the cut in that side's branch; rules:
how often each delay rule fired; expectations; hazards), and delta
(per forecast: the shift of each quantile in days, of each p_by, the causes
and an explanation; and one explanation for all).`
	if diffOnly {
		use, short = "diff FILE", "Show only how a scenario differs from its baseline, and why"
		long = "Run a scenario like 'scenario run' and print only the delta: the shift of\neach quantile and probability, and the edits, rules and model differences\nthat cause it."
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long + "\n\n" + scenarioSourceHelp,
		Example: `  accord scenario run examples/uk-turnover.yaml
  accord scenario run examples/uk-turnover.yaml --output json --chart uk-turnover.svg
  accord scenario diff example:no-gcap`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(g)
			if err != nil {
				return err
			}
			if err := sf.check(); err != nil {
				return err
			}
			s, log, err := m.loadScenario(cmd.Context(), g, args[0])
			if err != nil {
				return err
			}
			opts := scenarios.RunOptions{Runs: sf.runs, Workers: sf.workers, Codec: m.Codec}
			if cmd.Flags().Changed("seed") {
				opts.Seed = &sf.seed
			}
			r, err := s.Run(log, opts)
			if err != nil {
				return err
			}
			if sf.chart != "" {
				if err := m.writeChart(sf.chart, func(w *os.File) error { return r.Chart(w) }); err != nil {
					return err
				}
			}
			switch {
			case format == "json" && diffOnly:
				return writeJSON(m.Stdout, r.Delta)
			case format == "json":
				return writeJSON(m.Stdout, r)
			case format == "csv":
				return writeCSV(m.Stdout, quantileTable(r))
			}
			return m.printReport(r, diffOnly)
		},
	}
	addSimFlags(cmd, &sf, "Monte Carlo runs (default: the file's runs)", "random seed (default: the file's seed)")
	return cmd
}

// quantileTable lists each forecast's quantiles on both sides.
func quantileTable(r *scenarios.Report) *table {
	t := &table{header: []string{"agreement", "stage", "quantile", "baseline", "scenario", "shift_days"}}
	for i, b := range r.Baseline.Forecasts {
		s, d := r.Scenario.Forecasts[i], r.Delta.Forecasts[i]
		for _, q := range scenarios.QuantileLevels() {
			shift := ""
			if v := d.Quantiles[q]; v != nil {
				shift = strconv.Itoa(*v)
			}
			t.add(b.Agreement, string(b.Stage), q, dateOrNull(b.Quantiles[q]), dateOrNull(s.Quantiles[q]), shift)
		}
	}
	return t
}

func shiftText(p *int) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%+d days", *p)
}

func (m *Main) printReport(r *scenarios.Report, diffOnly bool) error {
	w := m.Stdout
	fmt.Fprintf(w, "Scenario %s: known at %s, %d runs, seed %d, horizon %s\n", r.Name, r.KnownAt, r.Runs, r.Seed, r.Horizon)
	if r.Description != "" && !diffOnly {
		fmt.Fprintf(w, "  %s\n", r.Description)
	}
	if len(r.Edits) > 0 {
		fmt.Fprintln(w, "Edits:")
		for i, e := range r.Edits {
			fmt.Fprintf(w, "  %d. %s\n", i+1, e)
		}
	}
	fmt.Fprintln(w)
	t := &table{header: []string{"agreement", "stage", "baseline p10", "median", "p90", "scenario p10", "median", "p90", "median shift"}}
	if diffOnly {
		t.header = []string{"agreement", "stage", "baseline median", "scenario median", "p10 shift", "median shift", "p90 shift"}
	}
	for i, b := range r.Baseline.Forecasts {
		s, d := r.Scenario.Forecasts[i], r.Delta.Forecasts[i]
		if diffOnly {
			t.add(b.Agreement, string(b.Stage), medianOr(b.Median()), medianOr(s.Median()), shiftText(d.Quantiles["0.10"]), shiftText(d.MedianShiftDays), shiftText(d.Quantiles["0.90"]))
			continue
		}
		t.add(b.Agreement, string(b.Stage), medianOr(b.Quantiles["0.10"]), medianOr(b.Median()), medianOr(b.Quantiles["0.90"]),
			medianOr(s.Quantiles["0.10"]), medianOr(s.Median()), medianOr(s.Quantiles["0.90"]), shiftText(d.MedianShiftDays))
	}
	if err := writeTable(w, t); err != nil {
		return err
	}
	if !diffOnly {
		for _, side := range []struct {
			name string
			s    scenarios.Side
		}{{"baseline", r.Baseline}, {"scenario", r.Scenario}} {
			var parts []string
			for _, st := range side.s.States {
				parts = append(parts, fmt.Sprintf("%s %s since %s", st.Agreement, st.Stage, dateText(st.Since)))
			}
			fmt.Fprintf(w, "\nAt the cut in the %s: %s", side.name, strings.Join(parts, "; "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\nWhy:")
	for _, d := range r.Delta.Forecasts {
		fmt.Fprintf(w, "  %s\n", d.Explanation)
	}
	return nil
}

func (m *Main) scenarioStateCommand(g *globalFlags) *cobra.Command {
	var agreement string
	cmd := &cobra.Command{
		Use:   "state FILE --agreement ID",
		Short: "Show an agreement at the scenario's cut in the baseline and in the scenario's branch",
		Long: `Fold the scenario's branch (the base with the edits) and the baseline at the
scenario's cut, and show the agreement in both. The log is not changed:
'accord agreement ID' still shows the real state.

` + scenarioSourceHelp,
		Example: `  accord scenario state examples/no-signature.yaml --agreement gbr-jpn-raa`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(g)
			if err != nil {
				return err
			}
			if agreement == "" {
				return fmt.Errorf("%w: --agreement is required", events.ErrInvalid)
			}
			s, log, err := m.loadScenario(cmd.Context(), g, args[0])
			if err != nil {
				return err
			}
			if err := s.Check(log, m.Codec); err != nil {
				return err
			}
			base, scen, okB, okS, err := s.BranchStates(log, agreement, m.Codec)
			if err != nil {
				return err
			}
			if !okB && !okS {
				return fmt.Errorf("%w: agreement %q has no events at the scenario's cut", events.ErrNotFound, agreement)
			}
			out := branchStates{Agreement: agreement, KnownAt: events.DayOf(s.Now(log)), Name: s.Name}
			if okB {
				out.Baseline = &base
			}
			if okS {
				out.Branch = &scen
			}
			switch format {
			case "json":
				return writeJSON(m.Stdout, out)
			case "csv":
				t := &table{header: []string{"side", "agreement", "stage", "since", "days_in_stage"}}
				for _, x := range []struct {
					side string
					st   *projections.AgreementState
				}{{"baseline", out.Baseline}, {"scenario", out.Branch}} {
					if x.st != nil {
						t.add(x.side, x.st.ID, string(x.st.Stage), dateText(x.st.Since), strconv.Itoa(x.st.DaysInStage))
					}
				}
				return writeCSV(m.Stdout, t)
			}
			for _, x := range []struct {
				side string
				st   *projections.AgreementState
			}{{"Baseline", out.Baseline}, {"Scenario " + s.Name, out.Branch}} {
				fmt.Fprintf(m.Stdout, "== %s, as known at %s\n", x.side, out.KnownAt)
				if x.st == nil {
					fmt.Fprintf(m.Stdout, "%s has no events here\n\n", agreement)
					continue
				}
				if err := m.printAgreement(x.st); err != nil {
					return err
				}
				fmt.Fprintln(m.Stdout)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&agreement, "agreement", "", "agreement id (required)")
	return cmd
}

// branchStates is the JSON of 'scenario state'.
type branchStates struct {
	Name      string                      `json:"name"`
	Agreement string                      `json:"agreement"`
	KnownAt   events.Date                 `json:"known_at"`
	Baseline  *projections.AgreementState `json:"baseline"`
	Branch    *projections.AgreementState `json:"scenario"`
}

func (m *Main) scenarioCheckCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE",
		Short: "Check a scenario file against the log without running it",
		Long:  "Parse the file strictly and compare it with the log; errors cite the line and column.\n\n" + scenarioSourceHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, log, err := m.loadScenario(cmd.Context(), g, args[0])
			if err != nil {
				return err
			}
			if err := s.Check(log, m.Codec); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "%s: scenario %s is valid (%d forecasts, %d edits, %d rules)\n", args[0], s.Name, len(s.Targets), len(s.Edits), len(s.Model.Rules))
			return nil
		},
	}
}

// savedScenario is one version of a scenario saved in the log.
type savedScenario struct {
	Name        string    `json:"name"`
	Version     int64     `json:"version"`
	Versions    int64     `json:"versions,omitempty"`
	SavedAt     time.Time `json:"saved_at"`
	Description string    `json:"description,omitempty"`
	YAML        string    `json:"yaml,omitempty"`
	ID          string    `json:"id"`

	recordedAt time.Time
}

func scenarioStream(name string) string { return "scenario/" + name }

func toSaved(e *events.Event) (savedScenario, bool) {
	p, ok := e.Data.(*events.ScenarioSaved)
	if !ok {
		return savedScenario{}, false
	}
	return savedScenario{Name: p.Name, Version: e.Version, SavedAt: e.RecordedAt.UTC(), Description: p.Description, YAML: p.YAML, ID: e.ID, recordedAt: e.RecordedAt}, true
}

// savedScenario returns version (0: the latest) of a saved scenario.
func (m *Main) savedScenario(ctx context.Context, g *globalFlags, name string, version int64) (savedScenario, error) {
	s, err := m.openStore(ctx, g)
	if err != nil {
		return savedScenario{}, err
	}
	defer s.Close()
	evs, err := readFiltered(ctx, s, scenarioStream(name), 0, func(e *events.Event) bool { return e.Type == events.TypeScenarioSaved })
	if err != nil {
		return savedScenario{}, err
	}
	if len(evs) == 0 {
		return savedScenario{}, fmt.Errorf("%w: no saved scenario %q (see 'accord scenario list')", events.ErrNotFound, name)
	}
	pick := &evs[len(evs)-1]
	if version > 0 {
		pick = nil
		for i := range evs {
			if evs[i].Version == version {
				pick = &evs[i]
			}
		}
		if pick == nil {
			return savedScenario{}, fmt.Errorf("%w: scenario %q has no version %d (it has %d)", events.ErrNotFound, name, version, evs[len(evs)-1].Version)
		}
	}
	sv, _ := toSaved(pick)
	sv.Versions = evs[len(evs)-1].Version
	return sv, nil
}

func (m *Main) scenarioSaveCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "save FILE",
		Short: "Save a scenario file in the log (stream scenario/NAME), as a new version",
		Long: `Check the scenario file against the log and append it, as a scenario_saved
event, to the stream scenario/NAME (NAME is the file's name field). Each save
of a changed file is a new version; saving an unchanged file does nothing.
'accord scenario run saved:NAME@VERSION' runs a version again against the
log as it was recorded when it was saved, so it gives the same result.`,
		Example: `  accord scenario save examples/uk-turnover.yaml
  accord scenario run saved:uk-turnover`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if strings.HasPrefix(args[0], "saved:") {
				return fmt.Errorf("%w: %s is already saved", events.ErrInvalid, args[0])
			}
			src, err := m.readScenario(ctx, g, args[0])
			if err != nil {
				return err
			}
			sc, err := scenarios.Parse(src.name, src.data, m.Codec)
			if err != nil {
				return err
			}
			log, err := m.loadLog(ctx, g)
			if err != nil {
				return err
			}
			if err := sc.Check(log, m.Codec); err != nil {
				return err
			}
			s, err := m.openStore(ctx, g)
			if err != nil {
				return err
			}
			defer s.Close()
			prev, err := readFiltered(ctx, s, scenarioStream(sc.Name), 0, func(e *events.Event) bool { return e.Type == events.TypeScenarioSaved })
			if err != nil {
				return err
			}
			if n := len(prev); n > 0 {
				if last, _ := toSaved(&prev[n-1]); last.YAML == string(src.data) {
					fmt.Fprintf(m.Stdout, "scenario %s is unchanged: version %d (saved %s)\n", sc.Name, last.Version, last.SavedAt.Format(time.RFC3339))
					return nil
				}
			}
			desc := sc.Description
			if len(desc) > events.MaxTextBytes {
				desc = desc[:events.MaxTextBytes]
			}
			today := events.DayOf(m.Now())
			e := events.Event{
				Type: events.TypeScenarioSaved, Data: &events.ScenarioSaved{Name: sc.Name, Description: desc, YAML: string(src.data)},
				OccurredAt: today, Confidence: events.Confirmed,
				Source: events.Source{Publication: "accord scenario save", Title: filepath.Base(src.name), Date: today},
			}
			if err := events.Normalize(m.Codec, &e); err != nil {
				return err
			}
			res, err := s.Append(ctx, e.Stream, events.Any, []events.Event{e})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "saved scenario %s as version %d (position %d); run it again with: accord scenario run saved:%s@%d\n",
				sc.Name, res.Versions[0], res.Positions[0], sc.Name, res.Versions[0])
			return nil
		},
	}
}

func (m *Main) scenarioListCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the scenarios saved in the log: name, versions, when last saved",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(g)
			if err != nil {
				return err
			}
			s, err := m.openStore(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer s.Close()
			evs, err := readFiltered(cmd.Context(), s, "", 0, func(e *events.Event) bool { return e.Type == events.TypeScenarioSaved })
			if err != nil {
				return err
			}
			latest := map[string]savedScenario{}
			for i := range evs {
				sv, ok := toSaved(&evs[i])
				if !ok {
					continue
				}
				if cur, seen := latest[sv.Name]; !seen || sv.Version > cur.Version {
					sv.Versions = sv.Version
					latest[sv.Name] = sv
				}
			}
			list := make([]savedScenario, 0, len(latest))
			for _, sv := range latest {
				sv.YAML = ""
				list = append(list, sv)
			}
			slices.SortFunc(list, func(a, b savedScenario) int { return strings.Compare(a.Name, b.Name) })
			return render(m.Stdout, format, list, func() *table {
				t := &table{header: []string{"name", "versions", "saved_at", "description"}}
				for _, sv := range list {
					t.add(sv.Name, strconv.FormatInt(sv.Versions, 10), sv.SavedAt.Format(time.RFC3339), clipText(sv.Description, 70))
				}
				return t
			})
		},
	}
}

func (m *Main) scenarioShowCommand(g *globalFlags) *cobra.Command {
	var version int64
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Print a saved scenario file (the latest version, or --version N)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(g)
			if err != nil {
				return err
			}
			if version < 0 {
				return fmt.Errorf("%w: --version %d: want 1 or more", events.ErrInvalid, version)
			}
			sv, err := m.savedScenario(cmd.Context(), g, strings.TrimPrefix(args[0], "saved:"), version)
			if err != nil {
				return err
			}
			switch format {
			case "json":
				return writeJSON(m.Stdout, sv)
			case "csv":
				t := &table{header: []string{"name", "version", "saved_at", "yaml"}}
				t.add(sv.Name, strconv.FormatInt(sv.Version, 10), sv.SavedAt.Format(time.RFC3339), sv.YAML)
				return writeCSV(m.Stdout, t)
			}
			fmt.Fprintf(m.Stdout, "# scenario %s, version %d of %d, saved %s\n", sv.Name, sv.Version, sv.Versions, sv.SavedAt.Format(time.RFC3339))
			_, err = fmt.Fprint(m.Stdout, sv.YAML)
			if !strings.HasSuffix(sv.YAML, "\n") {
				fmt.Fprintln(m.Stdout)
			}
			return err
		},
	}
	cmd.Flags().Int64Var(&version, "version", 0, "version to show (default: the latest)")
	return cmd
}

// printScenarioHeadline runs the uk-turnover example on the bundled
// history and prints its headline delay; accord demo ends with it.
func (m *Main) printScenarioHeadline() error {
	w := m.Stdout
	src, err := examples.File("uk-turnover")
	if err != nil {
		return err
	}
	s, err := scenarios.Parse("examples/uk-turnover.yaml", src, m.Codec)
	if err != nil {
		return err
	}
	log, err := dataset.History(m.Codec)
	if err != nil {
		return err
	}
	r, err := s.Run(log, scenarios.RunOptions{Codec: m.Codec})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nWhat if the UK had changed prime minister again in December 2022? (examples/uk-turnover.yaml, %d runs, seed %d)\n", r.Runs, r.Seed)
	for _, d := range r.Delta.Forecasts {
		fmt.Fprintf(w, "  %s %-9s median %s instead of %s (%s)\n", d.Agreement, d.Stage+":", medianOr(d.MedianScenario), medianOr(d.MedianBaseline), shiftText(d.MedianShiftDays))
	}
	for _, c := range r.Delta.Forecasts[0].Causes {
		if c.Kind == "rule" {
			fmt.Fprintf(w, "  why: %s\n", c.Text)
			break
		}
	}
	fmt.Fprintln(w, "  (accord scenario run examples/uk-turnover.yaml for the whole comparison)")
	return nil
}
