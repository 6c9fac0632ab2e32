package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// QuantileLevels returns the keys of Forecast.Quantiles: "0.05", "0.10",
// … "0.95" (19 levels).
func QuantileLevels() []string {
	out := make([]string, 0, 19)
	for pct := 5; pct <= 95; pct += 5 {
		out = append(out, fmt.Sprintf("0.%02d", pct))
	}
	return out
}

// Forecast is the distribution of the date an agreement reaches a stage.
type Forecast struct {
	// Agreement and Stage are the target; KnownAt the cut; Runs and Seed
	// the simulation's.
	Agreement string            `json:"agreement"`
	Stage     projections.Stage `json:"stage"`
	KnownAt   events.Date       `json:"known_at"`
	Runs      int               `json:"runs"`
	Seed      uint64            `json:"seed"`
	// Reached is true when the stage had been reached by KnownAt, on
	// ReachedOn (null otherwise); every run then has that date.
	Reached   bool        `json:"reached"`
	ReachedOn events.Date `json:"reached_on"`
	// CurrentStage is the agreement's stage at the cut, since CurrentSince.
	CurrentStage projections.Stage `json:"current_stage"`
	CurrentSince events.Date       `json:"current_since"`
	// Horizon is the last day simulated.
	Horizon events.Date `json:"horizon"`
	// PBy maps each month-end date from the cut's month to the horizon to
	// the fraction of runs that reached the stage by then.
	PBy map[string]float64 `json:"p_by"`
	// Quantiles maps "0.05" … "0.95" to the earliest date by which that
	// fraction of runs had reached the stage, or null when that is not
	// within the horizon.
	Quantiles map[string]events.Date `json:"quantiles"`
	// Mean is the mean date among the runs that reach the stage within the
	// horizon (null when none does); PWithinHorizon is their fraction.
	Mean           events.Date `json:"mean"`
	PWithinHorizon float64     `json:"p_within_horizon"`
	// Model describes how each remaining leg is drawn.
	Model []LegInfo `json:"model"`

	sorted []int32
	now    int32
}

// Median returns the 0.50 quantile (zero when beyond the horizon).
func (f *Forecast) Median() events.Date { return f.Quantiles["0.50"] }

// ProbBy returns the fraction of runs that reached the stage by the end of
// day d.
func (f *Forecast) ProbBy(d events.Date) float64 {
	if len(f.sorted) == 0 {
		return 0
	}
	day := dayNum(d.Day)
	n, _ := slices.BinarySearch(f.sorted, day+1)
	return float64(n) / float64(len(f.sorted))
}

// monthEnds returns the last days of the months from now's month to the
// horizon (the horizon's month only when the horizon is its last day).
func monthEnds(now, horizon int32) []int32 {
	var out []int32
	t := dateOfDay(now).Day
	first := t.AddDate(0, 0, 1-t.Day())
	for m := 1; ; m++ {
		end := dayNum(first.AddDate(0, m, -1))
		if end > horizon {
			return out
		}
		out = append(out, end)
	}
}

// Forecasts summarizes every target of the outcome, in target order.
func (o *Outcome) Forecasts() []Forecast {
	out := make([]Forecast, len(o.plan.tg))
	for i := range out {
		out[i] = o.forecast(i)
	}
	return out
}

func (o *Outcome) forecast(i int) Forecast {
	p := o.plan
	t := p.tg[i]
	a := p.agents[t.agent]
	f := Forecast{
		Agreement: p.targets[i].Agreement, Stage: p.targets[i].Stage, KnownAt: p.nowDate, Runs: o.runs, Seed: o.seed,
		CurrentStage: a.state.Stage, CurrentSince: a.state.Since, Horizon: p.horizonDate,
		PBy: map[string]float64{}, Quantiles: map[string]events.Date{}, Model: p.Legs(i), now: p.now,
	}
	if f.Model == nil {
		f.Model = []LegInfo{}
	}
	if r := a.reach[t.level]; r != noReach && r <= p.now {
		f.Reached, f.ReachedOn = true, dateOfDay(r)
	}
	f.sorted = slices.Clone(o.days[i])
	slices.Sort(f.sorted)
	n := len(f.sorted)
	within, _ := slices.BinarySearch(f.sorted, p.horizon+1)
	f.PWithinHorizon = float64(within) / float64(n)
	for _, me := range monthEnds(p.now, p.horizon) {
		k, _ := slices.BinarySearch(f.sorted, me+1)
		f.PBy[dayString(me)] = float64(k) / float64(n)
	}
	for pct, key := 5, 0; pct <= 95; pct, key = pct+5, key+1 {
		k := (pct*n + 99) / 100 // the k-th smallest, 1-based: ceil(q·n)
		d := f.sorted[max(k, 1)-1]
		var v events.Date
		if d <= p.horizon {
			v = dateOfDay(d)
		}
		f.Quantiles[QuantileLevels()[key]] = v
	}
	if within > 0 {
		var sum int64
		for _, d := range f.sorted[:within] {
			sum += int64(d)
		}
		f.Mean = dateOfDay(int32(math.Round(float64(sum) / float64(within))))
	}
	return f
}

