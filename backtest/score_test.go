package backtest

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestCRPS checks the empirical CRPS against values computed by hand from
// its definition, ∫ (F(x) − 1{x ≥ y})² dx with F the samples' step CDF.
func TestCRPS(t *testing.T) {
	for _, tc := range []struct {
		name    string
		samples []float64
		y       float64
		want    float64
	}{
		// A point forecast scores its absolute error.
		{"point, exact", []float64{10}, 10, 0},
		{"point, late outcome", []float64{10}, 25, 15},
		{"point, early outcome", []float64{10}, -5, 15},
		// {1,2,3}, y=2: F is 1/3 on [1,2) and 2/3 on [2,3):
		// (1/3)²·1 + (1−2/3)²·1 = 2/9.
		{"three, middle", []float64{1, 2, 3}, 2, 2.0 / 9},
		// y=0 below all, so the indicator is 1 from 0 on: [0,1) where
		// F=0 gives 1, [1,2) gives (1−1/3)² = 4/9, [2,3) (1−2/3)² = 1/9,
		// and nothing from 3 on. Total 14/9.
		{"three, below", []float64{1, 2, 3}, 0, 14.0 / 9},
		// y=5 above all: ∫₁² (1/3)² + ∫₂³ (2/3)² + ∫₃⁵ 1² = 5/9 + 2.
		{"three, above", []float64{1, 2, 3}, 5, 5.0/9 + 2},
		// Two equal samples are a point forecast.
		{"ties", []float64{4, 4}, 1, 3},
		// {0,10}, y=5: F=½ on [0,10): ∫₀⁵ ¼ + ∫₅¹⁰ ¼ = 2.5.
		{"two, between", []float64{0, 10}, 5, 2.5},
		// Unsorted input gives the same value.
		{"unsorted", []float64{3, 1, 2}, 2, 2.0 / 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.samples)
			got := CRPS(in, slices.IsSorted(in), tc.y)
			if !near(got, tc.want) {
				t.Errorf("CRPS(%v, %g) = %.12g, want %.12g", tc.samples, tc.y, got, tc.want)
			}
			if !slices.Equal(in, tc.samples) {
				t.Errorf("CRPS modified its input: %v", in)
			}
		})
	}
	if v := CRPS(nil, true, 1); !math.IsNaN(v) {
		t.Errorf("CRPS of no samples = %g, want NaN", v)
	}
}

// TestCRPSMatchesIntegral compares the O(n log n) form with a direct
// numerical integration of the definition on random integer samples.
func TestCRPSMatchesIntegral(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		n := 1 + r.IntN(40)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(r.IntN(60))
		}
		y := float64(r.IntN(80) - 10)
		slices.Sort(xs)
		// F and the indicator are constant between consecutive integers
		// (all points are integers), so a sum over unit intervals is exact.
		var integral float64
		for x := -20.0; x < 100; x++ {
			k, _ := slices.BinarySearch(xs, x+0.5)
			f := float64(k) / float64(n)
			d := f - b2f(x+0.5 >= y)
			integral += d * d
		}
		if got := CRPS(xs, true, y); !near(got, integral) {
			t.Fatalf("samples %v, y %g: CRPS %.12g, integral %.12g", xs, y, got, integral)
		}
	}
}

// TestUniformCRPS: the grid of days 1..H scores close to the closed form
// of the continuous uniform on [0, H]: (y³ + (H−y)³)/(3H²).
func TestUniformCRPS(t *testing.T) {
	const h = 1000
	xs := make([]float64, h)
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	for _, y := range []float64{30, 180, 500, 999} {
		want := (y*y*y + (h-y)*(h-y)*(h-y)) / (3 * h * h)
		if got := CRPS(xs, true, y); math.Abs(got-want) > 1 {
			t.Errorf("y=%g: grid %.3f, closed form %.3f", y, got, want)
		}
	}
}

func TestBrierAndLogScore(t *testing.T) {
	for _, tc := range []struct {
		p          float64
		o          bool
		brier, log float64
	}{
		{1, true, 0, -math.Log(0.99)},
		{0, false, 0, -math.Log(0.99)},
		{1, false, 1, -math.Log(0.01)}, // clipped: ln 100, not infinity
		{0, true, 1, -math.Log(0.01)},
		{0.5, true, 0.25, math.Ln2},
		{0.5, false, 0.25, math.Ln2},
		{0.8, true, 0.04, -math.Log(0.8)},
		{0.8, false, 0.64, -math.Log(0.2)},
		{0.995, true, 0.005 * 0.005, -math.Log(0.99)},
		{0.005, true, 0.990025, -math.Log(0.01)},
	} {
		if got := Brier(tc.p, tc.o); !near(got, tc.brier) {
			t.Errorf("Brier(%g, %v) = %g, want %g", tc.p, tc.o, got, tc.brier)
		}
		if got := LogScore(tc.p, tc.o); !near(got, tc.log) {
			t.Errorf("LogScore(%g, %v) = %g, want %g", tc.p, tc.o, got, tc.log)
		}
	}
}

func TestCalibrate(t *testing.T) {
	bins := calibrate([]pair{{0, false}, {0.05, true}, {0.1, true}, {0.95, true}, {1, true}, {1, false}, {0.3, false}})
	want := map[int][3]float64{ // bin: n, mean predicted, observed
		0: {2, 0.025, 0.5},
		1: {1, 0.1, 1},
		3: {1, 0.3, 0},
		9: {3, (0.95 + 2) / 3, 2.0 / 3},
	}
	for i, b := range bins {
		w, ok := want[i]
		if !ok {
			if b.N != 0 || b.MeanPredicted != nil || b.Observed != nil {
				t.Errorf("bin %d: %+v, want empty", i, b)
			}
			continue
		}
		if b.N != int(w[0]) || !near(*b.MeanPredicted, w[1]) || !near(*b.Observed, w[2]) {
			t.Errorf("bin %d: n %d mean %g observed %g, want %v", i, b.N, *b.MeanPredicted, *b.Observed, w)
		}
	}
}
