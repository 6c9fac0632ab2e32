package projections

import (
	"slices"
	"time"

	"github.com/accord-dev/accord/events"
)

// Stage is where an agreement stands in its lifecycle.
type Stage string

// The stages, in their usual order. StageNone is the stage of an agreement
// none of whose included events is a lifecycle event (only statements or
// expectations so far).
const (
	StageNone                 Stage = ""
	StageProposed             Stage = "proposed"
	StageNegotiating          Stage = "negotiating"
	StageStalled              Stage = "stalled"
	StageAgreedInPrinciple    Stage = "agreed_in_principle"
	StageSigned               Stage = "signed"
	StageApproved             Stage = "approved"
	StageProvisionallyApplied Stage = "provisionally_applied"
	StageInForce              Stage = "in_force"
	StageSuspended            Stage = "suspended"
	StageTerminated           Stage = "terminated"
	StageAbandoned            Stage = "abandoned"
)

// Stages returns every stage but StageNone, in lifecycle order.
func Stages() []Stage {
	return []Stage{
		StageProposed, StageNegotiating, StageStalled, StageAgreedInPrinciple, StageSigned,
		StageApproved, StageProvisionallyApplied, StageInForce, StageSuspended, StageTerminated,
		StageAbandoned,
	}
}

// rank orders the stages for "moves to a later stage": negotiating and
// stalled share a rank, as do terminated and abandoned.
func (s Stage) rank() int {
	switch s {
	case StageProposed:
		return 1
	case StageNegotiating, StageStalled:
		return 2
	case StageAgreedInPrinciple:
		return 3
	case StageSigned:
		return 4
	case StageApproved:
		return 5
	case StageProvisionallyApplied:
		return 6
	case StageInForce:
		return 7
	case StageSuspended:
		return 8
	case StageTerminated, StageAbandoned:
		return 9
	}
	return 0
}

// blocks reports whether a leadership change in a party opens a blocker
// while the agreement is at s: negotiating, stalled, agreed in principle,
// or signed and awaiting approval.
func (s Stage) blocks() bool {
	switch s {
	case StageNegotiating, StageStalled, StageAgreedInPrinciple, StageSigned:
		return true
	}
	return false
}

// nextStage is the state machine. Events are folded in valid-time order,
// so "backwards" is judged in that order, never in arrival order. It is
// lenient with missing steps (a signature with no talks before it moves
// straight to signed) and never moves back along the negotiation track: a
// talks round dated after the signature leaves the agreement signed.
// The exceptions are deliberate: talks_stalled and talks_resumed move
// between negotiating and stalled; progress after abandoned revives the
// agreement; entered_into_force after suspended reinstates it. terminated
// is final.
func nextStage(cur Stage, t typeCode, allApproved bool) Stage {
	r := cur.rank()
	revive := cur == StageAbandoned
	switch t {
	case tProposed:
		if cur == StageNone {
			return StageProposed
		}
	case tTalksOpened, tRoundHeld, tResumed:
		if r < StageNegotiating.rank() || cur == StageStalled || revive {
			return StageNegotiating
		}
	case tStalled:
		if r <= StageNegotiating.rank() && cur != StageStalled {
			return StageStalled
		}
	case tAIP, tInitialled:
		if r < StageAgreedInPrinciple.rank() || revive {
			return StageAgreedInPrinciple
		}
	case tSigned:
		if r < StageSigned.rank() || revive {
			return StageSigned
		}
	case tApproval, tExchanged:
		if allApproved && (r < StageApproved.rank() || revive) {
			return StageApproved
		}
	case tPA:
		if r < StageProvisionallyApplied.rank() || revive {
			return StageProvisionallyApplied
		}
	case tEIF:
		if cur != StageInForce && cur != StageTerminated {
			return StageInForce
		}
	case tSuspended:
		if cur != StageSuspended && cur != StageTerminated && cur != StageAbandoned {
			return StageSuspended
		}
	case tTerminated:
		return StageTerminated
	case tAbandoned:
		if r < StageProvisionallyApplied.rank() {
			return StageAbandoned
		}
	}
	return cur
}

