package scenarios

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/expr-lang/expr/vm"

	"github.com/accord-dev/accord/events"
)

// DefaultRuns is the number of Monte Carlo runs when none is given.
const DefaultRuns = 10_000

// MaxRuns bounds the runs of one simulation.
const MaxRuns = 10_000_000

// Options control a simulation.
type Options struct {
	// Runs is the number of runs; zero means DefaultRuns.
	Runs int
	// Seed selects the random streams: the same seed gives the same
	// result, whatever Workers is.
	Seed uint64
	// Workers is the number of goroutines; zero means runtime.NumCPU().
	Workers int
}

func (o Options) runs() int {
	if o.Runs <= 0 {
		return DefaultRuns
	}
	return o.Runs
}

func (o Options) workers(runs int) int {
	w := o.Workers
	if w <= 0 {
		w = runtime.NumCPU()
	}
	return max(1, min(w, (runs+blockSize-1)/blockSize))
}

// blockSize is the number of consecutive runs a worker takes at a time.
const blockSize = 512

// Outcome is the result of simulating a Plan: per target, the day each
// run reached the target's milestone, and counts of what the rules,
// expectations and hazards did. Aggregates are computed in run order from
// integers, so they do not depend on the number of workers.
type Outcome struct {
	plan *Plan
	runs int
	seed uint64
	days [][]int32 // [target][run]: day number, or never
	st   *stats
}

// stats are integer counters, summed over workers.
type stats struct {
	nr, ns int
	// [agent][rule][upto]: runs in which the rule fired at a milestone
	// below upto (1..nMilestones), and the delay days it added there
	ruleRuns, ruleDays []int64
	// [agent][rule][src][milestone]: firings and delay days
	trigFires, trigDays []int64
	// [agent][milestone]: runs in which the expectation placed it
	expectRuns []int64
	// [hazard]: events drawn
	hazardEvents []int64
}

func newStats(p *Plan) *stats {
	na, nr, ns := len(p.agents), len(p.rules), len(p.sched)+len(p.hazards)
	return &stats{
		nr: nr, ns: ns,
		ruleRuns: make([]int64, na*nr*(nMilestones+1)), ruleDays: make([]int64, na*nr*(nMilestones+1)),
		trigFires: make([]int64, na*nr*ns*nMilestones), trigDays: make([]int64, na*nr*ns*nMilestones),
		expectRuns: make([]int64, na*nMilestones), hazardEvents: make([]int64, len(p.hazards)),
	}
}

func (s *stats) add(o *stats) {
	for _, p := range [][2][]int64{
		{s.ruleRuns, o.ruleRuns}, {s.ruleDays, o.ruleDays},
		{s.trigFires, o.trigFires}, {s.trigDays, o.trigDays}, {s.expectRuns, o.expectRuns},
		{s.hazardEvents, o.hazardEvents},
	} {
		for i := range p[0] {
			p[0][i] += p[1][i]
		}
	}
}

func (s *stats) rule(agent, rule, upto int) int {
	return (agent*s.nr+rule)*(nMilestones+1) + upto
}

func (s *stats) trig(agent, rule, src, lvl int) int {
	return ((agent*s.nr+rule)*s.ns+src)*nMilestones + lvl
}

// worker is one goroutine's scratch: no allocation in the run loop.
type worker struct {
	rng rand.PCG
	evs []runEvent
	vm  vm.VM
	env RuleEnv
	st  *stats
	err error
	// per agent and run: the rules that fired (a bit set), the milestones
	// at which each fired, and the delay days added per milestone
	seen    uint64
	firedLv [maxRules]uint8
	lvlDays [maxRules][nMilestones]int32
}

func (w *worker) uniform() float64 { return float64(w.rng.Uint64()>>11) * 0x1p-53 }

// runSeed derives the seed of run r's streams from the simulation seed.
func runSeed(seed uint64, r int) uint64 { return splitmix64(splitmix64(seed) ^ uint64(r)) }

// Simulate runs the Monte Carlo. It returns an error only when a rule that
// is evaluated in every run fails (its memory budget), or for bad options.
func Simulate(p *Plan, o Options) (*Outcome, error) {
	runs := o.runs()
	if runs > MaxRuns {
		return nil, fmt.Errorf("%w: %d runs; the limit is %d", events.ErrInvalid, runs, MaxRuns)
	}
	out := &Outcome{plan: p, runs: runs, seed: o.Seed, days: make([][]int32, len(p.tg)), st: newStats(p)}
	for i := range out.days {
		out.days[i] = make([]int32, runs)
	}
	nw := o.workers(runs)
	workers := make([]*worker, nw)
	var next atomic.Int64
	var wg sync.WaitGroup
	for wi := range workers {
		w := &worker{st: newStats(p), evs: make([]runEvent, 0, len(p.schedRun)+maxHazardEvents*len(p.hazards))}
		workers[wi] = w
		wg.Go(func() {
			for {
				b := int(next.Add(1)) - 1
				lo := b * blockSize
				if lo >= runs || w.err != nil {
					return
				}
				for r := lo; r < min(lo+blockSize, runs); r++ {
					p.run(r, o.Seed, w, out.days)
				}
			}
		})
	}
	wg.Wait()
	for _, w := range workers {
		if w.err != nil {
			return nil, w.err
		}
		out.st.add(w.st)
	}
	return out, nil
}

