package scenarios

import (
	"fmt"
	"math"
	"strings"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// ForecastDelta is the difference between a scenario's forecast and the
// baseline's for one target: scenario minus baseline.
type ForecastDelta struct {
	// Agreement and Stage are the target.
	Agreement string            `json:"agreement"`
	Stage     projections.Stage `json:"stage"`
	// MedianBaseline and MedianScenario are the 0.50 quantiles (null beyond
	// the horizon); MedianShiftDays their difference, null when either is.
	MedianBaseline  events.Date `json:"median_baseline"`
	MedianScenario  events.Date `json:"median_scenario"`
	MedianShiftDays *int        `json:"median_shift_days"`
	// Quantiles maps each level to the shift in days (null when either
	// side is beyond the horizon); PBy each month-end to the change in
	// probability; MeanShiftDays the shift of the mean date.
	Quantiles     map[string]*int    `json:"quantiles"`
	PBy           map[string]float64 `json:"p_by"`
	MeanShiftDays *int               `json:"mean_shift_days"`
	// Causes are the edits, rules, hazards, expectations and model
	// differences that explain the shift; Explanation says it in prose.
	Causes      []Cause `json:"causes"`
	Explanation string  `json:"explanation"`
}

// Cause is one reason a scenario differs from its baseline.
type Cause struct {
	// Kind is "state" (the agreement's state at the cut differs), "edit",
	// "rule" (a delay rule fired), "expectation" or "model" (a leg's
	// distribution differs, e.g. because an edit changed the reference
	// class).
	Kind string `json:"kind"`
	// Name is the rule's name, the edit's number, the leg.
	Name string `json:"name"`
	// Text says it in a sentence.
	Text string `json:"text"`
}

// Delta is the comparison of a scenario with its baseline.
type Delta struct {
	// Forecasts are in the scenario's target order.
	Forecasts []ForecastDelta `json:"forecasts"`
	// Explanation is one paragraph per forecast.
	Explanation string `json:"explanation"`
}

func shiftDays(a, b events.Date) *int {
	if a.IsZero() || b.IsZero() {
		return nil
	}
	d := int(dayNum(b.Day) - dayNum(a.Day))
	return &d
}

// Compare explains how scenario differs from baseline. Both must simulate
// the same targets in the same order with the same runs and seed.
func Compare(baseline, scenario *Outcome) (Delta, error) {
	bp, sp := baseline.plan, scenario.plan
	if len(bp.targets) != len(sp.targets) || baseline.runs != scenario.runs || baseline.seed != scenario.seed {
		return Delta{}, fmt.Errorf("%w: the baseline and the scenario differ in targets, runs or seed", events.ErrInvalid)
	}
	bf, sf := baseline.Forecasts(), scenario.Forecasts()
	bExp, sExp := baseline.ExpectationStats(), scenario.ExpectationStats()
	var d Delta
	var paras []string
	for i := range bf {
		b, s := &bf[i], &sf[i]
		if b.Agreement != s.Agreement || b.Stage != s.Stage {
			return Delta{}, fmt.Errorf("%w: target %d is %s %s in the baseline but %s %s in the scenario", events.ErrInvalid, i, b.Agreement, b.Stage, s.Agreement, s.Stage)
		}
		fd := ForecastDelta{
			Agreement: b.Agreement, Stage: b.Stage, MedianBaseline: b.Median(), MedianScenario: s.Median(),
			Quantiles: map[string]*int{}, PBy: map[string]float64{}, MeanShiftDays: shiftDays(b.Mean, s.Mean),
			Causes: []Cause{},
		}
		fd.MedianShiftDays = shiftDays(fd.MedianBaseline, fd.MedianScenario)
		for _, q := range QuantileLevels() {
			fd.Quantiles[q] = shiftDays(b.Quantiles[q], s.Quantiles[q])
		}
		for k, v := range s.PBy {
			fd.PBy[k] = round4(v - b.PBy[k])
		}
		fd.Causes = causes(bp, sp, b, s, baseline.TargetRuleStats(i), scenario.TargetRuleStats(i), bExp, sExp)
		fd.Explanation = explain(b, s, &fd)
		paras = append(paras, fd.Explanation)
		d.Forecasts = append(d.Forecasts, fd)
	}
	d.Explanation = strings.Join(paras, "\n")
	return d, nil
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// causes lists what differs between the two sides for one forecast.
func causes(bp, sp *Plan, b, s *Forecast, bRules, sRules []RuleStat, bExp, sExp []ExpectationStat) []Cause {
	var out []Cause
	id := b.Agreement
	bs, _ := bp.State(id)
	ss, _ := sp.State(id)
	if bs.Stage != ss.Stage || bs.Since != ss.Since {
		out = append(out, Cause{Kind: "state", Name: id, Text: fmt.Sprintf("at the cut (%s) %s is %s since %s in the scenario, %s since %s in the baseline",
			sp.nowDate, id, orNone(ss.Stage), dateOr(ss.Since), orNone(bs.Stage), dateOr(bs.Since))})
	}
	parties := map[string]bool{}
	for _, p := range ss.Parties {
		parties[p] = true
	}
	for i := range sp.edits {
		e := &sp.edits[i]
		if editTouches(e, id, parties) {
			out = append(out, Cause{Kind: "edit", Name: fmt.Sprint(i + 1), Text: fmt.Sprintf("edit %d: %s", i+1, e.Describe())})
		}
	}
	find := func(rs []RuleStat, name string) *RuleStat {
		for i := range rs {
			if rs[i].Agreement == id && rs[i].Rule == name {
				return &rs[i]
			}
		}
		return nil
	}
	seen := map[string]bool{}
	for _, side := range [][]RuleStat{sRules, bRules} {
		for _, r := range side {
			if r.Agreement != id || seen[r.Rule] {
				continue
			}
			seen[r.Rule] = true
			sr, br := find(sRules, r.Rule), find(bRules, r.Rule)
			if sr != nil && br != nil && math.Abs(sr.Share-br.Share) < 0.005 && math.Abs(sr.MeanDays-br.MeanDays) < 1 {
				continue // the same on both sides: not a cause of the difference
			}
			out = append(out, Cause{Kind: "rule", Name: r.Rule, Text: ruleText(r.Rule, sr, br)})
		}
	}
	for _, x := range sExp {
		if x.Agreement != id {
			continue
		}
		var bx *ExpectationStat
		for j := range bExp {
			if bExp[j].Agreement == id && bExp[j].Expectation == x.Expectation {
				bx = &bExp[j]
			}
		}
		if bx == nil || math.Abs(bx.Share-x.Share) >= 0.005 {
			base := "0%"
			if bx != nil {
				base = pct(bx.Share)
			}
			out = append(out, Cause{Kind: "expectation", Name: x.Rule, Text: fmt.Sprintf("expectation %s placed the milestone in %s of runs (baseline: %s)", x.Expectation, pct(x.Share), base)})
		}
	}
	bl, sl := map[string]LegInfo{}, map[string]LegInfo{}
	for _, l := range b.Model {
		bl[string(l.From)] = l
	}
	for _, l := range s.Model {
		sl[string(l.From)] = l
	}
	for _, l := range s.Model {
		ol, ok := bl[string(l.From)]
		if ok && math.Abs(ol.MeanDays-l.MeanDays) < 1 {
			continue
		}
		name := fmt.Sprintf("%s→%s", l.From, l.To)
		if !ok {
			out = append(out, Cause{Kind: "model", Name: name, Text: fmt.Sprintf("leg %s is to come in the scenario only: %s", name, l.Text)})
			continue
		}
		out = append(out, Cause{Kind: "model", Name: name, Text: fmt.Sprintf("leg %s draws a mean of %.0f days in the scenario, %.0f in the baseline (%s)", name, l.MeanDays, ol.MeanDays, l.Text)})
	}
	if out == nil {
		out = []Cause{}
	}
	return out
}

// ruleText reads "rule x fired in 97% of runs (mean +74 days): event while
// stage (edit 1); baseline: 0%".
func ruleText(name string, s, b *RuleStat) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "rule %s ", name)
	if s == nil {
		fmt.Fprintf(&sb, "did not fire in the scenario")
	} else {
		fmt.Fprintf(&sb, "fired in %s of runs (mean %+.0f days)", pct(s.Share), s.MeanDays)
		for i, t := range s.Triggers {
			if i == 2 {
				fmt.Fprintf(&sb, "; and %d more", len(s.Triggers)-2)
				break
			}
			sep := ": "
			if i > 0 {
				sep = "; "
			}
			fmt.Fprintf(&sb, "%s%s while %s", sep, t.Event, t.Stage)
			switch {
			case t.Stochastic:
				fmt.Fprintf(&sb, " (%.2f a run)", t.PerRun)
			case len(s.Triggers) > 1:
				fmt.Fprintf(&sb, " (%s of runs)", pct(t.PerRun))
			}
			if t.Edit > 0 {
				fmt.Fprintf(&sb, " (edit %d)", t.Edit)
			}
		}
	}
	if b == nil {
		sb.WriteString("; baseline: 0%")
	} else {
		fmt.Fprintf(&sb, "; baseline: %s (mean %+.0f days)", pct(b.Share), b.MeanDays)
	}
	return sb.String()
}

