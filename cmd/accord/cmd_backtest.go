package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/backtest"
	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/scenarios"
)

// backtestModels are the models --model selects for accord.
var backtestModels = map[string]func() scenarios.Model{
	"follow-up":     backtest.DefaultModel,
	"censor-at-cut": backtest.CensorAtCutModel,
}

func (m *Main) backtestCommand(g *globalFlags) *cobra.Command {
	var (
		casesFile, chart, recordedBy, model string
		runs, workers                       int
		seed                                uint64
	)
	cmd := &cobra.Command{
		Use:   "backtest",
		Short: "Score accord's forecasts against what happened, made with only what was known then",
		Long: `Backtest accord's forecasts. A case is (agreement, stage, known_at): accord
forecasts when the agreement reaches the stage with only the events reported
by known_at (and, with --recorded-by, recorded in this log by then: both
filters apply), and the forecast is scored against the date the stage was
reached in the whole log. Two baselines are scored on the same cases: naive
(the median duration of the same transition among agreements that had
completed it by known_at, as a point forecast) and uniform (every day to
the five-year horizon equally likely).

Scores, all lower-is-better: CRPS in days (from the Monte Carlo samples; a
point forecast's CRPS is its absolute error), the Brier score and the log
score (-ln p, probabilities clipped to [0.01, 0.99]) of "reached within 90,
180 and 365 days", averaged over the questions the outcome answers. A stage
not reached by the end of the log is censored there, and scored only where
that is known ("not within 90 days" once 90 days have passed), never as a
miss. A calibration table bins the probabilities against what happened;
--chart draws it as an SVG reliability diagram.

Without --cases, the bundled cases: for every stage transition in the
bundled history with a known start, cases 30, 90 and 180 days before it.
--cases FILE is CSV with the header agreement,stage,known_at (further
columns are ignored, so the CSV output is itself a cases file).

--model follow-up (the default) is exactly the model of 'accord forecast':
reference classes censored at each agreement's last event; --model
censor-at-cut censors them at the cut instead. See docs/backtesting.md.

JSON: cases (agreement, stage, known_at, outcome (date or null), censored,
outcome_days, observed_days, from_stage, horizon, winner, and per model
accord, naive and uniform: crps_days, brier, log_score, forecast), summary
(per model: crps_days_mean, brier_mean, log_score_mean, n, n_crps, n_brier,
n_log_score, totals and crps_wins), paired (means over the cases every model
scores), variants (naive_clamped) and calibration.`,
		Example: `  accord backtest
  accord backtest --output json --runs 2000 --seed 1
  accord backtest --cases cases.csv --chart reliability.svg
  accord backtest --recorded-by 2026-06-30 --model censor-at-cut`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(g)
			if err != nil {
				return err
			}
			if runs < 1 || runs > scenarios.MaxRuns {
				return fmt.Errorf("%w: --runs %d: want 1 to %d", events.ErrInvalid, runs, scenarios.MaxRuns)
			}
			if workers < 1 {
				return fmt.Errorf("%w: --workers %d: want 1 or more", events.ErrInvalid, workers)
			}
			newModel, ok := backtestModels[model]
			if !ok {
				return fmt.Errorf("%w: --model %q: want follow-up or censor-at-cut", events.ErrInvalid, model)
			}
			opts := backtest.Options{Runs: runs, Seed: seed, Workers: workers, Codec: m.Codec, ModelName: model}
			mod := newModel()
			opts.Model = &mod
			if recordedBy != "" {
				if opts.RecordedBy, err = flagInstant("recorded-by", recordedBy); err != nil {
					return err
				}
			}
			var cases []backtest.Case
			if casesFile != "" {
				if cases, err = readCases(casesFile); err != nil {
					return err
				}
			} else {
				hist, err := dataset.History(m.Codec)
				if err != nil {
					return err
				}
				if cases, err = backtest.DeriveCases(hist, m.Codec, backtest.BundledOffsets()); err != nil {
					return err
				}
			}
			log, err := m.loadLog(cmd.Context(), g)
			if err != nil {
				return err
			}
			bar := m.newProgress("backtest", len(cases))
			opts.Progress = func(done, _ int) { bar.set(done) }
			r, err := backtest.Run(log, cases, opts)
			bar.finish()
			if err != nil {
				var ce *backtest.CaseError
				if casesFile == "" && errors.As(err, &ce) {
					return fmt.Errorf("the bundled cases are about the bundled history (run 'accord import --bundled', or give --cases): %w", err)
				}
				if casesFile != "" && errors.As(err, &ce) {
					return fmt.Errorf("%s: %w", casesFile, err)
				}
				return err
			}
			if chart != "" {
				if err := m.writeChart(chart, func(w *os.File) error { return r.ReliabilityChart(w) }); err != nil {
					return err
				}
			}
			switch format {
			case "json":
				return writeJSON(m.Stdout, r)
			case "csv":
				return writeCSV(m.Stdout, backtestTable(r))
			}
			return printBacktest(m.Stdout, r)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&casesFile, "cases", "", "CSV file of cases with the header agreement,stage,known_at (default: the bundled cases)")
	fl.IntVar(&runs, "runs", backtest.DefaultRuns, "Monte Carlo runs per case")
	fl.Uint64Var(&seed, "seed", 1, "random seed, the same for every case: the same seed gives the same output")
	fl.IntVar(&workers, "workers", runtime.NumCPU(), "cases forecast at once (the output does not depend on it)")
	fl.StringVar(&chart, "chart", "", "also write an SVG reliability diagram (the calibration table) to this file")
	fl.StringVar(&recordedBy, "recorded-by", "", "transaction time: forecasts see only events this log had recorded by this date or RFC 3339 instant (default: no limit)")
	fl.StringVar(&model, "model", "follow-up", "accord's model: follow-up (the model of 'accord forecast': reference classes censored at each agreement's last event) or censor-at-cut")
	return cmd
}

