package scenarios

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// Target is one forecast: when does Agreement reach Stage (a milestone).
type Target struct {
	// Agreement is the agreement id.
	Agreement string
	// Stage is a milestone (see Milestones).
	Stage projections.Stage
}

// String reads "gbr-jpn-raa signed".
func (t Target) String() string { return t.Agreement + " " + string(t.Stage) }

// World is one side of a comparison: a branch seen from a date, and a
// model.
type World struct {
	// Branch is the log as this side sees it.
	Branch *Branch
	// Now is the cut: the present state is the branch's events that had
	// occurred and were known by the end of that day; the branch's events
	// dated later are scheduled future events.
	Now time.Time
	// Horizon is the last day simulated; later dates count as "not within
	// the horizon".
	Horizon time.Time
	// Model draws the futures (rules must be compiled).
	Model Model
	// Side selects the scoped rules and hazards: ScopeBaseline or
	// ScopeScenario; empty applies all of them.
	Side Scope
	// Codec decodes corrections in the branch; nil means events.NewCodec().
	Codec *events.Codec
}

// never is the day of a milestone that is not reached.
const never = math.MaxInt32

// noReach marks a milestone not reached at the cut.
const noReach = math.MinInt32

// maxHazardEvents bounds the stochastic events one hazard draws in a run.
const maxHazardEvents = 64

// maxRules bounds the rules of a model (fired rules are a bit set per run).
const maxRules = 64

// Plan is a World prepared for Monte Carlo: the branch folded once at the
// cut, and, per forecast agreement, everything a run needs precomputed.
// A Plan is immutable once prepared and safe for concurrent use.
type Plan struct {
	now, horizon int32
	nowDate      events.Date
	horizonDate  events.Date
	side         Scope
	targets      []Target
	tg           []targetRef
	agents       []*agent
	rules        []*Rule
	sched        []schedEvent
	hazards      []*hazardPlan
	srcLabels    []string // per source (scheduled events, then hazards)
	schedRun     []runEvent
	edits        []Edit
	states       map[string]projections.AgreementState
	set          *projections.Set
	cut          projections.Cut
}

type targetRef struct{ agent, level int }

type agent struct {
	id, kind string
	parties  []string
	state    projections.AgreementState
	ended    bool // abandoned or terminated at the cut
	reach    [nMilestones]int32
	cur      int // highest milestone reached at the cut, -1 for none
	last     int // highest milestone forecast
	legs     [nMilestones]leg
	pin      [nMilestones]int32 // scheduled reach day, 0 when none
	capAt    [nMilestones + 1]int32
	endDay   int32 // scheduled abandonment, never when none
	expect   [nMilestones]*expectPlan
	hits     [][]ruleHit // per source
	key      uint64
	env      RuleAgreement
}

type leg struct {
	s    *sampler
	key  uint64
	info LegInfo
}

// LegInfo describes how a leg's duration is drawn for one agreement.
type LegInfo struct {
	// From and To are consecutive milestones.
	From projections.Stage `json:"from"`
	To   projections.Stage `json:"to"`
	// Source is "reference class" (Kaplan–Meier), "explicit" or "default".
	Source string `json:"source"`
	// Class is the reference class: a kind, or "all".
	Class string `json:"class,omitempty"`
	// Completed and Censored count the class's observations.
	Completed int `json:"completed,omitempty"`
	Censored  int `json:"censored,omitempty"`
	// ElapsedDays is the time already spent in the leg at the cut (for the
	// current leg).
	ElapsedDays int `json:"elapsed_days,omitempty"`
	// MeanDays is the mean of the (remaining) duration drawn.
	MeanDays float64 `json:"mean_days"`
	// Text describes the distribution.
	Text string `json:"text"`
}

type expectPlan struct {
	rule   int
	weight float64
	lo, hi int32
	key    uint64
	label  string
}

type ruleHit struct {
	rule    int32
	stages  uint8 // bit i: fires while at milestone i (static rules)
	dynamic bool
	delay   *sampler
	key     uint64
}

