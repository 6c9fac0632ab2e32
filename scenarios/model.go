package scenarios

import (
	"fmt"
	"math"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// nMilestones is the length of the milestone chain.
const nMilestones = 6

// milestones is the chain, in order.
var milestones = [nMilestones]projections.Stage{
	projections.StageProposed, projections.StageNegotiating, projections.StageAgreedInPrinciple,
	projections.StageSigned, projections.StageApproved, projections.StageInForce,
}

// Milestones returns the chain of stages the models forecast, in order:
// proposed, negotiating, agreed_in_principle, signed, approved, in_force.
func Milestones() []projections.Stage { return milestones[:] }

// MilestoneIndex returns the position of s in Milestones, or -1.
func MilestoneIndex(s projections.Stage) int {
	for i, m := range milestones {
		if m == s {
			return i
		}
	}
	return -1
}

// reachLevel maps a stage an agreement moved to onto the highest milestone
// that move reaches, or -1 for moves that are not progress (abandoned,
// terminated) or unknown stages.
func reachLevel(s projections.Stage) int {
	switch s {
	case projections.StageProposed:
		return 0
	case projections.StageNegotiating, projections.StageStalled:
		return 1
	case projections.StageAgreedInPrinciple:
		return 2
	case projections.StageSigned:
		return 3
	case projections.StageApproved, projections.StageProvisionallyApplied:
		return 4
	case projections.StageInForce, projections.StageSuspended:
		return 5
	}
	return -1
}

// typeLevel maps a lifecycle event type onto the milestone it reaches when
// it is scheduled in a scenario (pinned), or -1 when it does not pin one.
func typeLevel(typ string) int {
	switch typ {
	case events.TypeAgreementProposed:
		return 0
	case events.TypeTalksOpened:
		return 1
	case events.TypeAgreedInPrinciple, events.TypeTextInitialled:
		return 2
	case events.TypeAgreementSigned:
		return 3
	case events.TypeProvisionallyApplied:
		return 4
	case events.TypeEnteredIntoForce:
		return 5
	}
	return -1
}

// expectedLevel maps an expectation's expected type onto a milestone, or -1.
func expectedLevel(typ string) int {
	switch typ {
	case events.TypeDomesticApprovalCompleted, events.TypeInstrumentsExchanged:
		return 4
	}
	return typeLevel(typ)
}

// LegDist is an explicit distribution for one leg, replacing the reference
// class. From must be a milestone and To the next one. Agreement and Kind,
// when set, restrict it; the most specific match wins (agreement, then
// kind, then neither; among equals, the last given).
type LegDist struct {
	// From and To are consecutive milestones.
	From, To projections.Stage
	// Agreement and Kind, when set, restrict the agreements it applies to.
	Agreement string
	Kind      string
	// Dist is the leg's duration.
	Dist Dist
}

// Hazard is a stochastic source of leadership changes in a country: a
// Poisson process from the day after the cut to the horizon (at most 64
// events a run), each change an event the delay rules see (type
// leadership_changed, stochastic true).
type Hazard struct {
	// Country is the alpha-3 code.
	Country string
	// Office restricts the history count, and names the office of the
	// drawn changes; empty means any office (drawn changes then name the
	// office of the country's last recorded change).
	Office string
	// PerYear is the rate; when FromHistory is set it is estimated from
	// the log at the cut instead: changes per year from the country's first
	// recorded change (or Since, when set) to the cut, the first change
	// marking the start of the period when Since is zero.
	PerYear     float64
	FromHistory bool
	Since       time.Time
	// Scope says whether the hazard applies to the baseline, the scenario
	// or both (the default).
	Scope Scope
}

// Model turns the present state of agreements into possible futures.
type Model struct {
	// MinEvents is the number of completed legs a kind's reference class
	// needs before it is used; with fewer, the class of all agreements is.
	// Zero means 5.
	MinEvents int
	// Distributions replace the reference class for the legs they match.
	Distributions []LegDist
	// Rules are compiled delay and expectation rules (see Rule.Compile),
	// at most 64. Rules that use agreement.since, agreement.days_in_stage
	// (or event.date, for hazards' events) are evaluated in every run;
	// the others once per event and stage, before the runs.
	Rules []*Rule
	// Hazards are stochastic leadership changes.
	Hazards []Hazard
	// CensorAtLastEvent censors a reference-class leg that is still
	// running at the cut at the agreement's last event known then (its
	// last follow-up) instead of at the cut. An agreement the log stopped
	// following, such as one recorded only at its signature, then adds no
	// time at risk after its last event, instead of years of waiting that
	// nobody observed. Completed and abandoned legs are unchanged.
	// DefaultModel and scenario files set it; false censors at the cut.
	CensorAtLastEvent bool
}

// DefaultModel is the model of `accord forecast`: reference classes from the
// log (MinEvents 5) and DefaultRules, without hazards (the durations of the
// reference class already include the politics of their time; hazards are
// for scenarios that change it).
func DefaultModel() Model {
	return Model{MinEvents: 5, Rules: DefaultRules(), CensorAtLastEvent: true}
}

func (m *Model) minEvents() int {
	if m.MinEvents <= 0 {
		return 5
	}
	return m.MinEvents
}

// Validate checks the model's parts: legs are consecutive milestones,
// distributions are set, rules are compiled with unique names, hazards
// name a country and have a non-negative rate.
func (m *Model) Validate() error {
	for i, d := range m.Distributions {
		f, t := MilestoneIndex(d.From), MilestoneIndex(d.To)
		switch {
		case f < 0:
			return fmt.Errorf("%w: distribution %d: from %q is not a milestone (%v)", events.ErrInvalid, i+1, d.From, milestones)
		case t != f+1:
			return fmt.Errorf("%w: distribution %d: to %q is not the milestone after %s (%s)", events.ErrInvalid, i+1, d.To, d.From, nextName(f))
		case d.Dist == nil:
			return fmt.Errorf("%w: distribution %d: no distribution", events.ErrInvalid, i+1)
		}
	}
	seen := map[string]bool{}
	for _, r := range m.Rules {
		if !r.Compiled() {
			return &RuleError{Rule: r.Name, Problem: "not compiled"}
		}
		if seen[r.Name] {
			return &RuleError{Rule: r.Name, Problem: "the name is used twice"}
		}
		seen[r.Name] = true
	}
	for i, h := range m.Hazards {
		switch {
		case h.Country == "":
			return fmt.Errorf("%w: hazard %d: no country", events.ErrInvalid, i+1)
		case !h.FromHistory && (h.PerYear < 0 || math.IsNaN(h.PerYear) || h.PerYear > 365):
			return fmt.Errorf("%w: hazard %d: per_year %g is not between 0 and 365", events.ErrInvalid, i+1, h.PerYear)
		case !h.Scope.Valid():
			return fmt.Errorf("%w: hazard %d: scope %q is not both, scenario or baseline", events.ErrInvalid, i+1, h.Scope)
		}
	}
	return nil
}

func nextName(i int) string {
	if i >= 0 && i+1 < nMilestones {
		return string(milestones[i+1])
	}
	return "none"
}
