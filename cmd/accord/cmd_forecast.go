package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
	"github.com/accord-dev/accord/scenarios"
)

// simFlags are the Monte Carlo flags of forecast and scenario run.
type simFlags struct {
	runs    int
	seed    uint64
	workers int
	chart   string
}

func addSimFlags(cmd *cobra.Command, f *simFlags, runsHelp, seedHelp string) {
	cmd.Flags().IntVar(&f.runs, "runs", 0, runsHelp)
	cmd.Flags().Uint64Var(&f.seed, "seed", 1, seedHelp)
	cmd.Flags().IntVar(&f.workers, "workers", runtime.NumCPU(), "goroutines running the simulation (the output does not depend on it)")
	cmd.Flags().StringVar(&f.chart, "chart", "", "also write an SVG chart of the cumulative probability to this file")
}

func (f *simFlags) check() error {
	if f.runs < 0 || f.runs > scenarios.MaxRuns {
		return fmt.Errorf("%w: --runs %d: want 1 to %d", events.ErrInvalid, f.runs, scenarios.MaxRuns)
	}
	if f.workers < 1 {
		return fmt.Errorf("%w: --workers %d: want 1 or more", events.ErrInvalid, f.workers)
	}
	return nil
}

// loadLog reads the whole log from the store. A log without any agreement
// event (a fresh store) is replaced by the bundled history, with a note on
// stderr, so that forecasts and scenarios work out of the box.
func (m *Main) loadLog(ctx context.Context, g *globalFlags) ([]events.Event, error) {
	s, err := m.openStore(ctx, g)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	log, err := readFiltered(ctx, s, "", 0, func(*events.Event) bool { return true })
	if err != nil {
		return nil, err
	}
	for i := range log {
		if strings.HasPrefix(log[i].Stream, "agreement/") {
			return log, nil
		}
	}
	fmt.Fprintln(m.Stderr, "accord: the log has no agreements; using the bundled history (run 'accord import --bundled' to store it)")
	return dataset.History(m.Codec)
}