// RuleStat says how often a rule fired for an agreement.
type RuleStat struct {
	// Rule is the rule's name; Agreement the forecast agreement.
	Rule      string `json:"rule"`
	Agreement string `json:"agreement"`
	// Share is the fraction of runs in which it fired at least once;
	// MeanDays the mean total delay it added in those runs.
	Share    float64 `json:"share"`
	MeanDays float64 `json:"mean_days"`
	// Triggers are the events it fired on, most frequent first.
	Triggers []Trigger `json:"triggers"`
}

// Trigger is one (event, stage) a rule fired on.
type Trigger struct {
	// Event describes the event ("leadership_changed GBR 2022-12-15", or a
	// hazard); Stage is the milestone the agreement was at.
	Event string            `json:"event"`
	Stage projections.Stage `json:"stage"`
	// PerRun is the number of firings per run: for an event of the branch,
	// the fraction of runs in which it fired (it fires at most once a
	// run); for a hazard (Stochastic), the mean number of drawn events it
	// fired on.
	PerRun     float64 `json:"per_run"`
	Stochastic bool    `json:"stochastic,omitempty"`
	// MeanDays is the mean delay of one firing.
	MeanDays float64 `json:"mean_days"`
	// Edit is the 1-based edit that added the event, 0 when none.
	Edit int `json:"edit,omitempty"`
}

// RuleStats returns, per forecast agreement and delay rule that fired, how
// often it fired; sorted by agreement, then share (descending), then name.
func (o *Outcome) RuleStats() []RuleStat {
	out := []RuleStat{}
	for ai := range o.plan.agents {
		out = append(out, o.ruleStats(ai, nMilestones)...)
	}
	return out
}

// TargetRuleStats returns the rule statistics that matter for target i:
// firings before the agreement reached the target's stage.
func (o *Outcome) TargetRuleStats(i int) []RuleStat {
	t := o.plan.tg[i]
	return o.ruleStats(t.agent, t.level)
}

// ruleStats counts the firings of agent ai's rules at milestones below
// upto.
func (o *Outcome) ruleStats(ai, upto int) []RuleStat {
	p, st := o.plan, o.st
	a := p.agents[ai]
	rows := []RuleStat{}
	for ri, r := range p.rules {
		runs := st.ruleRuns[st.rule(ai, ri, upto)]
		if runs == 0 {
			continue
		}
		rs := RuleStat{
			Rule: r.Name, Agreement: a.id, Share: float64(runs) / float64(o.runs),
			MeanDays: round1(float64(st.ruleDays[st.rule(ai, ri, upto)]) / float64(runs)), Triggers: []Trigger{},
		}
		for src := 0; src < st.ns; src++ {
			for lvl := 0; lvl < upto; lvl++ {
				n := st.trigFires[st.trig(ai, ri, src, lvl)]
				if n == 0 {
					continue
				}
				tr := Trigger{
					Event: p.srcLabels[src], Stage: milestones[lvl], PerRun: float64(n) / float64(o.runs),
					Stochastic: src >= len(p.sched),
					MeanDays:   round1(float64(st.trigDays[st.trig(ai, ri, src, lvl)]) / float64(n)),
				}
				if src < len(p.sched) && p.sched[src].edit >= 0 {
					tr.Edit = p.sched[src].edit + 1
				}
				rs.Triggers = append(rs.Triggers, tr)
			}
		}
		slices.SortStableFunc(rs.Triggers, func(a, b Trigger) int {
			if a.PerRun != b.PerRun {
				if a.PerRun > b.PerRun {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Event, b.Event)
		})
		rows = append(rows, rs)
	}
	slices.SortStableFunc(rows, func(a, b RuleStat) int {
		if a.Share != b.Share {
			if a.Share > b.Share {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	return rows
}

// ExpectationStat says how often an expectation placed a milestone.
type ExpectationStat struct {
	// Agreement is the forecast agreement, Rule the expectation rule that
	// matched, Expectation a description of the expectation.
	Agreement   string `json:"agreement"`
	Rule        string `json:"rule"`
	Expectation string `json:"expectation"`
	// Share is the fraction of runs in which it placed the milestone.
	Share float64 `json:"share"`
}

// ExpectationStats returns the expectations the rules used, per agreement.
func (o *Outcome) ExpectationStats() []ExpectationStat {
	p := o.plan
	out := []ExpectationStat{}
	for ai, a := range p.agents {
		for lvl, x := range a.expect {
			if x == nil {
				continue
			}
			out = append(out, ExpectationStat{
				Agreement: a.id, Rule: p.rules[x.rule].Name, Expectation: x.label,
				Share: float64(o.st.expectRuns[ai*nMilestones+lvl]) / float64(o.runs),
			})
		}
	}
	return out
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// pct formats a share as a whole percentage ("97%"), with "<1%" for small
// non-zero shares.
func pct(x float64) string {
	switch {
	case x > 0 && x < 0.005:
		return "<1%"
	case x < 1 && x > 0.995:
		return ">99%"
	}
	return fmt.Sprintf("%.0f%%", x*100)
}
