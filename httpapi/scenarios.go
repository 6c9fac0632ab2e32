package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/accord-dev/accord/backtest"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
	"github.com/accord-dev/accord/scenarios"
)

// Scenarios is the what-if engine as the API uses it (ScenarioEngine
// implements it over package scenarios). A nil Scenarios in Config makes
// its endpoints answer 501.
type Scenarios interface {
	// List returns the scenarios that can be run, sorted by name.
	List(ctx context.Context) ([]ScenarioInfo, error)
	// Run runs the named scenario against its baseline. An unknown name is
	// ErrNotFound.
	Run(ctx context.Context, name string, opts RunOptions) (*ScenarioRun, error)
	// Forecast forecasts when an agreement reaches a stage.
	Forecast(ctx context.Context, q ForecastQuery) (*ForecastResult, error)
	// Backtest scores the forecasts of the bundled backtest cases against
	// what happened (see package backtest).
	Backtest(ctx context.Context, q BacktestQuery) (*backtest.Report, error)
}

// BacktestQuery is GET /v1/backtest: runs per case, seed, an optional
// transaction-time limit (zero: none) and accord's model ("follow-up",
// the model of GET /v1/forecast, or "censor-at-cut",
// backtest.CensorAtCutModel).
type BacktestQuery struct {
	Runs       int
	Seed       uint64
	RecordedBy time.Time
	Model      string
}

// MaxHTTPBacktestRuns bounds the runs per case of GET /v1/backtest (each
// request forecasts every bundled case).
const MaxHTTPBacktestRuns = 20_000

// ScenarioInfo describes a scenario that can be run.
type ScenarioInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Origin is "example" (bundled with accord) or "saved" (a
	// scenario_saved event of the log; the latest save of a name wins).
	Origin string `json:"origin"`
	// KnownAt is the scenario's cut, when it gives one.
	KnownAt events.Date `json:"known_at"`
	// Forecasts are its targets, "agreement stage".
	Forecasts []string `json:"forecasts"`
}

// RunOptions override a scenario's runs and seed (zero: the file's).
type RunOptions struct {
	Runs int
	Seed *uint64
}

// ScenarioRun is the answer of POST /v1/scenarios/{name}/run: the report
// (baseline and scenario forecasts, their difference and its explanation)
// and the baseline-versus-scenario chart as a self-contained SVG document.
type ScenarioRun struct {
	Report   *scenarios.Report `json:"report"`
	ChartSVG string            `json:"chart_svg"`
}

// ForecastQuery is GET /v1/forecast.
type ForecastQuery struct {
	Agreement string
	Stage     projections.Stage
	KnownAt   events.Date
	Runs      int
	Seed      uint64
}

// ForecastResult is the answer of GET /v1/forecast: the forecast and its
// chart (cumulative probability of having reached the stage by each date).
type ForecastResult struct {
	scenarios.Forecast
	ChartSVG string `json:"chart_svg"`
}

// MaxHTTPRuns bounds the Monte Carlo runs one request may ask for.
const MaxHTTPRuns = 200_000

var scenarioNameRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

const scenariosMissing = "the scenario engine is not configured on this server"

// scenariosResponse is GET /v1/scenarios.
type scenariosResponse struct {
	Scenarios []ScenarioInfo `json:"scenarios"`
}

// getScenarios lists the scenarios.
func (s *Server) getScenarios(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Scenarios == nil {
		s.writeError(w, r, errNotImplemented(scenariosMissing))
		return
	}
	if err := checkParams(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	list, err := s.cfg.Scenarios.List(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []ScenarioInfo{}
	}
	writeJSON(w, http.StatusOK, scenariosResponse{Scenarios: list})
}

// runScenario runs a scenario against its baseline. It writes nothing, so
// it needs no token; runs are bounded by MaxHTTPRuns.
func (s *Server) runScenario(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Scenarios == nil {
		s.writeError(w, r, errNotImplemented(scenariosMissing))
		return
	}
	if err := checkParams(r, "runs", "seed"); err != nil {
		s.writeError(w, r, err)
		return
	}
	name := r.PathValue("name")
	if len(name) > 100 || !scenarioNameRe.MatchString(name) {
		s.writeError(w, r, invalidf("name", "%q is not a scenario name (lower-case letters and digits joined by '-')", clip(name)))
		return
	}
	var opts RunOptions
	runs, err := intParam(r, "runs", 0, 1, MaxHTTPRuns)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	opts.Runs = int(runs)
	if r.URL.Query().Has("seed") {
		seed, err := intParam(r, "seed", 0, 0, 1<<62)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		u := uint64(seed)
		opts.Seed = &u
	}
	start := time.Now()
	run, err := s.cfg.Scenarios.Run(r.Context(), name, opts)
	s.metrics.ObserveScenarioRun("scenario", outcomeOf(err), time.Since(start))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "scenario run", "scenario", name, "runs", run.Report.Runs,
		"duration_ms", time.Since(start).Milliseconds(), "request_id", requestID(r.Context()))
	writeJSON(w, http.StatusOK, run)
}