// run simulates run r and stores each target's day.
func (p *Plan) run(r int, seed uint64, w *worker, days [][]int32) {
	rs := runSeed(seed, r)
	evs := append(w.evs[:0], p.schedRun...)
	if len(p.hazards) > 0 {
		base := int32(len(p.sched))
		for hi, h := range p.hazards {
			if h.rate <= 0 {
				continue
			}
			w.rng.Seed(rs, h.key)
			t := float64(p.now + 1)
			for k := int32(0); k < maxHazardEvents; k++ {
				t += -math.Log1p(-w.uniform()) / h.rate
				if t >= float64(p.horizon+1) {
					break
				}
				evs = append(evs, runEvent{day: int32(t), src: base + int32(hi), k: k, key: mix(h.key, uint64(k))})
				w.st.hazardEvents[hi]++
			}
		}
		// Insertion sort: a handful of events, mostly in order.
		for i := 1; i < len(evs); i++ {
			for j := i; j > 0 && lessEvent(&evs[j], &evs[j-1]); j-- {
				evs[j], evs[j-1] = evs[j-1], evs[j]
			}
		}
	}
	w.evs = evs
	var reach [nMilestones]int32
	for ai, a := range p.agents {
		p.simAgent(ai, a, rs, evs, w, &reach)
		for ti, t := range p.tg {
			if t.agent == ai {
				days[ti][r] = reach[t.level]
			}
		}
	}
}

func lessEvent(a, b *runEvent) bool {
	if a.day != b.day {
		return a.day < b.day
	}
	if a.src != b.src {
		return a.src < b.src
	}
	return a.k < b.k
}

// simAgent draws one agreement's future in one run into reach.
func (p *Plan) simAgent(ai int, a *agent, rs uint64, evs []runEvent, w *worker, reach *[nMilestones]int32) {
	*reach = a.reach
	for i := range reach {
		if reach[i] == noReach {
			reach[i] = never
		}
	}
	if a.ended || a.cur >= a.last {
		return
	}
	w.seen = 0
	st := w.st
	for i := a.cur; i < a.last; i++ {
		l := &a.legs[i]
		start := reach[i]
		w.rng.Seed(rs, l.key)
		d := int32(math.Round(l.s.at(w.uniform())))
		lower := start
		var end int32
		if i == a.cur {
			lower = p.now + 1
			end = p.now + max(1, d)
		} else {
			end = start + d
		}
		if x := a.expect[i+1]; x != nil {
			w.rng.Seed(rs, x.key)
			ue, u2 := w.uniform(), w.uniform()
			if ue < x.weight {
				end = max(lower, x.lo+int32(u2*float64(x.hi-x.lo+1)))
				st.expectRuns[ai*nMilestones+i+1]++
			}
		}
		if pin := a.pin[i+1]; pin != 0 {
			end = max(pin, start)
		} else {
			for k := range evs {
				ev := &evs[k]
				if ev.day < start {
					continue
				}
				if ev.day >= end {
					break
				}
				for _, h := range a.hits[ev.src] {
					if !p.fires(a, &h, i, start, ev, w) {
						continue
					}
					w.rng.Seed(rs, mix(mix(a.key, h.key), ev.key))
					dd := int32(math.Round(h.delay.at(w.uniform())))
					end = min(end+dd, p.horizon+maxDays)
					ri := int(h.rule)
					ti := st.trig(ai, ri, int(ev.src), i)
					st.trigFires[ti]++
					st.trigDays[ti] += int64(dd)
					w.seen |= 1 << ri
					w.firedLv[ri] |= 1 << i
					w.lvlDays[ri][i] += dd
				}
			}
		}
		end = max(start, min(end, a.capAt[i+2]))
		if end > a.endDay {
			for j := i + 1; j < nMilestones; j++ {
				reach[j] = never
			}
			break
		}
		reach[i+1] = end
	}
	for ri := range p.rules {
		if w.seen&(1<<ri) == 0 {
			continue
		}
		var days int64
		for upto := 1; upto <= nMilestones; upto++ {
			days += int64(w.lvlDays[ri][upto-1])
			if below := uint8(1)<<upto - 1; w.firedLv[ri]&below != 0 {
				st.ruleRuns[st.rule(ai, ri, upto)]++
				st.ruleDays[st.rule(ai, ri, upto)] += days
			}
		}
		w.firedLv[ri], w.lvlDays[ri] = 0, [nMilestones]int32{}
	}
}

// fires reports whether hit h fires on ev while a is at milestone lvl
// (reached on since).
func (p *Plan) fires(a *agent, h *ruleHit, lvl int, since int32, ev *runEvent, w *worker) bool {
	if !h.dynamic {
		return h.stages&(1<<lvl) != 0
	}
	env := &w.env
	env.Now = p.nowDate.String()
	if int(ev.src) < len(p.sched) {
		env.Event = p.sched[ev.src].env
	} else {
		env.Event = p.hazards[int(ev.src)-len(p.sched)].env
		env.Event.Date = dayString(ev.day)
	}
	env.Agreement = a.env
	env.Agreement.Stage = string(milestones[lvl])
	env.Agreement.Since = dayString(since)
	env.Agreement.DaysInStage = int(ev.day - since)
	ok, err := p.rules[h.rule].Eval(&w.vm, env)
	if err != nil && w.err == nil {
		w.err = err
	}
	return ok
}
