package events

import (
	"time"
)

// Event is the envelope of one fact in the log.
//
// Three time axes: OccurredAt is valid time (when it happened in the world,
// possibly partial); ReportedAt is when it first became public (defaults to
// OccurredAt; secret talks are often revealed later); RecordedAt is
// transaction time, set by the store when the event is appended and never by
// a client.
type Event struct {
	// ID is unique in the log. Appending an ID that is already there is a
	// no-op. When a client gives none, Normalize derives one from the
	// content, so the same fact imported twice is stored once.
	ID string
	// Stream is "agreement/<id>" or "country/<alpha-3>" (or another
	// "kind/name"); derived from Data when empty.
	Stream string
	// Version is the 1-based position in Stream, set by the store.
	Version int64
	// Position is the 1-based global position, set by the store.
	Position int64
	// Type is the stable past-tense type name, equal to Data.EventType().
	Type string
	// SchemaVersion is the payload's schema version (1 for every type now).
	SchemaVersion int
	// Data is the typed payload.
	Data Payload

	OccurredAt Date
	ReportedAt Date
	RecordedAt time.Time

	Source     Source
	Confidence Confidence
	Analyst    string

	CorrelationID string
	CausationID   string
}

// KnownAt returns the date from which the event counts as known: its
// ReportedAt, or OccurredAt when ReportedAt is zero.
func (e *Event) KnownAt() Date {
	if e.ReportedAt.IsZero() {
		return e.OccurredAt
	}
	return e.ReportedAt
}

// Source is the evidence for an event.
type Source struct {
	Publication string `json:"publication"`
	Title       string `json:"title,omitempty"`
	URL         string `json:"url,omitempty"`
	Date        Date   `json:"date"`
}

// IsZero reports whether no source was given.
func (s Source) IsZero() bool { return s == Source{} }

// Confidence grades the evidence.
type Confidence string

// The confidence grades, strongest first.
const (
	Confirmed Confidence = "confirmed"
	Reported  Confidence = "reported"
	Rumoured  Confidence = "rumoured"
)

// Valid reports whether c is one of the grades.
func (c Confidence) Valid() bool {
	return c == Confirmed || c == Reported || c == Rumoured
}
