package bench

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
	"github.com/accord-dev/accord/scenarios"
)

// loadLog returns the whole shared log in memory, in position order (the
// base of the scenario phases), reading it once per Run.
func (r *runner) loadLog(ctx context.Context) ([]events.Event, error) {
	if r.memLog != nil {
		return r.memLog, nil
	}
	s, err := r.filledLog(ctx)
	if err != nil {
		return nil, err
	}
	r.progress("reading the log (%d events) for the scenario phases", r.mainCount)
	log := make([]events.Event, 0, r.mainCount)
	var after int64
	for {
		page, err := s.ReadAll(ctx, after, ReplayPage)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		log = append(log, page...)
		after = page[len(page)-1].Position
	}
	r.memLog = log
	return log, nil
}

// BranchStats is what Branches measured.
type BranchStats struct {
	// Base is the number of events of the base.
	Base int
	// Branches created, in Elapsed.
	Branches int
	Elapsed  time.Duration
	// BytesPerBranch is the memory allocated per branch.
	BytesPerBranch float64
}

// Branches creates branches of log (its first half as of a known-at date,
// with five edits: an added event, a removal by id, a removal by filter, a
// shift and a retraction, as in the scenarios package's
// BenchmarkBranchCreate) for about d, and measures the time and memory per
// branch.
func Branches(log []events.Event, d time.Duration) (BranchStats, error) {
	if len(log) < 40 {
		return BranchStats{}, fmt.Errorf("branch: the log has %d events, fewer than 40", len(log))
	}
	added := events.Event{
		ID: "bench-hypothetical-1", Stream: events.CountryStream("AAX"), Type: events.TypeLeadershipChanged,
		Data:       &events.LeadershipChanged{Country: "AAX", Office: "prime_minister", To: "A. Newcomer"},
		OccurredAt: log[len(log)/2].OccurredAt, Confidence: events.Rumoured,
	}
	agreement := ""
	if a, ok := log[1].Data.(events.AgreementPayload); ok {
		agreement = a.AgreementID()
	}
	edits := []scenarios.Edit{
		{Op: scenarios.OpAdd, Event: added},
		{Op: scenarios.OpRemove, Match: scenarios.Filter{ID: log[10].ID}},
		{Op: scenarios.OpRemove, Match: scenarios.Filter{Type: events.TypeAgreementSigned, Agreement: agreement}},
		{Op: scenarios.OpShift, Match: scenarios.Filter{ID: log[20].ID}, ShiftDays: 30},
		{Op: scenarios.OpRetract, Match: scenarios.Filter{ID: log[30].ID}},
	}
	base := scenarios.Base{Events: log, Position: int64(len(log) / 2), KnownAt: log[len(log)/2].OccurredAt.End()}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	n := 0
	for time.Since(start) < d || n < 100 {
		for range 100 {
			if _, err := scenarios.NewBranch(base, edits...); err != nil {
				return BranchStats{}, fmt.Errorf("branch: %w", err)
			}
		}
		n += 100
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return BranchStats{Base: len(log), Branches: n, Elapsed: elapsed,
		BytesPerBranch: float64(after.TotalAlloc-before.TotalAlloc) / float64(n)}, nil
}

func (r *runner) branchPhase(ctx context.Context) (Result, error) {
	log, err := r.loadLog(ctx)
	if err != nil {
		return Result{}, err
	}
	r.progress("branch: branches of %d events", len(log))
	st, err := Branches(log, time.Second)
	if err != nil {
		return Result{Error: err.Error()}, nil
	}
	res := measured(st.Base, st.Elapsed)
	res.EventsPerS = round(float64(st.Base)*float64(st.Branches)/st.Elapsed.Seconds(), 0)
	res.NsPerBranch = ptr(round(float64(st.Elapsed.Nanoseconds())/float64(st.Branches), 1))
	res.BytesPerBranch = ptr(round(st.BytesPerBranch, 1))
	return res, nil
}

// MonteCarloRuns is the number of runs of the montecarlo phase.
const MonteCarloRuns = 100_000

// MonteCarloStats is what MonteCarlo measured.
type MonteCarloStats struct {
	// Base is the number of events of the log; Targets the agreements
	// forecast.
	Base, Targets, Runs int
	// Prepare is the time to fold the log and prepare the plan; Elapsed
	// the time of the runs.
	Prepare, Elapsed time.Duration
}

// MonteCarlo forecasts when up to ten agreements of the workload w enter
// into force, from the log as known at a date in the middle of their
// lifecycles, with the default model: it prepares the plan once and
// measures runs Monte Carlo runs (seeded).
func MonteCarlo(log []events.Event, w *Workload, runs int, seed uint64) (MonteCarloStats, error) {
	// The ten agreements that started last before the median start (or at
	// it), seen 20 days after it: talks are under way in the latest.
	type cand struct {
		i     int
		start time.Time
	}
	var cs []cand
	for i := range w.Len() {
		if w.Seen(i) > 0 {
			cs = append(cs, cand{i, w.Start(i)})
		}
	}
	if len(cs) == 0 {
		return MonteCarloStats{}, fmt.Errorf("montecarlo: the log is empty")
	}
	slices.SortFunc(cs, func(a, b cand) int { return a.start.Compare(b.start) })
	mid := len(cs) / 2
	lo, hi := max(0, mid-9), mid+1
	now := cs[mid].start.AddDate(0, 0, 20)
	var targets []scenarios.Target
	for _, c := range cs[lo:hi] {
		id, _ := w.Agreement(c.i)
		targets = append(targets, scenarios.Target{Agreement: id, Stage: projections.StageInForce})
	}
	t0 := time.Now()
	b, err := scenarios.NewBranch(scenarios.Base{Events: log, KnownAt: now})
	if err != nil {
		return MonteCarloStats{}, fmt.Errorf("montecarlo: %w", err)
	}
	p, err := scenarios.Prepare(scenarios.World{Branch: b, Now: now, Horizon: scenarios.DefaultHorizon(now), Model: scenarios.DefaultModel()}, targets)
	if err != nil {
		return MonteCarloStats{}, fmt.Errorf("montecarlo: %w", err)
	}
	prep := time.Since(t0)
	t1 := time.Now()
	if _, err := scenarios.Simulate(p, scenarios.Options{Runs: runs, Seed: seed}); err != nil {
		return MonteCarloStats{}, fmt.Errorf("montecarlo: %w", err)
	}
	return MonteCarloStats{Base: len(log), Targets: len(targets), Runs: runs, Prepare: prep, Elapsed: time.Since(t1)}, nil
}

func (r *runner) monteCarloPhase(ctx context.Context) (Result, error) {
	log, err := r.loadLog(ctx)
	if err != nil {
		return Result{}, err
	}
	r.progress("montecarlo: %d runs", MonteCarloRuns)
	st, err := MonteCarlo(log, r.w, MonteCarloRuns, r.cfg.Seed)
	if err != nil {
		return Result{Error: err.Error()}, nil
	}
	res := measured(st.Base, st.Prepare+st.Elapsed)
	res.RunsPerS = ptr(round(float64(st.Runs)/st.Elapsed.Seconds(), 0))
	return res, nil
}
