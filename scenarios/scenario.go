package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// DefaultHorizonMonths is the default horizon: the end of the month this
// many months after the cut's month.
const DefaultHorizonMonths = 60

// DefaultHorizon returns the default horizon for a cut on now.
func DefaultHorizon(now time.Time) time.Time {
	t := now.UTC()
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return first.AddDate(0, DefaultHorizonMonths+1, -1)
}

// Base returns the scenario's base cut of log (which it refers to, not
// copies).
func (s *Scenario) Base(log []events.Event) Base {
	b := Base{Events: log, Position: s.Position, RecordedBy: s.RecordedBy}
	if !s.KnownAt.IsZero() {
		b.KnownAt = endOfDay(s.KnownAt.End())
	}
	return b
}

// Now returns the scenario's cut date: the last day of KnownAt, or, for a
// base given by position only, the latest date on which an event of the
// base was reported.
func (s *Scenario) Now(log []events.Event) time.Time {
	if !s.KnownAt.IsZero() {
		return s.KnownAt.End()
	}
	b := s.Base(log)
	var latest time.Time
	for i := range log {
		if b.Includes(i) {
			if k := log[i].KnownAt().Day; k.After(latest) {
				latest = k
			}
		}
	}
	return latest
}

// HorizonTime returns the last simulated day.
func (s *Scenario) HorizonTime(now time.Time) time.Time {
	if !s.Horizon.IsZero() {
		return s.Horizon.End()
	}
	return DefaultHorizon(now)
}

// Branches returns the baseline (the base alone) and the scenario (the
// base with the edits).
func (s *Scenario) Branches(log []events.Event) (baseline, scenario *Branch, err error) {
	base := s.Base(log)
	if baseline, err = NewBranch(base); err != nil {
		return nil, nil, err
	}
	if scenario, err = NewBranch(base, s.Edits...); err != nil {
		var ee *EditError
		if errors.As(err, &ee) {
			return nil, nil, s.errAt(fmt.Sprintf("$.edits[%d]", ee.Index), nil, "%s", ee.Problem)
		}
		return nil, nil, err
	}
	return baseline, scenario, nil
}

func (s *Scenario) errAt(path string, kind error, format string, args ...any) *FileError {
	line, col := s.locate(path)
	return &FileError{File: s.File, Line: line, Column: col, Path: shortPath(path), Problem: fmt.Sprintf(format, args...), kind: kind}
}

// Check compares the scenario with the log: forecast agreements must have
// events at the cut on both sides, agreements named by filters must exist
// in the log, and every edit other than an add must match an event of the
// base (a shift of an unknown id is an error). Errors are *FileError with
// the line of the offending entry.
func (s *Scenario) Check(log []events.Event, codec *events.Codec) error {
	known := map[string]bool{}
	for i := range log {
		if a := payloadAgreement(log[i].Data); a != "" {
			known[a] = true
		}
	}
	for i := range s.Edits {
		e := &s.Edits[i]
		if e.Op == OpAdd {
			if a := payloadAgreement(e.Event.Data); a != "" {
				known[a] = true
			}
			continue
		}
		if a := e.Match.Agreement; a != "" && !known[a] {
			return s.errAt(fmt.Sprintf("$.edits[%d].%s.agreement", i, e.Op), events.ErrNotFound, "unknown agreement %q: the log has no event of it", a)
		}
	}
	bb, sb, err := s.Branches(log)
	if err != nil {
		return err
	}
	if err := sb.Check(); err != nil {
		var ee *EditError
		if errors.As(err, &ee) {
			path := fmt.Sprintf("$.edits[%d].%s", ee.Index, s.Edits[ee.Index].Op)
			if s.Edits[ee.Index].Match.ID != "" {
				path += ".id"
			}
			return s.errAt(path, nil, "%s", strings.TrimPrefix(ee.Problem, string(s.Edits[ee.Index].Op)+": "))
		}
		return err
	}
	now := s.Now(log)
	cut := projections.Cut{AsOf: endOfDay(now), KnownAt: endOfDay(now)}
	for side, b := range map[string]*Branch{"baseline": bb, "scenario": sb} {
		set, err := b.Fold(codec)
		if err != nil {
			return err
		}
		for i, t := range s.Targets {
			if _, ok := set.Agreements.Get(t.Agreement, cut); !ok {
				path := fmt.Sprintf("$.forecasts[%d].agreement", i)
				if !known[t.Agreement] {
					return s.errAt(path, events.ErrNotFound, "unknown agreement %q: the log has no event of it", t.Agreement)
				}
				return s.errAt(path, events.ErrNotFound, "agreement %q has no events known at %s in the %s", t.Agreement, dayString(dayNum(now)), side)
			}
		}
	}
	return nil
}

