package backtest

import (
	"math"
	"slices"
)

// Horizons returns the "reached within" questions that the Brier and log
// scores ask, in days after known_at: 90, 180 and 365.
func Horizons() []int { return []int{90, 180, 365} }

// The probability clip of the log score: a forecast of 0 or 1 that turns
// out wrong would otherwise score infinity, and one such case would decide
// every mean.
const (
	ClipLow  = 0.01
	ClipHigh = 0.99
)

// CRPS returns the continuous ranked probability score of the empirical
// distribution of samples at the observation y, in the samples' unit
// (days here):
//
//	CRPS(F, y) = ∫ (F(x) − 1{x ≥ y})² dx = E|X − y| − ½·E|X − X′|,
//
// where F is the step CDF of the samples and X, X′ are independent draws
// from it (pairs of the same sample included, so a single sample x scores
// |x − y|, the absolute error of a point forecast). With the samples
// sorted, Σᵢ Σⱼ |xᵢ − xⱼ| = 2 Σᵢ (2i − n − 1)·x₍ᵢ₎ (1-based ranks), so the
// cost is one sort, O(n log n). sorted reports whether samples is already
// in ascending order; CRPS never modifies it. Lower is better; 0 is a
// forecast that put all its weight on the day that happened. NaN for no
// samples.
func CRPS(samples []float64, sorted bool, y float64) float64 {
	n := len(samples)
	if n == 0 {
		return math.NaN()
	}
	xs := samples
	if !sorted {
		xs = slices.Clone(samples)
		slices.Sort(xs)
	}
	var absErr, spread float64
	for i, x := range xs {
		absErr += math.Abs(x - y)
		spread += float64(2*(i+1)-n-1) * x
	}
	fn := float64(n)
	return absErr/fn - spread/(fn*fn)
}

// Brier returns the Brier score of a probability p for an event that
// happened (o true) or not: (p − o)². 0 is perfect, 1 the worst; a
// forecast of ½ scores ¼ whatever happens.
func Brier(p float64, o bool) float64 {
	d := p - b2f(o)
	return d * d
}

// LogScore returns the logarithmic loss of a probability p for an event
// that happened (o true) or not: −ln p when it happened, −ln(1 − p) when it
// did not, with p clipped to [ClipLow, ClipHigh] first. It is a loss, lower
// is better like the CRPS and the Brier score: 0.01 (the clip) for a
// confident right answer, ln 2 ≈ 0.693 for ½, ln 100 ≈ 4.605 (the worst,
// thanks to the clip) for a confident wrong one.
func LogScore(p float64, o bool) float64 {
	p = math.Min(ClipHigh, math.Max(ClipLow, p))
	if o {
		return -math.Log(p)
	}
	return -math.Log1p(-p)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
