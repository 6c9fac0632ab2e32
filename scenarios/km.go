package scenarios

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Observation is one agreement's time in a leg of the lifecycle: the days
// from reaching one milestone to reaching the next, or, when Censored, the
// days it had spent in the leg by the cut without finishing it.
type Observation struct {
	// Agreement is the agreement observed.
	Agreement string
	// Days is the leg's duration, or the time in the leg so far when
	// Censored.
	Days     float64
	Censored bool
}

// KaplanMeier is the product-limit estimate of the survival function of
// leg durations from right-censored observations, made continuous for
// sampling:
//
//   - between event times the survival curve is interpolated linearly (from
//     S(0) = 1), which spreads each step's probability uniformly over the
//     interval before it;
//   - beyond the last event time, when survival is still above zero (the
//     longest observations were censored), the curve continues as
//     S_last·exp(−λ(t − t_last)), where λ is the constant-hazard estimate
//     events / total days at risk;
//   - when the curve reaches zero at its last event time and an agreement
//     has been in the leg longer than that, the remaining time is
//     exponential with rate λ (Given).
//
// A KaplanMeier is a Dist of the whole leg duration. It is immutable.
type KaplanMeier struct {
	t, s     []float64 // knots of the interpolated curve; t[0] = 0, s[0] = 1
	rate     float64   // λ per day; 0 when there are no events
	events   int
	censored int
}

// NewKaplanMeier estimates the survival curve of obs. Negative durations
// count as zero. With no events, the curve is flat at 1 and Events is 0:
// callers should not sample from it.
func NewKaplanMeier(obs []Observation) *KaplanMeier {
	o := slices.Clone(obs)
	for i := range o {
		o[i].Days = math.Max(0, o[i].Days)
	}
	// Events before censorings at the same time, as usual.
	slices.SortFunc(o, func(a, b Observation) int {
		if c := cmp.Compare(a.Days, b.Days); c != 0 {
			return c
		}
		switch {
		case a.Censored == b.Censored:
			return 0
		case !a.Censored:
			return -1
		}
		return 1
	})
	k := &KaplanMeier{t: []float64{0}, s: []float64{1}}
	exposure := 0.0
	for _, x := range o {
		exposure += x.Days
		if x.Censored {
			k.censored++
		} else {
			k.events++
		}
	}
	if k.events > 0 && exposure > 0 {
		k.rate = float64(k.events) / exposure
	} else if k.events > 0 {
		k.rate = 1 // every event at day 0: a degenerate but usable curve
	}
	surv := 1.0
	atRisk := len(o)
	for i := 0; i < len(o); {
		j, d := i, 0
		for j < len(o) && o[j].Days == o[i].Days {
			if !o[j].Censored {
				d++
			}
			j++
		}
		if d > 0 {
			surv *= 1 - float64(d)/float64(atRisk)
			k.t = append(k.t, o[i].Days)
			k.s = append(k.s, surv)
		}
		atRisk -= j - i
		i = j
	}
	return k
}

// Events returns the number of completed legs observed.
func (k *KaplanMeier) Events() int { return k.events }

// Censored returns the number of legs still running at the cut.
func (k *KaplanMeier) Censored() int { return k.censored }

// Rate returns the constant-hazard estimate λ (events per day at risk)
// that the tails use.
func (k *KaplanMeier) Rate() float64 { return k.rate }

// Survival returns the interpolated S(t): the probability that the leg
// lasts longer than t days.
func (k *KaplanMeier) Survival(t float64) float64 {
	if t <= 0 {
		return 1
	}
	n := len(k.t)
	last := n - 1
	if t >= k.t[last] {
		if k.s[last] <= 0 {
			return 0
		}
		if k.rate == 0 {
			return k.s[last]
		}
		return k.s[last] * math.Exp(-k.rate*(t-k.t[last]))
	}
	i, _ := slices.BinarySearch(k.t, t) // k.t[i-1] < t ≤ k.t[i]
	for i < last && k.t[i+1] == t {
		i++
	}
	t0, t1 := k.t[i-1], k.t[i]
	s0, s1 := k.s[i-1], k.s[i]
	if t1 == t0 {
		return s1
	}
	return s0 + (s1-s0)*(t-t0)/(t1-t0)
}

// inv returns the time at which the curve falls to s (the smallest t with
// Survival(t) ≤ s), or +Inf when it never does.
func (k *KaplanMeier) inv(s float64) float64 {
	if s >= 1 {
		return 0
	}
	last := len(k.t) - 1
	for i := 1; i <= last; i++ {
		if k.s[i] <= s {
			s0, s1 := k.s[i-1], k.s[i]
			if s0 == s1 {
				return k.t[i]
			}
			return k.t[i-1] + (k.t[i]-k.t[i-1])*(s0-s)/(s0-s1)
		}
	}
	if k.rate == 0 || s <= 0 {
		return math.Inf(1)
	}
	return k.t[last] + math.Log(k.s[last]/s)/k.rate
}

// Quantile returns the duration t with 1 − S(t) = p.
func (k *KaplanMeier) Quantile(p float64) float64 { return k.inv(1 - p) }

// String summarizes the estimate.
func (k *KaplanMeier) String() string {
	return fmt.Sprintf("Kaplan–Meier (%d completed, %d censored; median %.0f days)", k.events, k.censored, k.Quantile(0.5))
}

type kmGiven struct {
	k  *KaplanMeier
	e  float64
	se float64
}

// Given returns the distribution of the remaining time once elapsed days
// have passed: the curve conditional on survival to elapsed, or, when the
// curve is at zero there, an exponential with rate λ.
func (k *KaplanMeier) Given(elapsed float64) Dist {
	if elapsed <= 0 {
		return k
	}
	se := k.Survival(elapsed)
	if se < 1e-9 {
		if k.rate == 0 {
			return fixed(0)
		}
		return &exponential{mean: 1 / k.rate}
	}
	return &kmGiven{k: k, e: elapsed, se: se}
}

func (g *kmGiven) Quantile(p float64) float64 {
	return math.Max(0, g.k.inv(g.se*(1-p))-g.e)
}

func (g *kmGiven) String() string {
	return fmt.Sprintf("%s given %.0f days elapsed", g.k, g.e)
}