// getForecast forecasts when an agreement reaches a stage.
func (s *Server) getForecast(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Scenarios == nil {
		s.writeError(w, r, errNotImplemented(scenariosMissing))
		return
	}
	if err := checkParams(r, "agreement", "stage", "known_at", "runs", "seed"); err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	fq := ForecastQuery{Agreement: q.Get("agreement"), Stage: projections.Stage(q.Get("stage"))}
	if fq.Agreement == "" {
		s.writeError(w, r, invalidf("agreement", "is required (an agreement id such as gbr-jpn-raa)"))
		return
	}
	if !agreementRe.MatchString(fq.Agreement) {
		s.writeError(w, r, invalidf("agreement", "%q is not an agreement id (e.g. gbr-jpn-raa)", clip(fq.Agreement)))
		return
	}
	if fq.Stage == "" {
		fq.Stage = projections.StageInForce
	}
	if !slices.Contains(scenarios.Milestones(), fq.Stage) {
		var names []string
		for _, m := range scenarios.Milestones() {
			names = append(names, string(m))
		}
		s.writeError(w, r, invalidf("stage", "%q is not a milestone (%s)", clip(string(fq.Stage)), strings.Join(names, ", ")))
		return
	}
	fq.KnownAt = events.DayOf(s.cfg.Now())
	if v := q.Get("known_at"); v != "" {
		d, err := events.ParseDate(v)
		if err != nil {
			s.writeError(w, r, invalidf("known_at", "%v", err))
			return
		}
		fq.KnownAt = d
	}
	runs, err := intParam(r, "runs", 0, 1, MaxHTTPRuns)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	seed, err := intParam(r, "seed", 1, 0, 1<<62)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	fq.Runs, fq.Seed = int(runs), uint64(seed)
	start := time.Now()
	res, err := s.cfg.Scenarios.Forecast(r.Context(), fq)
	s.metrics.ObserveScenarioRun("forecast", outcomeOf(err), time.Since(start))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// outcomeOf labels a scenario run for the metrics.
func outcomeOf(err error) string {
	if err == nil {
		return "ok"
	}
	return events.KindOf(err).String()
}

// getBacktest answers GET /v1/backtest: the bundled backtest cases
// forecast with what was known at each case's known_at and scored against
// what happened, with the naive and uniform baselines (the JSON of
// `accord backtest --output json`).
func (s *Server) getBacktest(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Scenarios == nil {
		s.writeError(w, r, errNotImplemented(scenariosMissing))
		return
	}
	if err := checkParams(r, "runs", "seed", "recorded_by", "model"); err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	runs, err := intParam(r, "runs", backtest.DefaultRuns, 1, MaxHTTPBacktestRuns)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	seed, err := intParam(r, "seed", 1, 0, 1<<62)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	bq := BacktestQuery{Runs: int(runs), Seed: uint64(seed), Model: q.Get("model")}
	if bq.Model == "" {
		bq.Model = "follow-up"
	}
	if bq.Model != "follow-up" && bq.Model != "censor-at-cut" {
		s.writeError(w, r, invalidf("model", "%q is not follow-up or censor-at-cut", clip(bq.Model)))
		return
	}
	if v := q.Get("recorded_by"); v != "" {
		if bq.RecordedBy, err = parseInstant("recorded_by", v); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	start := time.Now()
	rep, err := s.cfg.Scenarios.Backtest(r.Context(), bq)
	s.metrics.ObserveScenarioRun("backtest", outcomeOf(err), time.Since(start))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// errScenarioNotFound is returned by Run for an unknown name.
func errScenarioNotFound(name string, known []string) error {
	return fmt.Errorf("%w: no scenario %q (known: %s; see GET /v1/scenarios)", events.ErrNotFound, name, strings.Join(known, ", "))
}