// RunOptions control Scenario.Run; zero values take the scenario's runs
// and seed, runtime.NumCPU() workers and events.NewCodec().
type RunOptions struct {
	// Runs, when positive, replaces the scenario's runs.
	Runs int
	// Seed, when set, replaces the scenario's seed.
	Seed *uint64
	// Workers is the number of goroutines (the result does not depend on
	// it).
	Workers int
	// Codec decodes corrections; nil means events.NewCodec().
	Codec *events.Codec
}

// Plans checks the scenario against log and prepares both sides.
func (s *Scenario) Plans(log []events.Event, codec *events.Codec) (baseline, scenario *Plan, err error) {
	if err := s.Check(log, codec); err != nil {
		return nil, nil, err
	}
	bb, sb, err := s.Branches(log)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now(log)
	horizon := s.HorizonTime(now)
	baseline, err = Prepare(World{Branch: bb, Now: now, Horizon: horizon, Model: s.Model, Side: ScopeBaseline, Codec: codec}, s.Targets)
	if err != nil {
		return nil, nil, fmt.Errorf("baseline: %w", err)
	}
	scenario, err = Prepare(World{Branch: sb, Now: now, Horizon: horizon, Model: s.Model, Side: ScopeScenario, Codec: codec}, s.Targets)
	if err != nil {
		return nil, nil, fmt.Errorf("scenario: %w", err)
	}
	return baseline, scenario, nil
}

// Report is the result of running a scenario against its baseline.
type Report struct {
	// Name, Description, KnownAt, Horizon, Runs and Seed are the
	// scenario's (with the run's overrides).
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	KnownAt     events.Date `json:"known_at"`
	Horizon     events.Date `json:"horizon"`
	Runs        int         `json:"runs"`
	Seed        uint64      `json:"seed"`
	// Edits describe the scenario's overlay, in order.
	Edits []string `json:"edits"`
	// Baseline is the base without edits, Scenario the branch with them;
	// Delta compares them.
	Baseline Side  `json:"baseline"`
	Scenario Side  `json:"scenario"`
	Delta    Delta `json:"delta"`

	baseline, scenario *Outcome
}

// Side is one side of a Report.
type Side struct {
	// Forecasts are in the scenario's target order.
	Forecasts []Forecast `json:"forecasts"`
	// States are the forecast agreements at the cut in this side's branch.
	States []StateSummary `json:"states"`
	// Rules, Expectations and Hazards say what the model did in the runs.
	Rules        []RuleStat        `json:"rules"`
	Expectations []ExpectationStat `json:"expectations"`
	Hazards      []HazardStat      `json:"hazards"`
}

// StateSummary is an agreement's state at the cut in a branch.
type StateSummary struct {
	// Agreement is at Stage since Since (DaysInStage days at the cut),
	// with Blockers open blockers.
	Agreement   string            `json:"agreement"`
	Stage       projections.Stage `json:"stage"`
	Since       events.Date       `json:"since"`
	DaysInStage int               `json:"days_in_stage"`
	Blockers    int               `json:"open_blockers"`
}

// HazardStat says how many stochastic events a hazard drew.
type HazardStat struct {
	// Hazard describes the hazard and its rate's origin.
	Hazard string `json:"hazard"`
	// PerYear is the rate used; MeanEvents the mean number of events per
	// run within the horizon.
	PerYear    float64 `json:"per_year"`
	MeanEvents float64 `json:"mean_events"`
}

// Run checks the scenario against log, simulates the baseline and the
// scenario with the same seed (common random numbers) and compares them.
func (s *Scenario) Run(log []events.Event, o RunOptions) (*Report, error) {
	bp, sp, err := s.Plans(log, o.Codec)
	if err != nil {
		return nil, err
	}
	opts := Options{Runs: s.Runs, Seed: s.Seed, Workers: o.Workers}
	if o.Runs > 0 {
		opts.Runs = o.Runs
	}
	if o.Seed != nil {
		opts.Seed = *o.Seed
	}
	bo, err := Simulate(bp, opts)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	so, err := Simulate(sp, opts)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return NewReport(s, bo, so)
}