// readCases reads a cases file; problems name the file and their lines.
func readCases(path string) ([]backtest.Case, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: --cases: %v", events.ErrNotFound, err)
		}
		return nil, fmt.Errorf("%w: --cases: %v", events.ErrInvalid, err)
	}
	defer f.Close()
	cases, err := backtest.ParseCases(io.LimitReader(f, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cases, nil
}

// scoreText formats a score, "-" when it is not computable.
func scoreText(v *float64, prec int) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', prec, 64)
}

// backtestTable is the CSV form: one row per case; its first three
// columns make it a cases file.
func backtestTable(r *backtest.Report) *table {
	t := &table{header: []string{"agreement", "stage", "known_at", "outcome", "censored", "from_stage"}}
	for _, m := range backtest.Models() {
		t.header = append(t.header, m+"_crps_days", m+"_brier", m+"_log_score")
	}
	t.header = append(t.header, "winner")
	for _, c := range r.Cases {
		row := []string{c.Agreement, string(c.Stage), c.KnownAt.String(), dateOrNull(c.Outcome), strconv.FormatBool(c.Censored), string(c.From)}
		for _, m := range backtest.Models() {
			mr := c.Model(m)
			row = append(row, csvScore(mr.CRPSDays), csvScore(mr.Brier), csvScore(mr.LogScore))
		}
		t.add(append(row, c.Winner)...)
	}
	return t
}

