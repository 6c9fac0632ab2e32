package scenarios

import (
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// Base is a cut of the log that a Branch refers to. It holds the slice of
// events (the log in position order) without copying it, and the limits of
// the cut; the zero limits include everything.
type Base struct {
	// Events is the log in position order. Branches keep the slice header
	// only: the events must not be modified while a branch of them is in
	// use.
	Events []events.Event
	// Position, when positive, keeps the events at or before that global
	// position. An event's position is its Position field, or its 1-based
	// index in Events when that is zero.
	Position int64
	// KnownAt, when set, keeps the events reported by that instant
	// (events.Date.ReachedBy of the event's KnownAt date).
	KnownAt time.Time
	// RecordedBy, when set, keeps the events with no RecordedAt or recorded
	// at or before it (transaction time: what the log held then).
	RecordedBy time.Time
}

// Includes reports whether the i-th event of b.Events is in the cut.
func (b *Base) Includes(i int) bool {
	e := &b.Events[i]
	if b.Position > 0 {
		p := e.Position
		if p == 0 {
			p = int64(i + 1)
		}
		if p > b.Position {
			return false
		}
	}
	if !b.KnownAt.IsZero() && !e.KnownAt().ReachedBy(b.KnownAt) {
		return false
	}
	if !b.RecordedBy.IsZero() && !e.RecordedAt.IsZero() && e.RecordedAt.After(b.RecordedBy) {
		return false
	}
	return true
}

// Filter selects events of the log. Every non-zero field must match; the
// zero Filter matches nothing (an edit must say what it edits).
type Filter struct {
	// ID is the event id.
	ID string
	// Type is the event type ("agreement_signed").
	Type string
	// Stream is the stream ("agreement/gbr-jpn-raa").
	Stream string
	// Agreement matches events of the agreement's stream and events whose
	// payload names the agreement.
	Agreement string
	// Country matches events of the country's stream and events whose
	// payload names the country (leadership changes, statements, ...).
	Country string
	// From and To bound OccurredAt: from From's first day to To's last day.
	From, To events.Date
}

// IsZero reports whether f has no condition.
func (f *Filter) IsZero() bool { return *f == Filter{} }

// Matches reports whether e satisfies every condition of f. The zero
// Filter matches nothing.
func (f *Filter) Matches(e *events.Event) bool {
	if f.IsZero() {
		return false
	}
	if f.ID != "" && e.ID != f.ID {
		return false
	}
	if f.Type != "" && e.Type != f.Type {
		return false
	}
	if f.Stream != "" && e.Stream != f.Stream {
		return false
	}
	if f.Agreement != "" && e.Stream != events.AgreementStream(f.Agreement) && payloadAgreement(e.Data) != f.Agreement {
		return false
	}
	if f.Country != "" && e.Stream != events.CountryStream(f.Country) && payloadCountry(e.Data) != f.Country {
		return false
	}
	if !f.From.IsZero() && e.OccurredAt.Day.Before(f.From.Day) {
		return false
	}
	if !f.To.IsZero() && e.OccurredAt.Day.After(f.To.End()) {
		return false
	}
	return true
}

// String describes f: "agreement_signed of gbr-jpn-raa from 2023-01-01".
func (f Filter) String() string {
	var parts []string
	add := func(s string) { parts = append(parts, s) }
	if f.Type != "" {
		add(f.Type)
	} else {
		add("events")
	}
	if f.ID != "" {
		add("id " + f.ID)
	}
	if f.Agreement != "" {
		add("of " + f.Agreement)
	}
	if f.Country != "" {
		add("of " + f.Country)
	}
	if f.Stream != "" {
		add("in " + f.Stream)
	}
	if !f.From.IsZero() {
		add("from " + f.From.String())
	}
	if !f.To.IsZero() {
		add("to " + f.To.String())
	}
	return strings.Join(parts, " ")
}

// payloadAgreement returns the agreement a payload names, or "".
func payloadAgreement(p events.Payload) string {
	switch p := p.(type) {
	case events.AgreementPayload:
		return p.AgreementID()
	case *events.EventRetracted:
		return p.Agreement
	case *events.EventCorrected:
		return p.Agreement
	case *events.PoliticalEvent:
		return p.Agreement
	}
	return ""
}

// payloadCountry returns the country a payload names, or "".
func payloadCountry(p events.Payload) string {
	switch p := p.(type) {
	case *events.LeadershipChanged:
		return p.Country
	case *events.ElectionHeld:
		return p.Country
	case *events.GovernmentCollapsed:
		return p.Country
	case *events.StatementIssued:
		return p.Country
	case *events.PoliticalEvent:
		return p.Country
	case *events.EventRetracted:
		return p.Country
	case *events.EventCorrected:
		return p.Country
	}
	return ""
}

// Op is the kind of an Edit.
type Op string

// The edit operations.
const (
	// OpAdd adds a hypothetical event.
	OpAdd Op = "add"
	// OpRemove drops the matching events from the branch.
	OpRemove Op = "remove"
	// OpRetract keeps the matching events and adds an event_retracted for
	// each, so the projections drop them as they drop retracted facts
	// (from the retraction's date on, for queries that know of it).
	OpRetract Op = "retract"
	// OpShift moves the matching events' valid time (OccurredAt).
	OpShift Op = "shift"
	// OpReplace replaces the matching events' payload.
	OpReplace Op = "replace"
)

// Edit is one change of the overlay of a Branch.
type Edit struct {
	// Op is the operation.
	Op Op
	// Event is the event OpAdd adds. It must be normalized
	// (events.Normalize): an id, a stream, a type and an OccurredAt.
	Event events.Event
	// Match selects the events of the base the other operations change.
	Match Filter
	// ShiftTo is OpShift's new OccurredAt; when zero, ShiftDays moves
	// OccurredAt by that many days (the result has day precision). A
	// ReportedAt that would fall before the new OccurredAt is moved to it.
	ShiftTo   events.Date
	ShiftDays int
	// Data is OpReplace's new payload; it must be of the matched events'
	// type.
	Data events.Payload
	// RetractOn is the date of OpRetract's retraction; zero means the
	// retracted event's own KnownAt date (so the retraction applies
	// whenever the event is known).
	RetractOn events.Date
	// Reason is a free-text reason, kept on retractions.
	Reason string
	// Label describes the edit in explanations; Describe derives one when
	// it is empty.
	Label string
}

// Describe returns e's Label, or a description derived from the edit:
// "add leadership_changed GBR 2022-12-15", "remove agreement_signed of
// gbr-jpn-raa".
func (e *Edit) Describe() string {
	if e.Label != "" {
		return e.Label
	}
	switch e.Op {
	case OpAdd:
		return "add " + eventLabel(&e.Event)
	case OpShift:
		if !e.ShiftTo.IsZero() {
			return fmt.Sprintf("shift %s to %s", e.Match, e.ShiftTo)
		}
		return fmt.Sprintf("shift %s by %+d days", e.Match, e.ShiftDays)
	}
	return fmt.Sprintf("%s %s", e.Op, e.Match)
}

// eventLabel is a short description of an event: type, agreement or
// country, date.
func eventLabel(e *events.Event) string {
	subject := payloadAgreement(e.Data)
	if subject == "" {
		subject = payloadCountry(e.Data)
	}
	if subject == "" {
		_, subject, _ = strings.Cut(e.Stream, "/")
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", e.Type, subject, e.OccurredAt))
}

// EditError says which edit of a branch is wrong. It wraps
// events.ErrInvalid.
type EditError struct {
	// Index is the edit's 0-based index.
	Index int
	// Problem starts with the operation: "shift: no event with id x in
	// the base".
	Problem string
}

// Error reads "edit 2 (shift): ...".
func (e *EditError) Error() string { return fmt.Sprintf("edit %d: %s", e.Index+1, e.Problem) }

// Unwrap makes errors.Is(err, events.ErrInvalid) true.
func (e *EditError) Unwrap() error { return events.ErrInvalid }

// Branch is a Base plus an overlay of Edits. It never copies or changes
// the base: creating one costs time and memory in the number of edits, and
// iterating it applies the edits on the fly. A Branch is immutable and safe
// for concurrent use.
type Branch struct {
	base  Base
	edits []Edit
	// byID holds the edits whose filter is an id and nothing else, so that
	// iteration finds them with one map lookup per event; scan holds the
	// others, tested against every event.
	byID map[string][]int32
	scan []int32
}

// NewBranch returns the branch of base with edits (applied in order; the
// slice is copied, the base is not). It checks each edit alone — an add has
// a normalized event, the other operations a non-zero filter, a shift a
// target, a replace a payload — in time proportional to len(edits); Check
// compares the edits with the base. Errors are *EditError.
func NewBranch(base Base, edits ...Edit) (*Branch, error) {
	b := &Branch{base: base, edits: slices.Clone(edits)}
	for i := range b.edits {
		e := &b.edits[i]
		bad := func(format string, args ...any) error {
			return &EditError{Index: i, Problem: fmt.Sprintf("%s: ", e.Op) + fmt.Sprintf(format, args...)}
		}
		switch e.Op {
		case OpAdd:
			ev := &e.Event
			switch {
			case ev.Data == nil:
				return nil, bad("the event has no data")
			case ev.OccurredAt.IsZero():
				return nil, bad("the event has no occurred_at")
			case ev.ID == "" || ev.Stream == "" || ev.Type == "":
				return nil, bad("the event is not normalized (id, stream and type are required)")
			case ev.Type != ev.Data.EventType():
				return nil, bad("type %q does not match the payload type %q", ev.Type, ev.Data.EventType())
			}
			continue
		case OpRemove, OpRetract:
		case OpShift:
			if e.ShiftTo.IsZero() && e.ShiftDays == 0 {
				return nil, bad("give a date to shift to or a non-zero number of days")
			}
		case OpReplace:
			if e.Data == nil {
				return nil, bad("no replacement data")
			}
		default:
			return nil, &EditError{Index: i, Problem: fmt.Sprintf("unknown operation %q", e.Op)}
		}
		if e.Match.IsZero() {
			return nil, bad("the filter is empty: name an id, a type, a stream, an agreement, a country or dates")
		}
		if e.Match == (Filter{ID: e.Match.ID}) {
			if b.byID == nil {
				b.byID = map[string][]int32{}
			}
			b.byID[e.Match.ID] = append(b.byID[e.Match.ID], int32(i))
		} else {
			b.scan = append(b.scan, int32(i))
		}
	}
	return b, nil
}

// Base returns the branch's base.
func (b *Branch) Base() Base { return b.base }

// Edits returns a copy of the branch's edits.
func (b *Branch) Edits() []Edit { return slices.Clone(b.edits) }

// Events yields the branch's events: the base events the cut includes, in
// base order, with the edits applied (removed events skipped, a retracted
// event followed by its retraction, shifted and replaced events changed),
// then the added events in edit order.
//
// The yielded pointer is valid only until the next iteration step and must
// not be modified: unchanged events point into the base.
func (b *Branch) Events() iter.Seq[*events.Event] {
	return func(yield func(*events.Event) bool) {
		var (
			cur  events.Event
			retr events.Event
			hits []int32
		)
		for i := range b.base.Events {
			if !b.base.Includes(i) {
				continue
			}
			e := &b.base.Events[i]
			hits = b.hits(e, hits[:0])
			if len(hits) == 0 {
				if !yield(e) {
					return
				}
				continue
			}
			cur = *e
			removed, retracted := false, -1
			for _, h := range hits {
				ed := &b.edits[h]
				switch ed.Op {
				case OpRemove:
					removed = true
				case OpRetract:
					retracted = int(h)
				case OpShift:
					shift(&cur, ed)
				case OpReplace:
					if ed.Data.EventType() == cur.Type {
						cur.Data = ed.Data
					}
				}
			}
			if removed {
				continue
			}
			if !yield(&cur) {
				return
			}
			if retracted >= 0 {
				retraction(&retr, &cur, &b.edits[retracted])
				if !yield(&retr) {
					return
				}
			}
		}
		for i := range b.edits {
			if b.edits[i].Op == OpAdd {
				if !yield(&b.edits[i].Event) {
					return
				}
			}
		}
	}
}

// hits appends to dst the indexes of the edits (other than adds) that
// match e, in edit order.
func (b *Branch) hits(e *events.Event, dst []int32) []int32 {
	if b.byID != nil {
		dst = append(dst, b.byID[e.ID]...)
	}
	for _, i := range b.scan {
		if b.edits[i].Match.Matches(e) {
			dst = append(dst, i)
		}
	}
	if len(dst) > 1 {
		slices.Sort(dst)
	}
	return dst
}

func shift(e *events.Event, ed *Edit) {
	if !ed.ShiftTo.IsZero() {
		e.OccurredAt = ed.ShiftTo
	} else {
		e.OccurredAt = events.DayOf(e.OccurredAt.Day.AddDate(0, 0, ed.ShiftDays))
	}
	if !e.ReportedAt.IsZero() && e.ReportedAt.Day.Before(e.OccurredAt.Day) {
		e.ReportedAt = e.OccurredAt
	}
}

func retraction(dst, target *events.Event, ed *Edit) {
	on := ed.RetractOn
	if on.IsZero() {
		on = target.KnownAt()
	}
	p := &events.EventRetracted{Target: target.ID, Reason: ed.Reason}
	p.Agreement = payloadAgreement(target.Data)
	if p.Agreement == "" {
		p.Country = payloadCountry(target.Data)
	}
	*dst = events.Event{
		ID: "scenario-retract-" + target.ID, Stream: target.Stream, Type: events.TypeEventRetracted,
		SchemaVersion: 1, Data: p, OccurredAt: on, ReportedAt: on,
		Source:     events.Source{Publication: "accord scenario", Title: ed.Describe(), Date: on},
		Confidence: events.Rumoured,
	}
}

// Check compares the edits with the base: every remove, retract, shift and
// replace must match at least one event of the cut, and a replacement
// payload must be of the type of every event it replaces. It reads the
// whole base once. Errors are *EditError.
func (b *Branch) Check() error {
	n := make([]int, len(b.edits))
	var hits []int32
	for i := range b.base.Events {
		if !b.base.Includes(i) {
			continue
		}
		e := &b.base.Events[i]
		hits = b.hits(e, hits[:0])
		for _, h := range hits {
			n[h]++
			if ed := &b.edits[h]; ed.Op == OpReplace && ed.Data.EventType() != e.Type {
				return &EditError{Index: int(h), Problem: fmt.Sprintf("replace: the data is %s but event %s is %s", ed.Data.EventType(), e.ID, e.Type)}
			}
		}
	}
	for i := range b.edits {
		if e := &b.edits[i]; e.Op != OpAdd && n[i] == 0 {
			if e.Match == (Filter{ID: e.Match.ID}) {
				return &EditError{Index: i, Problem: fmt.Sprintf("%s: no event with id %s in the base", e.Op, e.Match.ID)}
			}
			return &EditError{Index: i, Problem: fmt.Sprintf("%s: no event in the base matches %s", e.Op, e.Match)}
		}
	}
	return nil
}

// Fold applies the branch's events to a new projections.Set (codec decodes
// corrections; nil means events.NewCodec()). The projections see the
// branch exactly as they would see a log holding those events.
func (b *Branch) Fold(codec *events.Codec) (*projections.Set, error) {
	set := projections.NewSet(codec)
	for e := range b.Events() {
		if err := set.Apply(e); err != nil {
			return nil, fmt.Errorf("branch event %s: %w", e.ID, err)
		}
	}
	return set, nil
}