// Agreements is the projection of agreements: per agreement its parties,
// stage, transitions, per-party approvals, open blockers, latest
// expectation and sources.
//
// The stage is the fold of the agreement's lifecycle events in valid-time
// order (OccurredAt, then KnownAt, then ID), from StageNone:
//
//	agreement_proposed             -> proposed, from none only
//	talks_opened, talks_round_held,
//	talks_resumed                  -> negotiating, from none, proposed, stalled or abandoned
//	talks_stalled                  -> stalled, from none, proposed or negotiating
//	agreed_in_principle,
//	text_initialled                -> agreed_in_principle, from any earlier stage or abandoned
//	agreement_signed               -> signed, from any earlier stage or abandoned
//	domestic_approval_completed    records the party's approval (the first one counts);
//	instruments_exchanged          records the first exchange; after either, when every
//	                                  party has approved (an AND-join) -> approved, from any
//	                                  earlier stage or abandoned
//	provisionally_applied          -> provisionally_applied, from any earlier stage or abandoned
//	entered_into_force             -> in_force, from anything but terminated
//	suspended                      -> suspended, from anything but terminated and abandoned
//	terminated                     -> terminated, from anything; final
//	abandoned                      -> abandoned, from any stage before provisionally_applied
//
// where "earlier" follows the order of Stages (negotiating and stalled
// count as one step). Anything else leaves the stage as it is: the fold is
// lenient with missing steps (historic records often start at the
// signature) but never moves back along the track, and since it runs in
// valid-time order, an earlier event arriving late cannot move it back
// either. Approvals by a country that is not a party are ignored.
//
// A blocker opens when a party country's leadership changes while the
// agreement is negotiating, stalled, agreed in principle or signed
// (awaiting approval), and stays open until the agreement moves to a later
// stage than the one it had then (stalled and negotiating count as one);
// abandonment and termination close it too.
//
// It consumes the events of agreement streams, leadership_changed events
// (for blockers), retractions and corrections; a standalone Agreements
// keeps nothing else (in a Set, one store of facts serves all four
// projections).
//
// The state is a pure function of the set of events applied: the order in
// which they arrive, and how they are split into calls, do not matter (see
// the package documentation). Not safe for concurrent use, including
// queries, which update caches.
type Agreements struct{ x *core }

// NewAgreements returns an empty projection. codec decodes the replacement
// data of corrections; nil means events.NewCodec().
func NewAgreements(codec *events.Codec) *Agreements {
	return &Agreements{x: newCore(codec, needAgreements)}
}

// Apply adds one event; see Set.Apply for the contract.
func (p *Agreements) Apply(e *events.Event) error { return p.x.apply(e) }

// At returns every agreement that has at least one event included by cut,
// sorted by id. The zero cut is served from a cache kept up to date
// incrementally; other cuts fold the included events on demand.
func (p *Agreements) At(cut Cut) []AgreementState { return p.x.agreementStates(cut) }

// Get returns one agreement at cut; ok is false when no event of it is
// included by cut.
func (p *Agreements) Get(id string, cut Cut) (AgreementState, bool) {
	return p.x.agreementState(id, cut)
}

// AgreementState is an agreement as seen at a cut. Slices are never nil and
// belong to the caller.
type AgreementState struct {
	ID string `json:"id"`
	// Parties are alpha-3 codes, sorted: those of the last event (in
	// valid-time order) that lists them, else derived from the id.
	Parties []string `json:"parties"`
	// Kind and Title are the last given.
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Stage Stage  `json:"stage"`
	// Since is the date of the event that moved the agreement to Stage.
	Since events.Date `json:"since"`
	// DaysInStage counts whole days from Since to the cut's Reference, or,
	// for a cut without one, to the date of the agreement's last event.
	// Use DaysAt for another "now".
	DaysInStage int          `json:"days_in_stage"`
	Transitions []Transition `json:"transitions"`
	// Approvals has one entry per party, sorted by party.
	Approvals []Approval `json:"approvals"`
	// Exchanged is the date instruments were first exchanged, if they were.
	Exchanged events.Date `json:"exchanged,omitzero"`
	// Blockers are the open blockers: leadership changes in a party while
	// the agreement was negotiating, stalled, agreed in principle or signed,
	// until it moved to a later stage. Sorted by date.
	Blockers          []Blocker    `json:"blockers"`
	LatestExpectation *Expectation `json:"expectation"`
	// Events counts the included events of the agreement's own stream
	// (after retractions); LastEvent is the latest of them in valid-time
	// order.
	Events    int       `json:"events"`
	LastEvent *EventRef `json:"last_event"`
}

