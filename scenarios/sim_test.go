package scenarios

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/examples"
	"github.com/accord-dev/accord/projections"
)

func forecastJSON(t *testing.T, log []events.Event, req ForecastRequest) []byte {
	t.Helper()
	f, err := RunForecast(log, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeterminismAcrossWorkers: the same seed gives the same bytes with
// any number of workers, and another seed gives other bytes.
func TestDeterminismAcrossWorkers(t *testing.T) {
	req := ForecastRequest{Agreement: "gbr-jpn-raa", Stage: projections.StageInForce, KnownAt: events.MustDate("2022-11-30"),
		Options: Options{Runs: 20_000, Seed: 1}}
	req.Model = &Model{Rules: DefaultRules(), Hazards: []Hazard{{Country: "GBR", FromHistory: true}, {Country: "JPN", PerYear: 0.5}}}
	var first []byte
	for _, w := range []int{1, 2, 3, 8} {
		req.Workers = w
		b := forecastJSON(t, bundled(t), req)
		if first == nil {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatalf("workers %d: different output", w)
		}
	}
	req.Seed = 2
	if bytes.Equal(forecastJSON(t, bundled(t), req), first) {
		t.Error("seed 2 gives the same output as seed 1")
	}
	// The whole scenario report too.
	src, _ := examples.File("uk-turnover")
	var reports [][]byte
	for _, w := range []int{1, 8} {
		s, err := Parse("uk-turnover.yaml", src, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.Run(bundled(t), RunOptions{Workers: w, Runs: 3000})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(r)
		reports = append(reports, b)
	}
	if !bytes.Equal(reports[0], reports[1]) {
		t.Error("scenario reports differ between 1 and 8 workers")
	}
}

// TestCommonRandomNumbers: with the same seed, a scenario whose edits only
// add delays is never earlier than its baseline in any run, and a
// scenario without edits is identical to its baseline.
func TestCommonRandomNumbers(t *testing.T) {
	_, bp, sp := ukPlans(t)
	opts := Options{Runs: 5000, Seed: 42}
	bo, err := Simulate(bp, opts)
	if err != nil {
		t.Fatal(err)
	}
	so, err := Simulate(sp, opts)
	if err != nil {
		t.Fatal(err)
	}
	later := 0
	for ti := range bo.days {
		for r := range bo.days[ti] {
			if so.days[ti][r] < bo.days[ti][r] {
				t.Fatalf("target %d run %d: scenario %d before baseline %d", ti, r, so.days[ti][r], bo.days[ti][r])
			}
			if so.days[ti][r] > bo.days[ti][r] {
				later++
			}
		}
	}
	if later == 0 {
		t.Error("the scenario is never later")
	}
	// No edits, no scoped parts: identical runs, zero deltas.
	b, _ := NewBranch(Base{Events: bundled(t), KnownAt: endOfDay(time.Date(2022, 11, 30, 0, 0, 0, 0, time.UTC))})
	w := World{Branch: b, Now: time.Date(2022, 11, 30, 0, 0, 0, 0, time.UTC), Horizon: time.Date(2027, 12, 31, 0, 0, 0, 0, time.UTC), Model: DefaultModel()}
	targets := []Target{{"gbr-jpn-raa", projections.StageSigned}}
	p1, err := Prepare(w, targets)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := Prepare(w, targets)
	o1, _ := Simulate(p1, opts)
	o2, _ := Simulate(p2, opts)
	d, err := Compare(o1, o2)
	if err != nil {
		t.Fatal(err)
	}
	for q, v := range d.Forecasts[0].Quantiles {
		if v == nil || *v != 0 {
			t.Errorf("quantile %s shifts by %v", q, v)
		}
	}
	if len(d.Forecasts[0].Causes) != 0 || !strings.Contains(d.Explanation, "No edit") {
		t.Errorf("causes %v: %s", d.Forecasts[0].Causes, d.Explanation)
	}
}

func TestForecastContract(t *testing.T) {
	f, err := RunForecast(bundled(t), ForecastRequest{Agreement: "gbr-jpn-raa", Stage: projections.StageSigned,
		KnownAt: events.MustDate("2022-11-30"), Options: Options{Runs: 4000, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Reached || !f.ReachedOn.IsZero() || f.CurrentStage != projections.StageAgreedInPrinciple || f.CurrentSince.String() != "2022-05-05" {
		t.Errorf("state: %+v", f)
	}
	if len(f.Quantiles) != 19 {
		t.Errorf("%d quantiles", len(f.Quantiles))
	}
	if q5, q95 := f.Quantiles["0.05"], f.Quantiles["0.95"]; q5.IsZero() || q95.IsZero() || !q5.Day.Before(q95.Day.AddDate(0, 0, -60)) {
		t.Errorf("runs do not spread: 0.05 %s, 0.95 %s", q5, q95)
	}
	var prev events.Date
	for _, q := range QuantileLevels() {
		v, ok := f.Quantiles[q]
		if !ok {
			t.Fatalf("no quantile %s", q)
		}
		if v.IsZero() {
			continue
		}
		if v.Day.Before(prev.Day) || !v.Day.After(time.Date(2022, 11, 30, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("quantile %s = %s", q, v)
		}
		prev = v
	}
	keys := make([]string, 0, len(f.PBy))
	for k := range f.PBy {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if keys[0] != "2022-11-30" || keys[len(keys)-1] != "2027-11-30" || len(keys) != 61 {
		t.Errorf("p_by keys %s … %s (%d)", keys[0], keys[len(keys)-1], len(keys))
	}
	last := -1.0
	for _, k := range keys {
		d := events.MustDate(k)
		if d.Day.AddDate(0, 0, 1).Day() != 1 {
			t.Errorf("%s is not a month end", k)
		}
		if f.PBy[k] < last {
			t.Errorf("p_by decreases at %s", k)
		}
		last = f.PBy[k]
	}
	// The median's month-end probability brackets one half.
	med := f.Median()
	if p := f.ProbBy(med); p < 0.5 || f.ProbBy(events.DayOf(med.Day.AddDate(0, 0, -1))) >= 0.5 {
		t.Errorf("P(by median %s) = %v", med, p)
	}
	if f.Mean.IsZero() || f.PWithinHorizon <= 0.9 {
		t.Errorf("mean %s within %v", f.Mean, f.PWithinHorizon)
	}
	b, _ := json.Marshal(f)
	for _, key := range []string{`"agreement":`, `"stage":`, `"known_at":`, `"runs":`, `"seed":`, `"reached":`, `"reached_on":`, `"p_by":`, `"quantiles":`, `"mean":`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestForecastReached(t *testing.T) {
	f, err := RunForecast(bundled(t), ForecastRequest{Agreement: "gbr-jpn-raa", Stage: projections.StageSigned,
		KnownAt: events.MustDate("2023-02-01"), Options: Options{Runs: 100, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Reached || f.ReachedOn.String() != "2023-01-11" {
		t.Fatalf("reached %v on %s", f.Reached, f.ReachedOn)
	}
	for q, v := range f.Quantiles {
		if v.String() != "2023-01-11" {
			t.Errorf("quantile %s = %s", q, v)
		}
	}
	for k, p := range f.PBy {
		if p != 1 {
			t.Errorf("p_by %s = %v", k, p)
		}
	}
}

// TestForecastIgnoresLaterReports: events reported after the cut do not
// change a forecast.
func TestForecastIgnoresLaterReports(t *testing.T) {
	log := bundled(t)
	req := ForecastRequest{Agreement: "gbr-jpn-raa", Stage: projections.StageInForce, KnownAt: events.MustDate("2022-11-30"), Options: Options{Runs: 2000, Seed: 5}}
	a := forecastJSON(t, log, req)
	extra := append(slices.Clone(log), ev("late", events.TypeAgreementSigned, "2022-11-15", &events.AgreementSigned{AgreementRef: events.AgreementRef{Agreement: "gbr-jpn-raa"}}))
	extra[len(extra)-1].ReportedAt = events.MustDate("2022-12-01")
	if b := forecastJSON(t, extra, req); !bytes.Equal(a, b) {
		t.Error("a later report changed the forecast")
	}
}

func TestScheduledLifecycleEvents(t *testing.T) {
	log := bundled(t)
	now := time.Date(2022, 11, 30, 0, 0, 0, 0, time.UTC)
	base := Base{Events: log, KnownAt: endOfDay(now)}
	signed := ev("hyp-signed", events.TypeAgreementSigned, "2023-03-01", &events.AgreementSigned{AgreementRef: events.AgreementRef{Agreement: "gbr-jpn-raa"}})
	abandoned := ev("hyp-abandoned", events.TypeAbandoned, "2023-02-01", &events.Abandoned{AgreementRef: events.AgreementRef{Agreement: "gbr-jpn-raa"}})
	targets := []Target{{"gbr-jpn-raa", projections.StageSigned}, {"gbr-jpn-raa", projections.StageInForce}}
	run := func(e events.Event) []Forecast {
		b := mustBranch(t, base, Edit{Op: OpAdd, Event: e})
		p, err := Prepare(World{Branch: b, Now: now, Horizon: DefaultHorizon(now), Model: DefaultModel()}, targets)
		if err != nil {
			t.Fatal(err)
		}
		o, err := Simulate(p, Options{Runs: 500, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		return o.Forecasts()
	}
	fs := run(signed)
	for q, v := range fs[0].Quantiles {
		if v.String() != "2023-03-01" {
			t.Errorf("pinned signature: quantile %s = %s", q, v)
		}
	}
	if m := fs[1].Quantiles["0.05"]; m.IsZero() || !m.Day.After(time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("entry into force before the pinned signature: %s", m)
	}
	fs = run(abandoned)
	if p := fs[0].PWithinHorizon; p <= 0 || p >= 0.5 || fs[1].PWithinHorizon > p {
		t.Errorf("abandoned on 2023-02-01: signed within horizon %v, in force %v", p, fs[1].PWithinHorizon)
	}
	if late := fs[0].ProbBy(events.MustDate("2023-02-01")); late != fs[0].PWithinHorizon {
		t.Errorf("signed after the abandonment: %v by 2023-02-01, %v within the horizon", late, fs[0].PWithinHorizon)
	}
}

func TestHazardRates(t *testing.T) {
	_, _, sp := ukPlans(t)
	if len(sp.hazards) != 1 {
		t.Fatalf("%d hazards", len(sp.hazards))
	}
	h := sp.hazards[0]
	// GBR at 2022-11-30: changes on 2019-07-24, 2022-09-06, 2022-10-25: two
	// after the first, over 2019-07-24 to 2022-11-30.
	want := 2 / (float64(dayNum(time.Date(2022, 11, 30, 0, 0, 0, 0, time.UTC))-dayNum(time.Date(2019, 7, 24, 0, 0, 0, 0, time.UTC))) / 365.25)
	if math.Abs(h.perYear-want) > 1e-9 {
		t.Errorf("rate %v, want %v", h.perYear, want)
	}
	o, err := Simulate(sp, Options{Runs: 20000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	years := float64(sp.horizon-sp.now) / 365.25
	mean := float64(o.st.hazardEvents[0]) / 20000
	if math.Abs(mean-want*years) > 0.05 {
		t.Errorf("mean events %v, want %v", mean, want*years)
	}
}

// TestUKTurnoverAcceptance: the scenario's median signature is later than
// the baseline's and the delta names the cause.
func TestUKTurnoverAcceptance(t *testing.T) {
	src, _ := examples.File("uk-turnover")
	s, err := Parse("uk-turnover.yaml", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Run(bundled(t), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, sc := r.Baseline.Forecasts[0], r.Scenario.Forecasts[0]
	if b.Stage != projections.StageSigned || !sc.Median().Day.After(b.Median().Day) {
		t.Fatalf("median signature: scenario %s, baseline %s", sc.Median(), b.Median())
	}
	d := r.Delta.Forecasts[0]
	if d.MedianShiftDays == nil || *d.MedianShiftDays <= 0 {
		t.Errorf("median shift %v", d.MedianShiftDays)
	}
	for _, want := range []string{"rule uk_leadership_delay fired in", "leadership_changed GBR 2022-12-15 while agreed_in_principle", "edit 1"} {
		if !strings.Contains(d.Explanation, want) || !strings.Contains(r.Delta.Explanation, want) {
			t.Errorf("explanation lacks %q: %s", want, d.Explanation)
		}
	}
	if r.Scenario.States[0].Stage != projections.StageAgreedInPrinciple {
		t.Errorf("state %+v", r.Scenario.States[0])
	}
}

func TestChartIsXML(t *testing.T) {
	src, _ := examples.File("uk-turnover")
	s, _ := Parse("uk-turnover.yaml", src, nil)
	r, err := s.Run(bundled(t), RunOptions{Runs: 2000})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.Chart(&buf); err != nil {
		t.Fatal(err)
	}
	if err := checkSVG(buf.Bytes(), 4); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"gbr-jpn-raa signed (baseline)", "gbr-jpn-raa in_force (scenario)", "probability reached by date", "stroke-dasharray"} {
		if !bytes.Contains(buf.Bytes(), []byte(want)) {
			t.Errorf("chart lacks %q", want)
		}
	}
	f := r.Baseline.Forecasts[0]
	buf.Reset()
	if err := ForecastChart(&buf, &f); err != nil {
		t.Fatal(err)
	}
	if err := checkSVG(buf.Bytes(), 1); err != nil {
		t.Fatal(err)
	}
}

// TestExamplesRun: every example runs, and each one's delta goes the way
// its question implies, for the reasons it names.
func TestExamplesRun(t *testing.T) {
	want := map[string][]string{
		"uk-turnover":  {"uk_leadership_delay", "edit 1"},
		"philippines":  {"new_cabinet_delay", "leadership_changed JPN 2024-10-01 while signed", "senate_election_delay"},
		"no-gcap":      {"is proposed since 2022-05-05 in the scenario, negotiating since 2022-12-09 in the baseline", "no GCAP announcement"},
		"no-signature": {"agreed_in_principle since 2022-05-05 in the scenario, signed since 2023-01-11 in the baseline"},
	}
	for _, name := range examples.Names() {
		t.Run(name, func(t *testing.T) {
			src, _ := examples.File(name)
			s, err := Parse(name+".yaml", src, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.Run(bundled(t), RunOptions{Runs: 2000})
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range r.Delta.Forecasts {
				if d.MedianShiftDays == nil || *d.MedianShiftDays <= 0 {
					t.Errorf("%s %s: median shift %v (baseline %s, scenario %s)", d.Agreement, d.Stage, d.MedianShiftDays, d.MedianBaseline, d.MedianScenario)
				}
				if r.Baseline.Forecasts[i].Agreement != d.Agreement {
					t.Errorf("forecast %d out of order", i)
				}
			}
			for _, w := range want[name] {
				if !strings.Contains(r.Delta.Explanation, w) {
					t.Errorf("explanation lacks %q:\n%s", w, r.Delta.Explanation)
				}
			}
		})
	}
}