// editTouches reports whether an edit concerns the agreement or one of its
// parties.
func editTouches(e *Edit, id string, parties map[string]bool) bool {
	if e.Op == OpAdd {
		return payloadAgreement(e.Event.Data) == id || parties[payloadCountry(e.Event.Data)] ||
			e.Event.Stream == events.AgreementStream(id)
	}
	f := &e.Match
	if f.Agreement == id || f.Stream == events.AgreementStream(id) || parties[f.Country] {
		return true
	}
	return f.Agreement == "" && f.Stream == "" && f.Country == ""
}

func orNone(s projections.Stage) string {
	if s == "" {
		return "without a stage"
	}
	return string(s)
}

func dateOr(d events.Date) string {
	if d.IsZero() {
		return "-"
	}
	return d.String()
}

// explain writes one paragraph: the median shift, a probability, causes.
func explain(b, s *Forecast, fd *ForecastDelta) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s: ", b.Agreement, b.Stage)
	switch {
	case b.Reached && s.Reached && b.ReachedOn == s.ReachedOn:
		fmt.Fprintf(&sb, "already reached on %s on both sides.", b.ReachedOn)
	case fd.MedianShiftDays != nil:
		fmt.Fprintf(&sb, "median %s in the scenario vs %s in the baseline (%+d days)", fd.MedianScenario, fd.MedianBaseline, *fd.MedianShiftDays)
	default:
		fmt.Fprintf(&sb, "median %s in the scenario vs %s in the baseline", medianText(fd.MedianScenario), medianText(fd.MedianBaseline))
	}
	if !(b.Reached && s.Reached) {
		if m := b.Median(); !m.IsZero() {
			me := monthEndOf(m)
			fmt.Fprintf(&sb, "; P(by %s) %.2f vs %.2f", me, s.ProbBy(me), b.ProbBy(me))
		}
		sb.WriteString(".")
	}
	if len(fd.Causes) == 0 {
		sb.WriteString(" No edit, rule or model difference affects it.")
		return sb.String()
	}
	sb.WriteString(" Causes: ")
	for i, c := range fd.Causes {
		if i > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(c.Text)
	}
	sb.WriteString(".")
	return sb.String()
}

func medianText(d events.Date) string {
	if d.IsZero() {
		return "beyond the horizon"
	}
	return d.String()
}

func monthEndOf(d events.Date) events.Date {
	t := d.Day
	return events.DayOf(t.AddDate(0, 1, -t.Day()))
}