// NewReport assembles the report of a scenario from its two outcomes.
func NewReport(s *Scenario, baseline, scenario *Outcome) (*Report, error) {
	d, err := Compare(baseline, scenario)
	if err != nil {
		return nil, err
	}
	r := &Report{
		Name: s.Name, Description: s.Description, KnownAt: baseline.plan.nowDate, Horizon: baseline.plan.horizonDate,
		Runs: baseline.runs, Seed: baseline.seed, Edits: []string{},
		Baseline: side(baseline), Scenario: side(scenario), Delta: d, baseline: baseline, scenario: scenario,
	}
	for i := range s.Edits {
		r.Edits = append(r.Edits, s.Edits[i].Describe())
	}
	return r, nil
}

func side(o *Outcome) Side {
	s := Side{Forecasts: o.Forecasts(), States: []StateSummary{}, Rules: o.RuleStats(), Expectations: o.ExpectationStats(), Hazards: []HazardStat{}}
	for _, a := range o.plan.agents {
		st := a.state
		s.States = append(s.States, StateSummary{Agreement: st.ID, Stage: st.Stage, Since: st.Since, DaysInStage: st.DaysInStage, Blockers: len(st.Blockers)})
	}
	for i, h := range o.plan.hazards {
		s.Hazards = append(s.Hazards, HazardStat{Hazard: h.label, PerYear: round4(h.perYear), MeanEvents: round4(float64(o.st.hazardEvents[i]) / float64(o.runs))})
	}
	return s
}

// BranchStates returns an agreement's state at the scenario's cut in the
// baseline and in the scenario's branch; ok is false on a side where it has
// no events.
func (s *Scenario) BranchStates(log []events.Event, agreement string, codec *events.Codec) (baseline, scenario projections.AgreementState, okBase, okScen bool, err error) {
	bb, sb, err := s.Branches(log)
	if err != nil {
		return
	}
	now := s.Now(log)
	cut := projections.Cut{AsOf: endOfDay(now), KnownAt: endOfDay(now)}
	set, err := bb.Fold(codec)
	if err != nil {
		return
	}
	baseline, okBase = set.Agreements.Get(agreement, cut)
	if set, err = sb.Fold(codec); err != nil {
		return
	}
	scenario, okScen = set.Agreements.Get(agreement, cut)
	return
}

// ForecastRequest is a single forecast on the log without a scenario file.
type ForecastRequest struct {
	// Agreement is the agreement id; Stage a milestone.
	Agreement string
	Stage     projections.Stage
	// KnownAt is the cut (its last day for a partial date).
	KnownAt events.Date
	// RecordedBy, when set, also limits the log on transaction time: only
	// events with no RecordedAt or recorded at or before it are seen (see
	// Base.RecordedBy). Zero means no limit.
	RecordedBy time.Time
	// Horizon is the last simulated day; zero means DefaultHorizon.
	Horizon events.Date
	// Model defaults to DefaultModel() when nil.
	Model *Model
	// Options are the simulation's runs, seed and workers.
	Options
	// Codec decodes corrections; nil means events.NewCodec().
	Codec *events.Codec
}

// RunForecast forecasts when an agreement reaches a stage, from the log
// as known at req.KnownAt.
func RunForecast(log []events.Event, req ForecastRequest) (Forecast, error) {
	if MilestoneIndex(req.Stage) < 0 {
		return Forecast{}, fmt.Errorf("%w: stage %q is not one of %s", events.ErrInvalid, req.Stage, milestoneList())
	}
	if req.KnownAt.IsZero() {
		return Forecast{}, fmt.Errorf("%w: a known-at date is required", events.ErrInvalid)
	}
	now := req.KnownAt.End()
	horizon := DefaultHorizon(now)
	if !req.Horizon.IsZero() {
		horizon = req.Horizon.End()
	}
	m := DefaultModel()
	if req.Model != nil {
		m = *req.Model
	}
	b, err := NewBranch(Base{Events: log, KnownAt: endOfDay(now), RecordedBy: req.RecordedBy})
	if err != nil {
		return Forecast{}, err
	}
	p, err := Prepare(World{Branch: b, Now: now, Horizon: horizon, Model: m, Codec: req.Codec}, []Target{{Agreement: req.Agreement, Stage: req.Stage}})
	if err != nil {
		return Forecast{}, err
	}
	o, err := Simulate(p, req.Options)
	if err != nil {
		return Forecast{}, err
	}
	return o.Forecasts()[0], nil
}
