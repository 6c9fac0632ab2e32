package scenarios

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Dist is the distribution of a duration in days (never negative).
// Distributions are sampled by inverse transform, so a Dist needs only its
// quantile function; this also keeps common random numbers monotone (a
// larger uniform draw always gives a longer duration).
type Dist interface {
	// Quantile returns the duration below which a fraction p of the
	// probability lies, for p in [0, 1). It is non-decreasing in p.
	Quantile(p float64) float64
	// String describes the distribution: "triangular(30, 60, 150 days)".
	String() string
}

// DistError is a distribution with impossible parameters. It wraps
// events.ErrInvalid through Unwrap.
type DistError struct {
	// Field names the offending parameter ("max", "sigma").
	Field string
	// Problem says what is wrong.
	Problem string
}

// Error reads "sigma: must be positive".
func (e *DistError) Error() string { return e.Field + ": " + e.Problem }

func distErr(field, format string, args ...any) error {
	return &DistError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

func checkFinite(field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return distErr(field, "must be a finite number")
	}
	if v < 0 {
		return distErr(field, "must not be negative (durations are days)")
	}
	return nil
}

func checkMinModeMax(lo, mode, hi float64) error {
	for _, p := range []struct {
		f string
		v float64
	}{{"min", lo}, {"mode", mode}, {"max", hi}} {
		if err := checkFinite(p.f, p.v); err != nil {
			return err
		}
	}
	if lo > hi {
		return distErr("min", "%g is greater than max %g", lo, hi)
	}
	if mode < lo || mode > hi {
		return distErr("mode", "%g is not between min %g and max %g", mode, lo, hi)
	}
	return nil
}

type triangular struct {
	d            distuv.Triangle
	lo, mode, hi float64
}

// Triangular returns the triangular distribution on [min, max] with its
// peak at mode (days). min ≤ mode ≤ max, all non-negative; min = max gives
// a fixed duration.
func Triangular(min, mode, max float64) (Dist, error) {
	if err := checkMinModeMax(min, mode, max); err != nil {
		return nil, err
	}
	if min == max {
		return fixed(min), nil
	}
	return &triangular{d: distuv.NewTriangle(min, max, mode, nil), lo: min, mode: mode, hi: max}, nil
}

func (t *triangular) Quantile(p float64) float64 { return t.d.Quantile(p) }
func (t *triangular) String() string {
	return fmt.Sprintf("triangular(%g, %g, %g days)", t.lo, t.mode, t.hi)
}

type pert struct {
	b            distuv.Beta
	lo, mode, hi float64
}

// PERT returns the PERT distribution on [min, max] with mode: a Beta
// distribution scaled to the interval with shape parameters
// 1 + 4(mode−min)/(max−min) and 1 + 4(max−mode)/(max−min), whose mean is
// (min + 4·mode + max)/6.
func PERT(min, mode, max float64) (Dist, error) {
	if err := checkMinModeMax(min, mode, max); err != nil {
		return nil, err
	}
	if min == max {
		return fixed(min), nil
	}
	r := max - min
	return &pert{b: distuv.Beta{Alpha: 1 + 4*(mode-min)/r, Beta: 1 + 4*(max-mode)/r}, lo: min, mode: mode, hi: max}, nil
}

func (d *pert) Quantile(p float64) float64 { return d.lo + (d.hi-d.lo)*d.b.Quantile(p) }
func (d *pert) String() string             { return fmt.Sprintf("PERT(%g, %g, %g days)", d.lo, d.mode, d.hi) }

type lognormal struct {
	d             distuv.LogNormal
	median, sigma float64
}

// LogNormal returns the lognormal distribution with the given median
// (days, positive) and sigma (the standard deviation of the log, positive).
func LogNormal(median, sigma float64) (Dist, error) {
	if err := checkFinite("median", median); err != nil {
		return nil, err
	}
	if median == 0 {
		return nil, distErr("median", "must be positive")
	}
	if math.IsNaN(sigma) || math.IsInf(sigma, 0) || sigma <= 0 {
		return nil, distErr("sigma", "must be a positive number, got %g", sigma)
	}
	return &lognormal{d: distuv.LogNormal{Mu: math.Log(median), Sigma: sigma}, median: median, sigma: sigma}, nil
}

func (d *lognormal) Quantile(p float64) float64 { return d.d.Quantile(p) }
func (d *lognormal) String() string {
	return fmt.Sprintf("lognormal(median %g days, sigma %g)", d.median, d.sigma)
}

type uniform struct{ lo, hi float64 }

