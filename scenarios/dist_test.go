package scenarios

import (
	"errors"
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestDistributions(t *testing.T) {
	tri, _ := Triangular(30, 60, 150)
	pert, _ := PERT(30, 60, 150)
	logn, _ := LogNormal(200, 0.5)
	uni, _ := Uniform(10, 20)
	exp, _ := Exponential(90)
	fix, _ := Fixed(14)
	cases := []struct {
		name         string
		d            Dist
		median, mean float64
		tol          float64
	}{
		{"triangular", tri, 150 - math.Sqrt(0.5*120*90), (30 + 60 + 150) / 3.0, 0.5},
		{"pert", pert, math.NaN(), (30 + 4*60 + 150) / 6.0, 0.5},
		{"lognormal", logn, 200, 200 * math.Exp(0.125), 1.5},
		{"uniform", uni, 15, 15, 0.01},
		{"exponential", exp, 90 * math.Ln2, 90, 0.5},
		{"fixed", fix, 14, 14, 0},
	}
	for _, tc := range cases {
		if !math.IsNaN(tc.median) && !near(tc.d.Quantile(0.5), tc.median, 0.01) {
			t.Errorf("%s: median %v, want %v", tc.name, tc.d.Quantile(0.5), tc.median)
		}
		s := newSampler(tc.d)
		if !near(s.mean, tc.mean, tc.tol) {
			t.Errorf("%s: sampler mean %v, want %v", tc.name, s.mean, tc.mean)
		}
		prev := -1.0
		for u := 0.0; u < 1; u += 0.01 {
			x := s.at(u)
			if x < prev || x < 0 {
				t.Errorf("%s: not monotone at %v", tc.name, u)
			}
			prev = x
		}
		if tc.d.String() == "" {
			t.Errorf("%s: no description", tc.name)
		}
	}
}

func TestDistributionErrors(t *testing.T) {
	cases := []struct {
		name  string
		f     func() (Dist, error)
		field string
	}{
		{"min above max", func() (Dist, error) { return Triangular(90, 60, 30) }, "min"},
		{"mode outside", func() (Dist, error) { return PERT(10, 50, 40) }, "mode"},
		{"negative", func() (Dist, error) { return Uniform(-1, 5) }, "min"},
		{"negative sigma", func() (Dist, error) { return LogNormal(100, -0.5) }, "sigma"},
		{"zero median", func() (Dist, error) { return LogNormal(0, 0.5) }, "median"},
		{"zero mean", func() (Dist, error) { return Exponential(0) }, "mean"},
		{"infinite", func() (Dist, error) { return Fixed(math.Inf(1)) }, "days"},
	}
	for _, tc := range cases {
		_, err := tc.f()
		var de *DistError
		if !errors.As(err, &de) || de.Field != tc.field {
			t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.field)
		}
	}
}

func TestGiven(t *testing.T) {
	u, _ := Uniform(0, 100)
	g := Given(u, 40)
	if !near(g.Quantile(0), 0, 1e-6) || !near(g.Quantile(0.5), 30, 1e-6) || !near(g.Quantile(0.999), 59.94, 0.01) {
		t.Errorf("uniform given 40: %v %v %v", g.Quantile(0), g.Quantile(0.5), g.Quantile(0.999))
	}
	// Overdue: beyond the support, a short exponential wait.
	over := Given(u, 150)
	if m := newSampler(over).mean; !near(m, 12.5, 0.5) {
		t.Errorf("overdue mean %v, want 12.5 (a quarter of the median)", m)
	}
}

func TestKaplanMeier(t *testing.T) {
	obs := []Observation{{Days: 1}, {Days: 2}, {Days: 2, Censored: true}, {Days: 3}, {Days: 4, Censored: true}}
	k := NewKaplanMeier(obs)
	if k.Events() != 3 || k.Censored() != 2 || !near(k.Rate(), 3.0/12, 1e-12) {
		t.Fatalf("events %d censored %d rate %v", k.Events(), k.Censored(), k.Rate())
	}
	// S(1) = 4/5, S(2) = 0.8·3/4, S(3) = 0.6·1/2; linear in between; an
	// exponential tail beyond the last event time.
	for _, c := range []struct{ t, s float64 }{
		{0, 1}, {0.5, 0.9}, {1, 0.8}, {1.5, 0.7}, {2, 0.6}, {3, 0.3}, {5, 0.3 * math.Exp(-0.5)},
	} {
		if got := k.Survival(c.t); !near(got, c.s, 1e-12) {
			t.Errorf("S(%v) = %v, want %v", c.t, got, c.s)
		}
	}
	for _, p := range []float64{0.1, 0.3, 0.5, 0.69, 0.8, 0.95} {
		if got := 1 - k.Survival(k.Quantile(p)); !near(got, p, 1e-9) {
			t.Errorf("quantile %v: F(Q) = %v", p, got)
		}
	}
	// Given 2 days: S(2+x)/S(2).
	g := k.Given(2)
	if q := g.Quantile(0.5); !near(k.Survival(2+q)/k.Survival(2), 0.5, 1e-9) {
		t.Errorf("conditional median %v", q)
	}
	// A curve that reaches zero: beyond it, the exponential tail alone.
	z := NewKaplanMeier([]Observation{{Days: 10}, {Days: 20}})
	if z.Survival(20) != 0 || z.Survival(25) != 0 {
		t.Errorf("S after the last event: %v", z.Survival(25))
	}
	if m := newSampler(z.Given(30)).mean; !near(m, 15, 0.5) {
		t.Errorf("mean remaining past the curve %v, want 1/rate = 15", m)
	}
	// Censoring matters: dropping the censored observations would shorten
	// the median.
	withC := NewKaplanMeier([]Observation{{Days: 100}, {Days: 200}, {Days: 300, Censored: true}, {Days: 400, Censored: true}})
	without := NewKaplanMeier([]Observation{{Days: 100}, {Days: 200}})
	if withC.Quantile(0.5) <= without.Quantile(0.5) {
		t.Errorf("median with censoring %v, without %v", withC.Quantile(0.5), without.Quantile(0.5))
	}
}