// DaysAt returns whole days from Since to now (0 for StageNone, never
// negative).
func (s *AgreementState) DaysAt(now time.Time) int {
	if s.Stage == StageNone {
		return 0
	}
	return max(0, s.Since.DaysUntil(now))
}

// Transition is one change of stage, with the event that caused it and its
// evidence.
type Transition struct {
	Stage      Stage             `json:"stage"`
	Date       events.Date       `json:"date"`
	Type       string            `json:"type"`
	Event      string            `json:"event"`
	Source     events.Source     `json:"source"`
	Confidence events.Confidence `json:"confidence"`
}

// Approval is one party's domestic approval; Pending when not done yet.
type Approval struct {
	Party   string      `json:"party"`
	Body    string      `json:"body,omitempty"`
	Date    events.Date `json:"date"`
	Event   string      `json:"event,omitempty"`
	Pending bool        `json:"pending"`
}

// Blocker is an open blocker: a leadership change in a party country.
// Stage is the agreement's stage when it happened.
type Blocker struct {
	Country string      `json:"country"`
	Office  string      `json:"office"`
	From    string      `json:"from,omitempty"`
	To      string      `json:"to"`
	Date    events.Date `json:"date"`
	Event   string      `json:"event"`
	Stage   Stage       `json:"stage"`
}

// Expectation is the latest expectation_reported (in valid-time order).
type Expectation struct {
	ExpectedType string      `json:"expected_type"`
	ExpectedBy   events.Date `json:"expected_by"`
	SaidBy       string      `json:"said_by"`
	Summary      string      `json:"summary,omitempty"`
	ReportedAt   events.Date `json:"reported_at"`
	Event        string      `json:"event"`
}

// EventRef names an event.
type EventRef struct {
	ID         string      `json:"id"`
	Type       string      `json:"type"`
	OccurredAt events.Date `json:"occurred_at"`
	ReportedAt events.Date `json:"reported_at"`
}

// agFold is the fold state of one agreement.
type agFold struct {
	id          string
	present     bool // an event of the agreement's own stream is included
	parties     []string
	kind, title string
	stage       Stage
	since       day
	trans       []transRec
	appr        []apprRec // aligned with parties
	exchanged   day
	blockers    []blockRec
	expect      fact // the latest expectation, when hasExpect
	hasExpect   bool
	count       int
	last        fact // the latest own fact

	// the latest folded item, own or leadership, and the first own one:
	// only their keys (occ, known, id) are used
	lastAt, firstAt fact
}

type transRec struct {
	stage Stage
	typ   typeCode
	occ   day
	id    eventID
	src   uint32 // the fact's src and sdate
	sdate day
	conf  uint8
}

type apprRec struct {
	done bool
	body string
	occ  day
	id   eventID
}

type blockRec struct {
	country, office, from, to string
	occ                       day
	id                        eventID
	stage                     Stage
}

// after reports whether f sorts after everything folded so far.
func (a *agFold) after(x *core, f *fact) bool {
	return x.cmpFacts(&a.lastAt, f) < 0
}

// describe takes parties, kind and title from f when it gives them.
func (a *agFold) describe(x *core, f *fact) {
	r := x.refOf(f)
	if r == nil {
		return
	}
	if r.parties != nil {
		a.parties = r.parties
	}
	if r.kind != "" {
		a.kind = r.kind
	}
	if r.title != "" {
		a.title = r.title
	}
}

// describeAll does what describe does for each of own in turn: it takes
// each of parties, kind and title from the last item that gives it, looking
// from the end.
func (a *agFold) describeAll(x *core, own []item) {
	parties, kind, title := false, false, false
	for i := len(own) - 1; i >= 0 && !(parties && kind && title); i-- {
		r := x.refOf(&own[i].f)
		if r == nil {
			continue
		}
		if !parties && r.parties != nil {
			a.parties, parties = r.parties, true
		}
		if !kind && r.kind != "" {
			a.kind, kind = r.kind, true
		}
		if !title && r.title != "" {
			a.title, title = r.title, true
		}
	}
}