type schedEvent struct {
	day   int32
	id    string
	label string
	env   RuleEvent
	edit  int // the edit that added it, or -1
}

type hazardPlan struct {
	h       Hazard
	perYear float64
	rate    float64 // per day
	key     uint64
	label   string
	env     RuleEvent
}

type runEvent struct {
	day int32
	src int32
	k   int32
	key uint64
}

// dayNum returns whole days since 1970-01-01 of t's date (UTC).
func dayNum(t time.Time) int32 {
	s := t.UTC().Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return int32(d)
}

func dateOfDay(d int32) events.Date {
	return events.Date{Day: time.Unix(int64(d)*86400, 0).UTC(), Precision: events.PrecisionDay}
}

func dayString(d int32) string { return dateOfDay(d).String() }

// endOfDay returns the last instant of t's day, the cut instant of a date.
func endOfDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 999_999_999, time.UTC)
}

// hashKey is a stable 64-bit key of strings, for random stream purposes.
func hashKey(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return splitmix64(h.Sum64())
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func mix(a, b uint64) uint64 { return splitmix64(a ^ splitmix64(b)) }

// Prepare folds w's branch at the cut and precomputes what the runs need
// for targets. It fails (ErrNotFound) when a target's agreement has no
// events at the cut, and (ErrInvalid) for a stage that is not a milestone,
// an invalid model, or a horizon before the cut.
func Prepare(w World, targets []Target) (*Plan, error) {
	if w.Branch == nil {
		return nil, fmt.Errorf("%w: no branch", events.ErrInvalid)
	}
	if err := w.Model.Validate(); err != nil {
		return nil, err
	}
	if len(w.Model.Rules) > maxRules {
		return nil, fmt.Errorf("%w: %d rules; the limit is %d", events.ErrInvalid, len(w.Model.Rules), maxRules)
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("%w: nothing to forecast", events.ErrInvalid)
	}
	p := &Plan{
		now: dayNum(w.Now), horizon: dayNum(w.Horizon), side: w.Side,
		targets: slices.Clone(targets), edits: w.Branch.Edits(), states: map[string]projections.AgreementState{},
	}
	p.nowDate, p.horizonDate = dateOfDay(p.now), dateOfDay(p.horizon)
	if p.horizon <= p.now {
		return nil, fmt.Errorf("%w: the horizon %s is not after the cut %s", events.ErrInvalid, p.horizonDate, p.nowDate)
	}
	for _, r := range w.Model.Rules {
		if r.Scope.applies(w.Side) {
			p.rules = append(p.rules, r)
		}
	}

	// Fold the branch once; collect the future events and the evidence of
	// expectations on the way.
	p.cut = projections.Cut{AsOf: endOfDay(w.Now), KnownAt: endOfDay(w.Now)}
	set := projections.NewSet(w.Codec)
	conf := map[string]events.Confidence{}
	addedBy := map[string]int{}
	for i, e := range w.Branch.edits {
		if e.Op == OpAdd {
			addedBy[e.Event.ID] = i
		}
	}
	for e := range w.Branch.Events() {
		if err := set.Apply(e); err != nil {
			return nil, fmt.Errorf("branch event %s: %w", e.ID, err)
		}
		if e.Type == events.TypeExpectationReported {
			conf[e.ID] = e.Confidence
		}
		if !e.OccurredAt.ReachedBy(p.cut.AsOf) && e.Type != events.TypeEventRetracted && e.Type != events.TypeEventCorrected {
			ed, hyp := addedBy[e.ID]
			if !hyp {
				ed = -1
			}
			p.sched = append(p.sched, schedEvent{
				day: dayNum(e.OccurredAt.Day), id: e.ID, label: eventLabel(e), env: eventEnv(e, hyp), edit: ed,
			})
		}
	}
	p.set = set
	slices.SortStableFunc(p.sched, func(a, b schedEvent) int { return cmp.Or(cmp.Compare(a.day, b.day), strings.Compare(a.id, b.id)) })
	for _, s := range p.sched {
		p.srcLabels = append(p.srcLabels, s.label)
	}

	all := set.Agreements.At(p.cut)
	classes := newClasses(all, p.now, w.Model.minEvents(), w.Model.CensorAtLastEvent)

	// Agents: one per agreement forecast.
	byID := map[string]int{}
	for _, t := range targets {
		lvl := MilestoneIndex(t.Stage)
		if lvl < 0 {
			return nil, fmt.Errorf("%w: stage %q is not one of %v", events.ErrInvalid, t.Stage, milestones)
		}
		ai, ok := byID[t.Agreement]
		if !ok {
			st, found := set.Agreements.Get(t.Agreement, p.cut)
			if !found {
				return nil, fmt.Errorf("%w: agreement %q has no events known at %s", events.ErrNotFound, t.Agreement, p.nowDate)
			}
			a := newAgent(st, p.now)
			ai = len(p.agents)
			byID[t.Agreement] = ai
			p.agents = append(p.agents, a)
			p.states[t.Agreement] = st
		}
		a := p.agents[ai]
		a.last = max(a.last, lvl)
		p.tg = append(p.tg, targetRef{agent: ai, level: lvl})
	}

	// Hazards.
	for _, h := range w.Model.Hazards {
		if !h.Scope.applies(w.Side) {
			continue
		}
		hp := &hazardPlan{h: h, perYear: h.PerYear, key: hashKey("hazard", h.Country, h.Office)}
		office := h.Office
		if h.FromHistory {
			var note string
			hp.perYear, office, note = historyRate(set, h, p.cut, p.now)
			hp.label = fmt.Sprintf("stochastic leadership_changed %s (%.2f a year, %s)", h.Country, hp.perYear, note)
		} else {
			if office == "" {
				office = lastOffice(set, h.Country, p.cut)
			}
			hp.label = fmt.Sprintf("stochastic leadership_changed %s (%.2f a year, given)", h.Country, hp.perYear)
		}
		hp.rate = hp.perYear / 365.25
		hp.env = RuleEvent{Type: events.TypeLeadershipChanged, Country: h.Country, Office: office, Stochastic: true, Confidence: string(events.Rumoured)}
		p.hazards = append(p.hazards, hp)
		p.srcLabels = append(p.srcLabels, hp.label)
	}
	for i := range p.sched {
		p.schedRun = append(p.schedRun, runEvent{day: p.sched[i].day, src: int32(i), key: hashKey("event", p.sched[i].id)})
	}

	var m vm.VM
	for _, a := range p.agents {
		if err := p.prepareAgent(a, &m, &w.Model, classes, conf); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func newAgent(st projections.AgreementState, now int32) *agent {
	a := &agent{id: st.ID, kind: st.Kind, parties: st.Parties, state: st, cur: -1, endDay: never, key: hashKey("agreement", st.ID)}
	for i := range a.reach {
		a.reach[i] = noReach
	}
	for _, tr := range st.Transitions {
		lvl := reachLevel(tr.Stage)
		d := dayNum(tr.Date.Day)
		for m := 0; m <= lvl; m++ {
			if a.reach[m] == noReach {
				a.reach[m] = d
			}
		}
		a.cur = max(a.cur, lvl)
	}
	a.ended = (st.Stage == projections.StageAbandoned || st.Stage == projections.StageTerminated) && a.cur < nMilestones-1
	a.env = RuleAgreement{ID: st.ID, Kind: st.Kind, Parties: st.Parties}
	return a
}

// eventEnv is the rule view of an event.
func eventEnv(e *events.Event, hypothetical bool) RuleEvent {
	r := RuleEvent{
		ID: e.ID, Type: e.Type, Date: e.OccurredAt.Day.Format("2006-01-02"),
		Agreement: payloadAgreement(e.Data), Country: payloadCountry(e.Data),
		Confidence: string(e.Confidence), Hypothetical: hypothetical,
	}
	switch p := e.Data.(type) {
	case *events.LeadershipChanged:
		r.Office = p.Office
	case *events.ExpectationReported:
		r.ExpectedType, r.ExpectedBy, r.SaidBy = p.ExpectedType, p.ExpectedBy.String(), p.SaidBy
		if l := expectedLevel(p.ExpectedType); l >= 0 {
			r.ExpectedStage = string(milestones[l])
		}
	}
	return r
}

// historyRate estimates a country's leadership changes per year at the
// cut, and the office drawn changes name.
func historyRate(set *projections.Set, h Hazard, cut projections.Cut, now int32) (perYear float64, office, note string) {
	var starts []int32
	lastDay := int32(math.MinInt32)
	for _, o := range set.Leadership.Country(h.Country, cut) {
		if h.Office != "" && o.Office != h.Office {
			continue
		}
		for _, t := range o.Holders {
			if t.From.IsZero() {
				continue
			}
			d := dayNum(t.From.Day)
			starts = append(starts, d)
			if d > lastDay || d == lastDay && o.Office < office {
				lastDay, office = d, o.Office
			}
		}
	}
	if h.Office != "" {
		office = h.Office
	}
	slices.Sort(starts)
	if !h.Since.IsZero() {
		from := dayNum(h.Since)
		n := 0
		for _, d := range starts {
			if d >= from && d <= now {
				n++
			}
		}
		years := float64(now-from) / 365.25
		if years <= 0 {
			return 0, office, "no period"
		}
		return float64(n) / years, office, fmt.Sprintf("%d changes since %s", n, dayString(from))
	}
	if len(starts) < 2 {
		return 0, office, fmt.Sprintf("%d recorded change(s): too few for a rate", len(starts))
	}
	years := float64(now-starts[0]) / 365.25
	if years <= 0 {
		return 0, office, "no period"
	}
	return float64(len(starts)-1) / years, office, fmt.Sprintf("%d changes after %s, from history", len(starts)-1, dayString(starts[0]))
}

func lastOffice(set *projections.Set, country string, cut projections.Cut) string {
	best, day := "", int32(math.MinInt32)
	for _, o := range set.Leadership.Country(country, cut) {
		if o.Since.IsZero() {
			continue
		}
		if d := dayNum(o.Since.Day); d > day {
			best, day = o.Office, d
		}
	}
	if best == "" {
		return "head_of_government"
	}
	return best
}

// prepareAgent precomputes one agreement's legs, pins, expectation and
// rule outcomes.
func (p *Plan) prepareAgent(a *agent, m *vm.VM, model *Model, classes *classes, conf map[string]events.Confidence) error {
	// Scheduled lifecycle events of the agreement pin milestones or end it.
	for _, s := range p.sched {
		if s.env.Agreement != a.id {
			continue
		}
		switch s.env.Type {
		case events.TypeAbandoned, events.TypeTerminated:
			a.endDay = min(a.endDay, s.day)
			continue
		}
		if lvl := typeLevel(s.env.Type); lvl > a.cur {
			if a.pin[lvl] == 0 || s.day < a.pin[lvl] {
				a.pin[lvl] = s.day
			}
		}
	}
	a.capAt[nMilestones] = never
	for i := nMilestones - 1; i >= 0; i-- {
		a.capAt[i] = a.capAt[i+1]
		if a.pin[i] != 0 {
			a.capAt[i] = min(a.capAt[i], a.pin[i])
		}
	}
	if a.ended || a.cur >= a.last {
		return nil
	}
	start := max(a.cur, 0)
	if a.cur < 0 {
		// No lifecycle event yet (only statements or expectations): the
		// agreement is taken as proposed from its first event.
		a.cur = 0
		a.reach[0] = p.now
		if le := a.state.LastEvent; le != nil {
			a.reach[0] = min(p.now, dayNum(le.OccurredAt.Day))
		}
	}
	for i := start; i < a.last; i++ {
		elapsed := 0.0
		if i == a.cur {
			elapsed = float64(p.now - a.reach[i])
		}
		d, info := classes.legDist(model, a, i)
		if elapsed > 0 {
			d = Given(d, elapsed)
			info.ElapsedDays = int(elapsed)
			info.Text += fmt.Sprintf(", given %d days elapsed", int(elapsed))
		}
		s := newSampler(d)
		info.MeanDays = math.Round(s.mean*10) / 10
		a.legs[i] = leg{s: s, key: mix(a.key, hashKey("leg", string(milestones[i]))), info: info}
	}

	// The latest expectation at the cut, seen by the expectation rules.
	if x := a.state.LatestExpectation; x != nil {
		if lvl := expectedLevel(x.ExpectedType); lvl > a.cur && lvl <= a.last && !x.ExpectedBy.IsZero() {
			lo := max(dayNum(x.ExpectedBy.Day), p.now+1)
			hi := dayNum(x.ExpectedBy.End())
			if hi >= lo {
				env := RuleEnv{Now: p.nowDate.String(), Agreement: a.stageEnv(a.cur, p.now)}
				env.Event = RuleEvent{
					ID: x.Event, Type: events.TypeExpectationReported, Date: x.ReportedAt.Day.Format("2006-01-02"),
					Agreement: a.id, ExpectedType: x.ExpectedType, ExpectedStage: string(milestones[lvl]),
					ExpectedBy: x.ExpectedBy.String(), SaidBy: x.SaidBy, Confidence: string(conf[x.Event]),
				}
				for ri, r := range p.rules {
					if r.IsDelay() {
						continue
					}
					ok, err := r.Eval(m, &env)
					if err != nil {
						return err
					}
					if ok {
						a.expect[lvl] = &expectPlan{
							rule: ri, weight: r.Weight, lo: lo, hi: hi, key: mix(a.key, hashKey("expect", string(milestones[lvl]))),
							label: fmt.Sprintf("%s by %s (%s, said by %s)", milestones[lvl], x.ExpectedBy, env.Event.Confidence, x.SaidBy),
						}
						break
					}
				}
			}
		}
	}

	// Delay rules per source (scheduled events, then hazards) and stage.
	nsrc := len(p.sched) + len(p.hazards)
	a.hits = make([][]ruleHit, nsrc)
	for src := 0; src < nsrc; src++ {
		var ev RuleEvent
		stochastic := src >= len(p.sched)
		if stochastic {
			ev = p.hazards[src-len(p.sched)].env
		} else {
			ev = p.sched[src].env
		}
		for ri, r := range p.rules {
			if !r.IsDelay() {
				continue
			}
			h := ruleHit{rule: int32(ri), delay: newSampler(r.Delay), key: hashKey("rule", r.Name)}
			if r.dynAgree || stochastic && r.dynEvent {
				h.dynamic = true
				a.hits[src] = append(a.hits[src], h)
				continue
			}
			for lvl := 0; lvl < nMilestones; lvl++ {
				env := RuleEnv{Now: p.nowDate.String(), Event: ev, Agreement: a.stageEnv(lvl, p.now)}
				ok, err := r.Eval(m, &env)
				if err != nil {
					return err
				}
				if ok {
					h.stages |= 1 << lvl
				}
			}
			if h.stages != 0 {
				a.hits[src] = append(a.hits[src], h)
			}
		}
	}
	return nil
}

// stageEnv is the rule view of the agreement at milestone lvl, with the
// milestone reached on since (for the static evaluations, the cut).
func (a *agent) stageEnv(lvl int, since int32) RuleAgreement {
	env := a.env
	env.Stage = string(milestones[lvl])
	if r := a.reach[lvl]; r != noReach {
		since = r
	}
	env.Since = dayString(since)
	return env
}

// State returns the agreement's state in the plan's branch at the cut, for
// a forecast agreement or any other; ok is false when it has no events
// there.
func (p *Plan) State(agreement string) (projections.AgreementState, bool) {
	if st, ok := p.states[agreement]; ok {
		return st, true
	}
	return p.set.Agreements.Get(agreement, p.cut)
}

// Targets returns the plan's forecast targets.
func (p *Plan) Targets() []Target { return slices.Clone(p.targets) }

// Legs returns how each leg of a target's agreement is drawn, from its
// current milestone to the target's.
func (p *Plan) Legs(i int) []LegInfo {
	t := p.tg[i]
	a := p.agents[t.agent]
	var out []LegInfo
	for l := max(a.cur, 0); l < t.level; l++ {
		if a.legs[l].s != nil {
			out = append(out, a.legs[l].info)
		}
	}
	return out
}

// Now returns the plan's cut date.
func (p *Plan) Now() events.Date { return p.nowDate }

// Horizon returns the plan's last simulated day.
func (p *Plan) Horizon() events.Date { return p.horizonDate }

// classes holds the reference classes of one cut: per leg, the
// observations of each kind and of all agreements, and their
// Kaplan–Meier estimates (computed when first asked for).
type classes struct {
	min   int
	obs   [nMilestones]map[string][]Observation // leg -> class ("" = all) -> observations
	cache map[string]*KaplanMeier
}

// newClasses gathers the observations of every leg. A leg still running at
// now is censored at now, or, with atLastEvent, at the agreement's last
// event (when that is earlier).
func newClasses(all []projections.AgreementState, now int32, minEvents int, atLastEvent bool) *classes {
	c := &classes{min: minEvents, cache: map[string]*KaplanMeier{}}
	for i := range c.obs {
		c.obs[i] = map[string][]Observation{}
	}
	for _, st := range all {
		a := newAgent(st, now)
		first := -1
		for _, tr := range st.Transitions {
			if l := reachLevel(tr.Stage); l >= 0 {
				first = l
				break
			}
		}
		if first < 0 {
			continue
		}
		end := now
		if a.ended {
			end = dayNum(st.Since.Day)
		}
		if atLastEvent && st.LastEvent != nil {
			end = min(end, dayNum(st.LastEvent.OccurredAt.Day))
		}
		for i := first; i < nMilestones-1; i++ {
			if a.reach[i] == noReach {
				break
			}
			o := Observation{Agreement: st.ID}
			if a.reach[i+1] != noReach {
				o.Days = float64(a.reach[i+1] - a.reach[i])
			} else {
				o.Days, o.Censored = float64(end-a.reach[i]), true
			}
			c.obs[i][""] = append(c.obs[i][""], o)
			if st.Kind != "" {
				c.obs[i][st.Kind] = append(c.obs[i][st.Kind], o)
			}
		}
	}
	return c
}

func (c *classes) km(leg int, class string) *KaplanMeier {
	key := fmt.Sprintf("%d/%s", leg, class)
	k, ok := c.cache[key]
	if !ok {
		k = NewKaplanMeier(c.obs[leg][class])
		c.cache[key] = k
	}
	return k
}

// legDist chooses the distribution of leg i for agent a: the most specific
// explicit distribution, else the kind's reference class when it has
// enough completed legs, else all agreements', else a default.
func (c *classes) legDist(m *Model, a *agent, i int) (Dist, LegInfo) {
	info := LegInfo{From: milestones[i], To: milestones[i+1]}
	var best *LegDist
	bestRank := -1
	for j := range m.Distributions {
		d := &m.Distributions[j]
		if MilestoneIndex(d.From) != i || d.Agreement != "" && d.Agreement != a.id || d.Kind != "" && d.Kind != a.kind {
			continue
		}
		rank := 0
		if d.Agreement != "" {
			rank = 2
		} else if d.Kind != "" {
			rank = 1
		}
		if rank >= bestRank {
			best, bestRank = d, rank
		}
	}
	if best != nil {
		info.Source, info.Text = "explicit", best.Dist.String()
		return best.Dist, info
	}
	if a.kind != "" {
		if k := c.km(i, a.kind); k.Events() >= c.min {
			info.Source, info.Class, info.Completed, info.Censored = "reference class", a.kind, k.Events(), k.Censored()
			info.Text = fmt.Sprintf("%s over %s agreements", k, a.kind)
			return k, info
		}
	}
	if k := c.km(i, ""); k.Events() > 0 {
		info.Source, info.Class, info.Completed, info.Censored = "reference class", "all", k.Events(), k.Censored()
		info.Text = fmt.Sprintf("%s over all agreements", k)
		return k, info
	}
	d := &exponential{mean: 365}
	info.Source, info.Text = "default", d.String()+" (no completed leg in the log)"
	return d, info
}
