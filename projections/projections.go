// Package projections folds accord's event log into read models:
// Agreements (stage, transitions, approvals, blockers, expectations),
// Leadership (holders, tenures, turnover), Network (countries and the
// agreements between them, degree and betweenness) and Timeline (events in
// valid-time order). It is pure: standard library and package events only,
// no SQL, HTTP or messaging.
//
// # API
//
// Each projection is a value with a mutating Apply(e *events.Event) error
// and query methods that take a Cut (as-of, known-at and recorded-by
// limits). This is the Apply(state, event) fold of the design notes with the
// state held by the value: the projections keep, per agreement and per
// country, the facts they need, and fold the ones a cut includes when
// asked. A Set holds the four projections over one shared store of facts,
// so a runner that needs all of them keeps each event once; a standalone
// projection keeps only what it uses (Leadership: leadership changes;
// Agreements and Network: agreement events and leadership changes;
// Timeline: everything).
//
// Memory: an event is kept as a 48-byte record without Go pointers, so that
// the garbage collector never scans the per-event arrays: its dates, its id
// (16 bytes for a UUID), its recording time, and indexes into tables of
// sources, payload contents and strings that keep what repeats once. The
// events of a stream share the sources, payload contents and agreement
// references of its recent events when they repeat them; payload strings
// that repeat (parties, offices, bodies, names) are interned; envelopes and
// payloads are not retained. A replay of the 1,000,000 events of accord
// bench's workload (2000 agreements, every event citing one of a few sources
// of its agreement; TestReplayWorkloadMemory) holds about 70 bytes per
// event; one of 1,000,000 synthetic events with a distinct source each
// (TestReplayMemory), about 130 bytes per event plus the source text.
//
// # Order independence
//
// The state is a function of the set of events applied, never of their
// arrival order or of how they were split into calls: rebuilding from zero
// equals applying incrementally in any order and any batches. Per entity,
// the facts are kept sorted by (OccurredAt, KnownAt, ID) and the state is
// the fold of that sorted list, after retractions (event_retracted: the
// target is dropped, also when it arrives after the retraction) and
// corrections (event_corrected: the target's OccurredAt and/or data are
// replaced; the replacement data is decoded with the Codec given to the
// constructor, as the target's type; when several corrections apply they
// are applied in (KnownAt, Position, ID) order, so the latest one wins for
// each field it gives). An event that arrives late but happened early, a
// correction, or a retraction therefore gives the same state as a log that
// had been right, and in valid-time order, from the start. A retraction may
// target any event, including a correction (which then no longer applies)
// or another retraction (whose target is then restored); chains are
// followed to a depth of 32. A correction that targets a retraction or a
// correction is ignored, as is correction data that does not decode
// strictly and validate as the target's type (its occurred_at still
// applies).
//
// Cost: when a new event sorts after everything an entity's cached state
// has folded and nothing retracts or corrects it, the cached state is
// extended by one step; otherwise that one entity's cache is dropped and
// recomputed when next queried. Queries with a non-zero Cut fold the
// included facts on demand. A retraction or correction whose target is not
// in the streams it names (its own, its agreement's, its country's) costs
// one pass over all facts at the next query.
//
// # Identity
//
// Events are identified by ID (derived with events.DeriveID when empty, as
// events.Normalize would), which must be unique in the log, as the stores
// guarantee. Applying the same event again is a no-op, so redelivery is
// harmless.
//
// # Determinism and concurrency
//
// Every output is sorted as its type documents; no map iteration order
// reaches an output, and query results never share memory with the
// projection. No projection is safe for concurrent use: queries update
// caches, so callers serialize Apply and queries (a mutex, or one goroutine).
// The package has no package-level mutable state.
package projections

import "github.com/accord-dev/accord/events"

// Set is the four projections over one shared store of facts. Apply on the
// Set, or on any of its members, updates all of them (an event applied
// twice, through either, counts once). Not safe for concurrent use.
type Set struct {
	Agreements *Agreements
	Leadership *Leadership
	Network    *Network
	Timeline   *Timeline

	x *core
}

// NewSet returns an empty Set. codec decodes the replacement data of
// corrections; nil means events.NewCodec().
func NewSet(codec *events.Codec) *Set {
	x := newCore(codec, needAll)
	return &Set{
		Agreements: &Agreements{x: x},
		Leadership: &Leadership{x: x},
		Network:    &Network{x: x},
		Timeline:   &Timeline{x: x},
		x:          x,
	}
}

// Apply adds one event to the Set.
//
// The event should be normalized (events.Normalize); Apply itself needs
// Data, an OccurredAt and a stream (the envelope's, else the one the
// payload implies), and derives an empty ID. It returns a *events.FieldError
// (errors.Is events.ErrInvalid) and changes nothing when those are missing;
// otherwise it returns nil. An ID already applied is a no-op.
//
// Events may arrive in any order: see the package documentation.
func (s *Set) Apply(e *events.Event) error { return s.x.apply(e) }

// ApplyAll applies evs in order and returns the first error, after applying
// the rest.
func (s *Set) ApplyAll(evs []events.Event) error {
	var first error
	for i := range evs {
		if err := s.x.apply(&evs[i]); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Len returns the number of distinct events applied (retractions and
// corrections included).
func (s *Set) Len() int { return s.x.nfacts + len(s.x.metas) }
