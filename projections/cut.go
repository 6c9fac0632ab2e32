package projections

import (
	"time"

	"github.com/accord-dev/accord/events"
)

// Cut selects the events a query sees, on the three time axes of an event.
// A zero field means "no limit" on that axis; the zero Cut sees everything.
//
//   - AsOf (valid time): an event is included iff e.OccurredAt.ReachedBy(AsOf).
//   - KnownAt (reporting time): included iff e.KnownAt().ReachedBy(KnownAt),
//     that is, it had been reported by then.
//   - RecordedBy (transaction time): included iff the event has no
//     RecordedAt or !e.RecordedAt.After(RecordedBy). (The folds compare
//     nanoseconds since 1970, so instants outside the years 1678 to 2262
//     are clamped to that range.)
//
// Partial dates: a date known only to the month or year counts from the
// first day of its period ("2022-05" has happened, or been reported, by any
// instant on or after 2022-05-01T00:00Z); this is events.Date.ReachedBy.
//
// Retractions and corrections are events too and are subject to the cut,
// on the knowledge axes only: a retraction or correction applies at a cut
// iff it had been reported by KnownAt and recorded by RecordedBy. AsOf does
// not filter them, because a retraction says that its target never
// happened, at any valid time: a fact retracted in June is absent from the
// state as of March when the query knows of the retraction, and present
// when the query's KnownAt is before the retraction was reported.
type Cut struct {
	AsOf       time.Time `json:"as_of,omitzero"`
	KnownAt    time.Time `json:"known_at,omitzero"`
	RecordedBy time.Time `json:"recorded_by,omitzero"`
}

// IsZero reports whether c has no limit on any axis.
func (c Cut) IsZero() bool {
	return c.AsOf.IsZero() && c.KnownAt.IsZero() && c.RecordedBy.IsZero()
}

// Includes reports whether e passes all three limits of c. It does not look
// at retractions or corrections: for those, see the type's documentation.
func (c Cut) Includes(e *events.Event) bool {
	return c.Knows(e) && (c.AsOf.IsZero() || e.OccurredAt.ReachedBy(c.AsOf))
}

// Knows reports whether e passes the knowledge limits of c (KnownAt and
// RecordedBy), ignoring AsOf. This is the test for retractions and
// corrections.
func (c Cut) Knows(e *events.Event) bool {
	if !c.KnownAt.IsZero() && !e.KnownAt().ReachedBy(c.KnownAt) {
		return false
	}
	if !c.RecordedBy.IsZero() && !e.RecordedAt.IsZero() && e.RecordedAt.After(c.RecordedBy) {
		return false
	}
	return true
}

// Reference returns the instant that "now" means for c: AsOf when set, else
// KnownAt, else RecordedBy; ok is false for a cut with no limit. Durations
// such as days in a stage and turnover windows are measured up to it.
func (c Cut) Reference() (t time.Time, ok bool) {
	switch {
	case !c.AsOf.IsZero():
		return c.AsOf, true
	case !c.KnownAt.IsZero():
		return c.KnownAt, true
	case !c.RecordedBy.IsZero():
		return c.RecordedBy, true
	}
	return time.Time{}, false
}

// cutK is a Cut compiled for the fold loops: whole days since the Unix
// epoch for the date axes and seconds/nanoseconds for RecordedBy.
type cutK struct {
	hasAsOf, hasKnown, hasRec bool
	asOf, known               int32
	rec                       int64
}

func compileCut(c Cut) cutK {
	var k cutK
	if !c.AsOf.IsZero() {
		k.hasAsOf, k.asOf = true, dayLimit(c.AsOf)
	}
	if !c.KnownAt.IsZero() {
		k.hasKnown, k.known = true, dayLimit(c.KnownAt)
	}
	if !c.RecordedBy.IsZero() {
		k.hasRec, k.rec = true, nanos(c.RecordedBy)
	}
	return k
}

// dayLimit returns the last whole day (since the epoch) whose first instant
// is at or before t: a date whose first day is d is reached by t iff
// d <= dayLimit(t).
func dayLimit(t time.Time) int32 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return clampDays(d)
}

func clampDays(d int64) int32 {
	const lim = 1 << 28 // packed days keep two bits for the precision
	switch {
	case d > lim:
		return lim
	case d < -lim:
		return -lim
	}
	return int32(d)
}

// knows applies the knowledge axes to a known date and a recording time.
func (k *cutK) knows(known day, hasRec bool, rec int64) bool {
	if k.hasKnown && known.days() > k.known {
		return false
	}
	if k.hasRec && hasRec && rec > k.rec {
		return false
	}
	return true
}

// reaches applies the valid-time axis.
func (k *cutK) reaches(occ day) bool { return !k.hasAsOf || occ.days() <= k.asOf }

// day is a packed events.Date: whole days since 1970-01-01 shifted left by
// two bits, or-ed with the precision. Packed values order exactly as
// events.Date.Compare orders dates; 0 is the zero Date.
type day int32

func packDate(d events.Date) day {
	if d.IsZero() {
		return 0
	}
	s := d.Day.Unix()
	n := s / 86400
	if s%86400 < 0 {
		n--
	}
	return day(clampDays(n)<<2 | int32(d.Precision&3))
}

func (d day) days() int32 { return int32(d) >> 2 }

func (d day) date() events.Date {
	if d == 0 {
		return events.Date{}
	}
	return events.Date{Day: time.Unix(int64(d.days())*86400, 0).UTC(), Precision: events.Precision(d & 3)}
}

// daysUntil returns whole days from the first day of d to t.
func (d day) daysUntil(t time.Time) int { return d.date().DaysUntil(t) }
