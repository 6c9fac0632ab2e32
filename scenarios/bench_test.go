package scenarios

import (
	"fmt"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/examples"
)

// ukPlans prepares the uk-turnover example's baseline and scenario.
func ukPlans(b testing.TB) (*Scenario, *Plan, *Plan) {
	src, err := examples.File("uk-turnover")
	if err != nil {
		b.Fatal(err)
	}
	s, err := Parse("uk-turnover.yaml", src, nil)
	if err != nil {
		b.Fatal(err)
	}
	bp, sp, err := s.Plans(bundled(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	return s, bp, sp
}

// BenchmarkMonteCarloUKTurnover simulates 100,000 runs of uk-turnover
// (baseline and scenario, with the default number of workers) per
// iteration, from prepared plans, and summarizes them; it reports runs/s
// (scenario runs: each includes its baseline run).
func BenchmarkMonteCarloUKTurnover(b *testing.B) {
	s, bp, sp := ukPlans(b)
	const runs = 100_000
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		bo, err := Simulate(bp, Options{Runs: runs, Seed: 42})
		if err != nil {
			b.Fatal(err)
		}
		so, err := Simulate(sp, Options{Runs: runs, Seed: 42})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := NewReport(s, bo, so); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(runs)*float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}

// BenchmarkScenarioRunUKTurnover is the whole of `accord scenario run` on
// the bundled history, 100,000 runs: parse, check, fold both branches,
// prepare, simulate, compare.
func BenchmarkScenarioRunUKTurnover(b *testing.B) {
	src, _ := examples.File("uk-turnover")
	log := bundled(b)
	b.ReportAllocs()
	for b.Loop() {
		s, err := Parse("uk-turnover.yaml", src, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Run(log, RunOptions{Runs: 100_000}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100_000*float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}

// syntheticLog returns n events: talks rounds of 1,000 agreements.
func syntheticLog(n int) []events.Event {
	evs := make([]events.Event, n)
	day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range evs {
		a := fmt.Sprintf("aaa-bbb-k%d", i%1000)
		evs[i] = events.Event{
			ID: fmt.Sprintf("ev-%d", i), Stream: events.AgreementStream(a), Type: events.TypeTalksRoundHeld, Position: int64(i + 1),
			Data:       &events.TalksRoundHeld{AgreementRef: events.AgreementRef{Agreement: a}, Round: i},
			OccurredAt: events.DayOf(day.AddDate(0, 0, i/1000)), Confidence: events.Reported,
		}
	}
	return evs
}

// BenchmarkBranchCreate creates a branch with five edits over a base of
// 1,000 and of 1,000,000 events: time and memory do not depend on the
// base's size.
func BenchmarkBranchCreate(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		log := syntheticLog(n)
		edits := benchEdits()
		b.Run(fmt.Sprintf("base=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				br, err := NewBranch(Base{Events: log, Position: int64(n / 2), KnownAt: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)}, edits...)
				if err != nil || br == nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchEdits() []Edit {
	added := events.Event{
		ID: "hyp-1", Stream: events.CountryStream("GBR"), Type: events.TypeLeadershipChanged,
		Data:       &events.LeadershipChanged{Country: "GBR", Office: "prime_minister", To: "X"},
		OccurredAt: events.MustDate("2022-12-15"), Confidence: events.Rumoured,
	}
	return []Edit{
		{Op: OpAdd, Event: added},
		{Op: OpRemove, Match: Filter{ID: "ev-10"}},
		{Op: OpRemove, Match: Filter{Type: events.TypeAgreementSigned, Agreement: "aaa-bbb-k1"}},
		{Op: OpShift, Match: Filter{ID: "ev-20"}, ShiftDays: 30},
		{Op: OpRetract, Match: Filter{ID: "ev-30"}},
	}
}