// stepFact is the fast path for a new fact of the agreement's own stream.
// It returns false when the cache must be recomputed instead.
func (a *agFold) stepFact(x *core, f *fact) bool {
	if !a.present || f.flags&fTargeted != 0 || !a.after(x, f) {
		return false
	}
	if r := x.refOf(f); r != nil && r.parties != nil && !slices.Equal(r.parties, a.parties) {
		return false
	}
	a.describe(x, f)
	a.step(x, f, "")
	return true
}

// stepLead is the fast path for a new leadership change in country. A
// change dated before the agreement's first event changes nothing.
func (a *agFold) stepLead(x *core, country string, f *fact) bool {
	if !slices.Contains(a.parties, country) {
		return true
	}
	if !a.present || f.flags&fTargeted != 0 {
		return false
	}
	if x.cmpFacts(f, &a.firstAt) < 0 {
		return true
	}
	if !a.after(x, f) {
		return false
	}
	a.step(x, f, country)
	return true
}

func (a *agFold) allApproved() bool {
	if len(a.appr) == 0 {
		return false
	}
	for _, r := range a.appr {
		if !r.done {
			return false
		}
	}
	return true
}

// step folds one item; items come in cmpFacts order.
func (a *agFold) step(x *core, f *fact, country string) {
	a.lastAt = *f
	if f.typ == tLeadership {
		if a.stage.blocks() {
			e := x.ex(f)
			a.blockers = append(a.blockers, blockRec{country: country, office: e.s1, from: e.s2, to: e.s3, occ: f.occ, id: f.eid(), stage: a.stage})
		}
		return
	}
	a.count++
	a.last = *f
	switch f.typ {
	case tExpectation:
		a.expect, a.hasExpect = *f, true
	case tApproval:
		e := x.ex(f)
		if i := slices.Index(a.parties, e.s1); i >= 0 && !a.appr[i].done {
			a.appr[i] = apprRec{done: true, body: e.s2, occ: f.occ, id: f.eid()}
		}
	case tExchanged:
		if a.exchanged == 0 {
			a.exchanged = f.occ
		}
	}
	if !isLifecycle(f.typ) {
		return
	}
	next := nextStage(a.stage, f.typ, a.allApproved())
	if next == a.stage {
		return
	}
	r := next.rank()
	a.blockers = slices.DeleteFunc(a.blockers, func(b blockRec) bool { return b.stage.rank() < r })
	a.trans = append(a.trans, transRec{stage: next, typ: f.typ, occ: f.occ, id: f.eid(), src: f.src, sdate: f.sdate, conf: f.conf})
	a.stage, a.since = next, f.occ
}

// foldAgreement folds the facts of agreement stream s that k includes,
// merged with the leadership changes of its parties.
//
// A leadership change only matters while the stage blocks (it opens a
// blocker then, and does nothing otherwise), so when no correction can have
// moved one, the changes of each party are looked up by binary search
// between consecutive facts of the agreement during which the stage
// blocks, rather than merged in full.
func (x *core) foldAgreement(s *stream, k *cutK) *agFold {
	a := &agFold{id: s.key}
	own, moved := x.collect(x.items[:0], &s.facts, k, "")
	defer func() { x.items = own[:0] }()
	if len(own) == 0 {
		return a
	}
	a.present = true
	if moved {
		x.sortItems(own)
	}
	a.firstAt = own[0].f
	a.describeAll(x, own)
	if a.parties == nil {
		a.parties = idParties(s.key)
	}
	a.appr = make([]apprRec, len(a.parties))
	leads := make([]*factList, len(a.parties))
	fast := !x.slowFold
	for j, p := range a.parties {
		leads[j] = &factList{}
		if cs := x.stream(events.CountryStream(p)); cs != nil {
			leads[j] = &cs.lead
			fast = fast && cs.leadTargeted == 0
		}
	}
	if !fast {
		n := len(own)
		for j, p := range a.parties {
			own, _ = x.collect(own, leads[j], k, p)
		}
		if len(own) > n {
			x.sortItems(own)
		}
		for i := range own {
			a.step(x, &own[i].f, own[i].country)
		}
		return a
	}
	tmp := x.tmp[:0]
	for i := range own {
		a.step(x, &own[i].f, "")
		if !a.stage.blocks() {
			continue
		}
		lo := &own[i].f
		var hi *fact
		if i+1 < len(own) {
			hi = &own[i+1].f
		}
		tmp = tmp[:0]
		for j, l := range leads {
			start, found := x.search(l, lo)
			if found {
				start++
			}
			for n := start; n < l.len() && (hi == nil || x.cmpFacts(l.at(n), hi) < 0); n++ {
				if v, ok, _ := x.view(l.at(n), k); ok {
					tmp = append(tmp, item{f: v, country: a.parties[j]})
				}
			}
		}
		x.sortItems(tmp)
		for t := range tmp {
			a.step(x, &tmp[t].f, tmp[t].country)
		}
	}
	x.tmp = tmp[:0]
	// The changes skipped count as folded for the fast path of later events.
	for _, l := range leads {
		if n := l.len(); n > 0 && a.after(x, l.at(n-1)) {
			a.lastAt = *l.at(n - 1)
		}
	}
	return a
}