// Uniform returns the uniform distribution on [min, max] (days).
func Uniform(min, max float64) (Dist, error) {
	if err := checkMinModeMax(min, min, max); err != nil {
		return nil, err
	}
	return &uniform{lo: min, hi: max}, nil
}

func (d *uniform) Quantile(p float64) float64 {
	return distuv.Uniform{Min: d.lo, Max: d.hi}.Quantile(p)
}
func (d *uniform) String() string { return fmt.Sprintf("uniform(%g, %g days)", d.lo, d.hi) }

type exponential struct{ mean float64 }

// Exponential returns the exponential distribution with the given mean
// (days, positive).
func Exponential(mean float64) (Dist, error) {
	if err := checkFinite("mean", mean); err != nil {
		return nil, err
	}
	if mean == 0 {
		return nil, distErr("mean", "must be positive")
	}
	return &exponential{mean: mean}, nil
}

func (d *exponential) Quantile(p float64) float64 {
	return distuv.Exponential{Rate: 1 / d.mean}.Quantile(p)
}
func (d *exponential) String() string { return fmt.Sprintf("exponential(mean %g days)", d.mean) }

type fixed float64

// Fixed returns the distribution that is always days.
func Fixed(days float64) (Dist, error) {
	if err := checkFinite("days", days); err != nil {
		return nil, err
	}
	return fixed(days), nil
}

func (d fixed) Quantile(float64) float64 { return float64(d) }
func (d fixed) String() string           { return fmt.Sprintf("fixed(%g days)", float64(d)) }

// conditional is the remaining time of d given that e days have passed.
type conditional struct {
	d  Dist
	e  float64
	p0 float64
}

// Given returns the distribution of the remaining time of d once elapsed
// days have passed without the leg ending: X − elapsed given X > elapsed.
// When d has (almost) no probability beyond elapsed, the leg is overdue and
// the remaining time is exponential with a mean of a quarter of d's median
// (at least 7 days). A KaplanMeier has its own Given.
func Given(d Dist, elapsed float64) Dist {
	if k, ok := d.(*KaplanMeier); ok {
		return k.Given(elapsed)
	}
	if elapsed <= 0 {
		return d
	}
	p0 := cdfOf(d, elapsed)
	if p0 > 1-1e-6 {
		return &exponential{mean: math.Max(7, d.Quantile(0.5)/4)}
	}
	return &conditional{d: d, e: elapsed, p0: p0}
}

func (c *conditional) Quantile(p float64) float64 {
	return math.Max(0, c.d.Quantile(c.p0+p*(1-c.p0))-c.e)
}

func (c *conditional) String() string {
	return fmt.Sprintf("%s given %g days elapsed", c.d, c.e)
}

// cdfOf inverts a quantile function by bisection: the largest p with
// Quantile(p) ≤ x.
func cdfOf(d Dist, x float64) float64 {
	lo, hi := 0.0, 1.0
	if d.Quantile(0) > x {
		return 0
	}
	for range 60 {
		mid := (lo + hi) / 2
		if d.Quantile(mid) <= x {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// tableSize is the number of intervals of a sampler's quantile table.
const tableSize = 2048

// sampler draws from a Dist through a table of its quantile function at
// tableSize+1 evenly spaced probabilities, linearly interpolated (the last
// point is the quantile at 1 − 1/(4·tableSize), which truncates unbounded
// tails at that level).
type sampler struct {
	q    [tableSize + 1]float64
	mean float64
}

func newSampler(d Dist) *sampler {
	s := &sampler{}
	for i := 0; i < tableSize; i++ {
		s.q[i] = d.Quantile(float64(i) / tableSize)
	}
	s.q[tableSize] = d.Quantile(1 - 1.0/(4*tableSize))
	for i := range s.q {
		if math.IsNaN(s.q[i]) || s.q[i] < 0 {
			s.q[i] = 0
		}
		if math.IsInf(s.q[i], 1) || s.q[i] > maxDays {
			s.q[i] = maxDays
		}
		if i > 0 && s.q[i] < s.q[i-1] {
			s.q[i] = s.q[i-1]
		}
	}
	sum := 0.0
	for i := 0; i < tableSize; i++ {
		sum += (s.q[i] + s.q[i+1]) / 2
	}
	s.mean = sum / tableSize
	return s
}

// maxDays caps a drawn duration (about 270 years): beyond any horizon, and
// small enough for day arithmetic in int32.
const maxDays = 100_000

// at returns the duration for the uniform draw u in [0, 1).
func (s *sampler) at(u float64) float64 {
	x := u * tableSize
	i := int(x)
	if i >= tableSize {
		return s.q[tableSize]
	}
	f := x - float64(i)
	return s.q[i] + f*(s.q[i+1]-s.q[i])
}