func csvScore(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// printBacktest writes the table form: the cases, the summary, the
// verdict and the calibration table.
func printBacktest(w io.Writer, r *backtest.Report) error {
	fmt.Fprintf(w, "Backtest of %d cases: %d runs each, seed %d, accord's model %s; the log ends %s", len(r.Cases), r.Runs, r.Seed, r.Model, r.EndOfLog)
	if r.RecordedBy != nil {
		fmt.Fprintf(w, "; recorded by %s", r.RecordedBy.Format(time.RFC3339))
	}
	fmt.Fprintln(w, ".")
	fmt.Fprintln(w, "Every score is a loss (lower is better); CRPS in days; - where the outcome allows no score.")
	fmt.Fprintln(w)
	t := &table{header: []string{"agreement", "stage", "known_at", "from", "outcome", "days", "accord", "naive", "uniform", "winner"}}
	for _, c := range r.Cases {
		out, days := dateText(c.Outcome), "-"
		if c.Censored {
			out, days = "censored", fmt.Sprintf(">%d", c.ObservedDays)
		} else if c.OutcomeDays != nil {
			days = strconv.Itoa(*c.OutcomeDays)
		}
		winner := c.Winner
		if winner == "" {
			winner = "-"
		}
		t.add(c.Agreement, string(c.Stage), c.KnownAt.String(), string(c.From), out, days,
			scoreText(c.Accord.CRPSDays, 1), scoreText(c.Naive.CRPSDays, 1), scoreText(c.Uniform.CRPSDays, 1), winner)
	}
	if err := writeTable(w, t); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nSummary: means over the cases each score covers (n of them).")
	t = &table{header: []string{"model", "n", "crps_days", "brier", "log_score", "n_crps", "n_brier", "crps_wins"}}
	add := func(name string, s backtest.ModelSummary, wins string) {
		t.add(name, strconv.Itoa(s.N), scoreText(s.CRPSDaysMean, 1), scoreText(s.BrierMean, 3), scoreText(s.LogScoreMean, 3),
			strconv.Itoa(s.NCRPS), strconv.Itoa(s.NBrier), wins)
	}
	for _, m := range backtest.Models() {
		s := r.Summary.Model(m)
		add(m, s, strconv.Itoa(s.Wins))
	}
	add(backtest.VariantNaiveClamped+" (variant)", r.Variants[backtest.VariantNaiveClamped], "-")
	if err := writeTable(w, t); err != nil {
		return err
	}
	p := r.Paired
	fmt.Fprintf(w, "\nOn the %d cases every model scores: mean CRPS accord %s, naive %s, uniform %s, naive_clamped %s days.\n",
		p.NCRPS, scoreText(p.Accord.CRPSDaysMean, 1), scoreText(p.Naive.CRPSDaysMean, 1), scoreText(p.Uniform.CRPSDaysMean, 1), scoreText(p.NaiveClamped.CRPSDaysMean, 1))
	fmt.Fprintln(w, verdict(r))

	fmt.Fprintln(w, "\nCalibration: \"reached within 90/180/365 days\", pooled; predicted (mean of the bin) against observed.")
	t = &table{header: []string{"bin"}}
	for _, m := range backtest.Models() {
		t.header = append(t.header, m+"_n", m+"_pred", m+"_obs")
	}
	for i := range 10 {
		row := []string{fmt.Sprintf("%.1f-%.1f", float64(i)/10, float64(i+1)/10)}
		for _, m := range backtest.Models() {
			b := r.Calibration.Model(m)[i]
			row = append(row, strconv.Itoa(b.N), scoreText(b.MeanPredicted, 2), scoreText(b.Observed, 2))
		}
		t.add(row...)
	}
	return writeTable(w, t)
}

// verdict says whether accord beat the baselines on mean CRPS.
func verdict(r *backtest.Report) string {
	a, n, u := r.Summary.Accord.CRPSDaysMean, r.Summary.Naive.CRPSDaysMean, r.Summary.Uniform.CRPSDaysMean
	if a == nil || n == nil || u == nil {
		return "No verdict: some model has no CRPS on these cases."
	}
	var parts []string
	for _, b := range []struct {
		name string
		v    float64
	}{{"naive", *n}, {"uniform", *u}} {
		word := "lower"
		if *a >= b.v {
			word = "NOT lower"
		}
		parts = append(parts, fmt.Sprintf("%s than %s's (%.1f vs %.1f days)", word, b.name, *a, b.v))
	}
	return "accord's mean CRPS is " + strings.Join(parts, ", and ") + "."
}