// writeChart writes an SVG file with draw.
func (m *Main) writeChart(path string, draw func(f *os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	if err := draw(f); err != nil {
		f.Close()
		return fmt.Errorf("chart: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	fmt.Fprintf(m.Stderr, "accord: chart written to %s\n", path)
	return nil
}

func (m *Main) forecastCommand(g *globalFlags) *cobra.Command {
	var (
		agreement, stage, knownAt, horizon string
		sf                                 simFlags
	)
	cmd := &cobra.Command{
		Use:   "forecast --agreement ID --stage STAGE",
		Short: "Forecast when an agreement reaches a stage: probabilities by month, quantiles, mean",
		Long: `Forecast the date on which an agreement reaches a stage (negotiating,
agreed_in_principle, signed, approved or in_force), from the log as it was
known at --known-at (default: today), by Monte Carlo.

Each remaining leg of the lifecycle is drawn from a reference class in the
log as known then: the durations of the same leg among agreements of the
same kind (or of all agreements, when the kind has fewer than five completed
legs), with legs still running treated as censored (Kaplan-Meier), and
conditional on the time the agreement has already spent in its current
stage. The default rules then apply: a reported expectation moves
probability toward its date (weight 0.5, or 0.25 when rumoured). Use
'accord scenario run' for other models and what-if edits.

The output is the same, byte for byte, for the same seed whatever --workers
is. JSON: agreement, stage, known_at, runs, seed, reached (and reached_on:
the date, when the stage had been reached by known_at), current_stage,
horizon, p_by (month-end date -> probability of having reached the stage),
quantiles ("0.05" ... "0.95" -> date, or null beyond the horizon), mean
(among the runs that reach it within the horizon), p_within_horizon, and
model (how each leg is drawn).`,
		Example: `  accord forecast --agreement gbr-jpn-raa --stage signed --known-at 2022-11-30
  accord forecast --agreement gbr-jpn-raa --stage signed --known-at 2022-11-30 --runs 20000 --seed 1 --output json
  accord forecast --agreement jpn-phl-raa --stage in_force --known-at 2024-07-31 --chart phl.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(g)
			if err != nil {
				return err
			}
			if err := sf.check(); err != nil {
				return err
			}
			if agreement == "" || stage == "" {
				return fmt.Errorf("%w: --agreement and --stage are required (see 'accord forecast --help')", events.ErrInvalid)
			}
			st := projections.Stage(stage)
			if scenarios.MilestoneIndex(st) < 0 {
				return fmt.Errorf("%w: --stage %q: want one of %s", events.ErrInvalid, stage, stageNames())
			}
			req := scenarios.ForecastRequest{
				Agreement: agreement, Stage: st, Codec: m.Codec,
				Options: scenarios.Options{Runs: sf.runs, Seed: sf.seed, Workers: sf.workers},
			}
			if knownAt == "" {
				req.KnownAt = events.DayOf(m.Now())
			} else if req.KnownAt, err = parseFlagDate("known-at", knownAt); err != nil {
				return err
			}
			if horizon != "" {
				if req.Horizon, err = parseFlagDate("horizon", horizon); err != nil {
					return err
				}
			}
			log, err := m.loadLog(cmd.Context(), g)
			if err != nil {
				return err
			}
			f, err := scenarios.RunForecast(log, req)
			if err != nil {
				return err
			}
			if sf.chart != "" {
				if err := m.writeChart(sf.chart, func(w *os.File) error { return scenarios.ForecastChart(w, &f) }); err != nil {
					return err
				}
			}
			switch format {
			case "json":
				return writeJSON(m.Stdout, f)
			case "csv":
				return writeCSV(m.Stdout, forecastTable(&f))
			}
			return m.printForecast(&f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&agreement, "agreement", "", "agreement id, e.g. gbr-jpn-raa (required)")
	fl.StringVar(&stage, "stage", "", "stage to forecast: "+stageNames()+" (required)")
	fl.StringVar(&knownAt, "known-at", "", "forecast with what was known by this date (default: today)")
	fl.StringVar(&horizon, "horizon", "", "last date simulated (default: five years after the known-at month)")
	addSimFlags(cmd, &sf, fmt.Sprintf("Monte Carlo runs (default %d)", scenarios.DefaultRuns), "random seed: the same seed gives the same output")
	return cmd
}

func stageNames() string {
	var s []string
	for _, st := range scenarios.Milestones()[1:] {
		s = append(s, string(st))
	}
	return strings.Join(s, ", ")
}

// forecastTable is the CSV form: one row per quantile and per month end.
func forecastTable(f *scenarios.Forecast) *table {
	t := &table{header: []string{"agreement", "stage", "measure", "key", "value"}}
	for _, q := range scenarios.QuantileLevels() {
		t.add(f.Agreement, string(f.Stage), "quantile", q, dateOrNull(f.Quantiles[q]))
	}
	for _, k := range sortedKeys(f.PBy) {
		t.add(f.Agreement, string(f.Stage), "p_by", k, strconv.FormatFloat(f.PBy[k], 'f', -1, 64))
	}
	t.add(f.Agreement, string(f.Stage), "mean", "", dateOrNull(f.Mean))
	return t
}

func dateOrNull(d events.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (m *Main) printForecast(f *scenarios.Forecast) error {
	w := m.Stdout
	fmt.Fprintf(w, "%s reaching %s, as known at %s (%d runs, seed %d)\n", f.Agreement, f.Stage, f.KnownAt, f.Runs, f.Seed)
	fmt.Fprintf(w, "  at the cut: %s since %s\n", f.CurrentStage, dateText(f.CurrentSince))
	if f.Reached {
		fmt.Fprintf(w, "  already reached on %s\n", f.ReachedOn)
		return nil
	}
	for _, l := range f.Model {
		fmt.Fprintf(w, "  %s -> %s: %s (mean %.0f days)\n", l.From, l.To, l.Text, l.MeanDays)
	}
	fmt.Fprintf(w, "  median %s, mean %s; within the horizon (%s): %.0f%%\n\n", medianOr(f.Median()), medianOr(f.Mean), f.Horizon, 100*f.PWithinHorizon)
	t := &table{header: []string{"quantile", "date"}}
	for _, q := range []string{"0.05", "0.10", "0.25", "0.50", "0.75", "0.90", "0.95"} {
		t.add(q, medianOr(f.Quantiles[q]))
	}
	if err := writeTable(w, t); err != nil {
		return err
	}
	fmt.Fprintln(w)
	t = &table{header: []string{"by", "probability"}}
	keys := sortedKeys(f.PBy)
	for i, k := range keys {
		// Quarter ends, and the last month.
		if mo := k[5:7]; mo != "03" && mo != "06" && mo != "09" && mo != "12" && i != len(keys)-1 {
			continue
		}
		t.add(k, fmt.Sprintf("%.2f", f.PBy[k]))
		if f.PBy[k] == 1 {
			break
		}
	}
	return writeTable(w, t)
}

func medianOr(d events.Date) string {
	if d.IsZero() {
		return "beyond the horizon"
	}
	return d.String()
}
