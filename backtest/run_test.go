package backtest

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
)

// near4 compares a reported value (rounded to four decimals) with an
// exact one.
func near4(got, want float64) bool { return math.Abs(got-want) <= 0.5e-4+1e-12 }

func f64(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// TestSyntheticLog checks outcomes, censoring and the baselines on a log
// that is not the bundled history, against values computed by hand (see
// testdata/synthetic.jsonl).
func TestSyntheticLog(t *testing.T) {
	r, err := Run(synthetic(t), syntheticCases(t), Options{Runs: 500, Seed: 3, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.EndOfLog.String() != "2014-06-01" {
		t.Errorf("end of log %s, want 2014-06-01 (the last event)", r.EndOfLog)
	}
	byID := map[string]CaseResult{}
	for _, c := range r.Cases {
		byID[c.Agreement] = c
	}

	// dnk-swe-pact signed, known 2012-03-01: signed 92 days later. The
	// naive class is nor-swe (180 days) and fin-nor (212): median 196
	// from 2012-01-15, 150 days after known_at. The expectation reported
	// on 2012-04-02 is not known yet.
	c := byID["dnk-swe-pact"]
	if c.Censored || c.Outcome.String() != "2012-06-01" || *c.OutcomeDays != 92 || c.From != "negotiating" {
		t.Errorf("dnk-swe-pact: %+v", c)
	}
	nv := c.Naive
	if f64(nv.CRPSDays) != 58 || f64(nv.Brier) != 0 || !near4(f64(nv.LogScore), -math.Log(0.99)) ||
		nv.Forecast.Reference != 2 || *nv.Forecast.MedianDurationDays != 196 || *nv.Forecast.MedianDays != 150 {
		t.Errorf("dnk-swe-pact naive: %+v %+v", nv, nv.Forecast)
	}
	if p := c.Accord.Forecast.PWithin; len(p) != 3 || p["90"] > p["180"] || p["180"] > p["365"] {
		t.Errorf("dnk-swe-pact accord p_within %v", p)
	}

	// est-fin-pact: never signed; censored 151 days after known_at, so
	// only "within 90 days" is known (no), and no CRPS.
	c = byID["est-fin-pact"]
	if !c.Censored || !c.Outcome.IsZero() || c.OutcomeDays != nil || c.ObservedDays != 151 {
		t.Errorf("est-fin-pact: %+v", c)
	}
	for _, m := range Models() {
		mr := c.Model(m)
		p90 := mr.Forecast.PWithin["90"]
		if mr.CRPSDays != nil || !near4(f64(mr.Brier), p90*p90) || !near4(f64(mr.LogScore), LogScore(p90, false)) {
			t.Errorf("est-fin-pact %s: crps %v brier %v log %v, p90 %g", m, mr.CRPSDays, f64(mr.Brier), f64(mr.LogScore), p90)
		}
	}
	// The naive median (180 days, from nor-swe, fin-nor and dnk-swe) had
	// passed 126 days before known_at: overdue.
	if *c.Naive.Forecast.MedianDays != -126 || c.Naive.Forecast.Reference != 3 {
		t.Errorf("est-fin-pact naive %+v", c.Naive.Forecast)
	}

	// isl-nor-pact: signed 2014-01-10 but reported on 2014-02-01, so at
	// known_at 2014-01-05 the signature is unknown to the forecasts, and
	// it is the outcome (5 days later).
	c = byID["isl-nor-pact"]
	if c.Censored || *c.OutcomeDays != 5 || c.From != "negotiating" || *c.Naive.Forecast.MedianDays != -38 || f64(c.Naive.CRPSDays) != 43 {
		t.Errorf("isl-nor-pact: %+v naive %+v", c, c.Naive.Forecast)
	}

	// nor-swe-pact in force: no agreement had gone from signed to in
	// force by 2010-12-01, so the naive has no forecast.
	c = byID["nor-swe-pact"]
	if c.Naive.Forecast != nil || c.Naive.CRPSDays != nil || !strings.Contains(c.Naive.Note, "signed -> in_force") {
		t.Errorf("nor-swe-pact naive: %+v", c.Naive)
	}

	// Summary: n per model and score.
	if s := r.Summary.Naive; s.N != 3 || s.NCRPS != 2 || s.NBrier != 3 || !near(f64(s.CRPSDaysMean), (58+43)/2.0) {
		t.Errorf("naive summary %+v", s)
	}
	if s := r.Summary.Accord; s.N != 4 || s.NCRPS != 3 || s.NBrier != 4 || s.NLogScore != 4 {
		t.Errorf("accord summary %+v", s)
	}
	// The clamped variant: isl-nor's -38 becomes 1 (error 4).
	if s := r.Variants[VariantNaiveClamped]; !near(f64(s.CRPSDaysMean), (58+4)/2.0) {
		t.Errorf("naive_clamped %+v", s)
	}
	if r.Paired.NCRPS != 2 || r.Paired.NBrier != 3 {
		t.Errorf("paired %+v", r.Paired)
	}
	// Calibration pools 3+1+3+3 questions per model.
	for _, m := range Models() {
		n := 0
		for _, b := range r.Calibration.Model(m) {
			n += b.N
		}
		want := 10
		if m == ModelNaive {
			want = 7
		}
		if n != want {
			t.Errorf("%s calibration has %d forecasts, want %d", m, n, want)
		}
	}
}

// TestRunIsDeterministic: the same report, byte for byte, whatever the
// number of workers, and the progress reaches the total.
func TestRunIsDeterministic(t *testing.T) {
	log := bundled(t)
	cs, err := DeriveCases(log, nil, []int{90})
	if err != nil {
		t.Fatal(err)
	}
	var outs []string
	for _, w := range []int{1, 7} {
		last := 0
		r, err := Run(log, cs, Options{Runs: 300, Seed: 9, Workers: w, Progress: func(done, total int) {
			if done != last+1 || total != len(cs) {
				t.Errorf("progress %d/%d after %d", done, total, last)
			}
			last = done
		}})
		if err != nil {
			t.Fatal(err)
		}
		if last != len(cs) {
			t.Errorf("progress ended at %d of %d", last, len(cs))
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(b))
	}
	if outs[0] != outs[1] {
		t.Error("the report differs between 1 and 7 workers")
	}
}

func TestRunRejectsBadCases(t *testing.T) {
	log := synthetic(t)
	cases := []Case{
		{Agreement: "nor-swe-pact", Stage: "signed", KnownAt: events.MustDate("2010-08-01"), Line: 2},     // already signed
		{Agreement: "xyz-abc-pact", Stage: "signed", KnownAt: events.MustDate("2012-01-01"), Line: 3},     // unknown
		{Agreement: "est-fin-pact", Stage: "signed", KnownAt: events.MustDate("2013-01-01"), Line: 4},     // not known yet
		{Agreement: "dnk-swe-pact", Stage: "signed", KnownAt: events.MustDate("2012-03-01"), Line: 5},     // fine
		{Agreement: "dnk-swe-pact", Stage: "agreed_in_principle", KnownAt: events.MustDate("2012-03-01")}, // fine
	}
	_, err := Run(log, cases, Options{Runs: 10})
	if !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("error %v, want ErrInvalid", err)
	}
	for _, w := range []string{"3 bad case(s)", "line 2: signed had already been reached on 2010-07-09", "line 3: unknown agreement \"xyz-abc-pact\"", "line 4: agreement \"est-fin-pact\" has no events known at 2013-01-01"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	// Only unknown agreements: not found.
	_, err = Run(log, cases[1:2], Options{Runs: 10})
	if !errors.Is(err, events.ErrNotFound) {
		t.Errorf("unknown agreement only: %v, want ErrNotFound", err)
	}
	if _, err := Run(log, nil, Options{}); !errors.Is(err, events.ErrInvalid) {
		t.Errorf("no cases: %v", err)
	}
}

// TestEndCensors: with an earlier end of the log, an outcome after it is
// censored, and an outcome reported after it is not known.
func TestEndCensors(t *testing.T) {
	cs := syntheticCases(t)[:1] // dnk-swe-pact signed on 2012-06-01
	r, err := Run(synthetic(t), cs, Options{Runs: 100, End: time.Date(2012, 5, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	c := r.Cases[0]
	if !c.Censored || c.ObservedDays != 61 || c.Accord.CRPSDays != nil {
		t.Errorf("%+v", c)
	}
	// Not reached 61 days after known_at: no horizon of 90 days or more is
	// known yet, so no Brier score at all.
	if c.Accord.Brier != nil || r.Summary.Accord.N != 0 {
		t.Errorf("brier %v, n %d", c.Accord.Brier, r.Summary.Accord.N)
	}
}