// agreementFold returns the fold of agreement stream s at cut, from the
// cache for the zero cut.
func (x *core) agreementFold(s *stream, cut Cut) *agFold {
	k := compileCut(cut)
	if !cut.IsZero() {
		return x.foldAgreement(s, &k)
	}
	if s.ag == nil {
		s.ag = x.foldAgreement(s, &k)
	}
	return s.ag
}

func (x *core) agreementStates(cut Cut) []AgreementState {
	x.settle()
	out := []AgreementState{}
	for _, si := range x.sortedStreams(agreementStream) {
		if a := x.agreementFold(x.streams[si], cut); a.present {
			out = append(out, x.agreementOut(a, cut))
		}
	}
	return out
}

func (x *core) agreementState(id string, cut Cut) (AgreementState, bool) {
	x.settle()
	s := x.stream(events.AgreementStream(id))
	if s == nil {
		return AgreementState{}, false
	}
	a := x.agreementFold(s, cut)
	if !a.present {
		return AgreementState{}, false
	}
	return x.agreementOut(a, cut), true
}

// agreementOut copies a fold into an AgreementState.
func (x *core) agreementOut(a *agFold, cut Cut) AgreementState {
	st := AgreementState{
		ID:          a.id,
		Parties:     append([]string{}, a.parties...),
		Kind:        a.kind,
		Title:       a.title,
		Stage:       a.stage,
		Since:       a.since.date(),
		Transitions: make([]Transition, 0, len(a.trans)),
		Approvals:   make([]Approval, 0, len(a.parties)),
		Exchanged:   a.exchanged.date(),
		Blockers:    make([]Blocker, 0, len(a.blockers)),
		Events:      a.count,
	}
	if a.stage != StageNone {
		ref, ok := cut.Reference()
		if !ok {
			ref = a.last.occ.date().Day
		}
		st.DaysInStage = st.DaysAt(ref)
	}
	for _, t := range a.trans {
		st.Transitions = append(st.Transitions, Transition{
			Stage: t.stage, Date: t.occ.date(), Type: x.typeName(t.typ), Event: x.idText(t.id),
			Source: x.decodeSource(t.src, t.sdate), Confidence: confName(t.conf),
		})
	}
	for i, p := range a.parties {
		r := a.appr[i]
		ap := Approval{Party: p, Body: r.body, Date: r.occ.date(), Pending: !r.done}
		if r.done {
			ap.Event = x.idText(r.id)
		}
		st.Approvals = append(st.Approvals, ap)
	}
	for _, b := range a.blockers {
		st.Blockers = append(st.Blockers, Blocker{
			Country: b.country, Office: b.office, From: b.from, To: b.to,
			Date: b.occ.date(), Event: x.idText(b.id), Stage: b.stage,
		})
	}
	if e := &a.expect; a.hasExpect {
		ex := &Expectation{ReportedAt: e.known.date(), Event: x.idText(e.eid())}
		f := x.ex(e)
		ex.ExpectedType, ex.SaidBy, ex.Summary, ex.ExpectedBy = f.s1, f.s2, f.s3, f.d.date()
		st.LatestExpectation = ex
	}
	if a.count > 0 {
		st.LastEvent = &EventRef{
			ID: x.idText(a.last.eid()), Type: x.typeName(a.last.typ),
			OccurredAt: a.last.occ.date(), ReportedAt: a.last.known.date(),
		}
	}
	return st
}
