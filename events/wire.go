package events

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxWireEventBytes is the largest JSON line accepted for one event (64 KiB).
const MaxWireEventBytes = 64 << 10

// WireEvent is the JSON form of an event used for import, `--output json`
// and the HTTP API. Dates are strings in the forms ParseDate accepts.
//
// On input, id and stream are optional (derived when absent) and the fields
// the store sets (version, position, recorded_at) are ignored.
type WireEvent struct {
	ID            string          `json:"id,omitempty"`
	Type          string          `json:"type"`
	Stream        string          `json:"stream,omitempty"`
	Version       int64           `json:"version,omitempty"`
	Position      int64           `json:"position,omitempty"`
	SchemaVersion int             `json:"schema_version,omitempty"`
	OccurredAt    string          `json:"occurred_at"`
	ReportedAt    string          `json:"reported_at,omitempty"`
	RecordedAt    *time.Time      `json:"recorded_at,omitempty"`
	Data          json.RawMessage `json:"data"`
	Source        *Source         `json:"source"`
	Confidence    string          `json:"confidence"`
	Analyst       string          `json:"analyst,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	CausationID   string          `json:"causation_id,omitempty"`
}

// ParseWire decodes one JSON line strictly into a normalized, validated
// Event. Errors are *FieldError values naming the field (wrap them with
// WithLine to add the line number).
func ParseWire(c *Codec, line []byte) (Event, error) {
	if len(line) > MaxWireEventBytes {
		return Event{}, invalid("", "the event is %d bytes; the limit is %d", len(line), MaxWireEventBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var w WireEvent
	if err := dec.Decode(&w); err != nil {
		return Event{}, envelopeError(err)
	}
	if dec.More() {
		return Event{}, invalid("", "more than one JSON value on the line")
	}
	if err := checkKeys(line, ""); err != nil {
		return Event{}, err
	}
	return w.Event(c)
}

func envelopeError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var tpe *time.ParseError
	switch {
	case errors.As(err, &te):
		if te.Field == "" {
			return invalid("", "an event must be a JSON object, not a JSON %s", te.Value)
		}
		return typeError(jsonField(te.Field), te)
	case errors.As(err, &tpe):
		// recorded_at is set by the store and ignored on input, but a
		// value that is there must still be a time.
		return invalid("recorded_at", "%q is not an RFC 3339 time (recorded_at is set by the store; leave it out)", clip(tpe.Value))
	case errors.As(err, &se):
		return invalid("", "not valid JSON: %v", err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(name, "is not a field of an event")
	case errors.Is(err, io.EOF):
		return invalid("", "empty input")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("", "not valid JSON: the object is cut short")
	}
	if strings.Contains(err.Error(), "is not a date") {
		return invalid("source.date", "%v", err)
	}
	return invalid("", "%v", err)
}

// Event converts the wire form into a normalized, validated Event.
func (w *WireEvent) Event(c *Codec) (Event, error) {
	var e Event
	if w.Type == "" {
		return e, invalid("type", "is required")
	}
	if !c.Knows(w.Type) {
		return e, c.unknownType(w.Type)
	}
	if len(w.Data) == 0 || string(w.Data) == "null" {
		return e, invalid("data", "is required")
	}
	p, err := c.Decode(w.Type, w.SchemaVersion, w.Data)
	if err != nil {
		return e, err
	}
	if w.OccurredAt == "" {
		return e, invalid("occurred_at", "is required (YYYY-MM-DD, YYYY-MM or YYYY)")
	}
	occ, err := ParseDate(w.OccurredAt)
	if err != nil {
		return e, invalid("occurred_at", "%v", err)
	}
	var rep Date
	if w.ReportedAt != "" {
		if rep, err = ParseDate(w.ReportedAt); err != nil {
			return e, invalid("reported_at", "%v", err)
		}
	}
	e = Event{
		ID: w.ID, Stream: w.Stream, Type: w.Type, SchemaVersion: c.SchemaVersion(w.Type), Data: p,
		OccurredAt: occ, ReportedAt: rep, Confidence: Confidence(w.Confidence), Analyst: w.Analyst,
		CorrelationID: w.CorrelationID, CausationID: w.CausationID,
	}
	if w.Source != nil {
		e.Source = *w.Source
	}
	if err := Normalize(c, &e); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Normalize fills what can be derived (Stream from Data, ReportedAt from
// OccurredAt, SchemaVersion, and a content-derived ID when none is given)
// and then validates the whole event. Store-set fields are left alone.
func Normalize(c *Codec, e *Event) error {
	if e.Data == nil {
		return invalid("data", "is required")
	}
	if e.Type == "" {
		e.Type = e.Data.EventType()
	}
	if e.Type != e.Data.EventType() {
		return invalid("type", "%q does not match the payload type %q", e.Type, e.Data.EventType())
	}
	if e.SchemaVersion == 0 {
		e.SchemaVersion = c.SchemaVersion(e.Type)
	}
	derived := e.Data.StreamName()
	if e.Stream == "" {
		e.Stream = derived
	}
	if e.ReportedAt.IsZero() {
		e.ReportedAt = e.OccurredAt
	}
	if err := Validate(e); err != nil {
		return err
	}
	if derived != "" && e.Stream != derived && e.Type != TypeEventRetracted && e.Type != TypeEventCorrected {
		return invalid("stream", "%q does not match the stream %q implied by data", clip(e.Stream), derived)
	}
	if e.ID == "" {
		id, err := DeriveID(c, e)
		if err != nil {
			return err
		}
		e.ID = id
	}
	return nil
}

// Validate checks an event's envelope and payload. Payload errors are
// reported under "data".
func Validate(e *Event) error {
	if e.ID != "" && !validID(e.ID) {
		return invalid("id", "%q is not an id (1 to 128 letters, digits, '.', '_', ':' or '-')", clip(e.ID))
	}
	if e.Data == nil {
		return invalid("data", "is required")
	}
	if err := e.Data.Validate(); err != nil {
		return prefixField("data", err)
	}
	if e.Stream == "" {
		return invalid("stream", "is required for %s when data names no agreement or country", e.Type)
	}
	if !validStream(e.Stream) {
		return invalid("stream", "%q is not a stream name (kind/name, e.g. agreement/gbr-jpn-raa)", clip(e.Stream))
	}
	if e.OccurredAt.IsZero() {
		return invalid("occurred_at", "is required")
	}
	if !e.ReportedAt.IsZero() && e.ReportedAt.Before(e.OccurredAt) && e.ReportedAt.Day.Before(e.OccurredAt.Day) {
		return invalid("reported_at", "%s is before occurred_at %s: a fact cannot be reported before it happened", e.ReportedAt, e.OccurredAt)
	}
	if e.Source.Publication == "" {
		return invalid("source.publication", "is required: every event carries its evidence")
	}
	if e.Source.Title == "" && e.Source.URL == "" {
		return invalid("source.title", "a source needs a title or a url")
	}
	if e.Source.Date.IsZero() {
		return invalid("source.date", "is required")
	}
	// In this order (a map made it random which of two bad texts was named).
	for _, t := range [...]struct{ field, text string }{
		{"source.publication", e.Source.Publication}, {"source.title", e.Source.Title},
		{"source.url", e.Source.URL}, {"analyst", e.Analyst},
	} {
		if err := checkText(t.field, t.text); err != nil {
			return err
		}
	}
	if e.Source.URL != "" && !strings.HasPrefix(e.Source.URL, "https://") && !strings.HasPrefix(e.Source.URL, "http://") {
		return invalid("source.url", "%q is not an http(s) URL", clip(e.Source.URL))
	}
	if e.Confidence == "" {
		return invalid("confidence", "is required (confirmed, reported or rumoured)")
	}
	if !e.Confidence.Valid() {
		return invalid("confidence", "%q is not one of confirmed, reported, rumoured", clip(string(e.Confidence)))
	}
	if id := e.CorrelationID; id != "" && !validID(id) {
		return invalid("correlation_id", "%q is not an id", clip(id))
	}
	if id := e.CausationID; id != "" && !validID(id) {
		return invalid("causation_id", "%q is not an id", clip(id))
	}
	return nil
}

// DeriveID returns the content-derived id of e: a UUID-shaped hash (version
// nibble 8) of its type, stream, occurred and reported dates and data, so
// the same fact imported twice gets the same id.
func DeriveID(c *Codec, e *Event) (string, error) {
	data, err := c.Encode(e.Data)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, part := range []string{e.Type, e.Stream, e.OccurredAt.String(), e.KnownAt().String()} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(data)
	sum := h.Sum(nil)[:16]
	sum[6] = (sum[6] & 0x0f) | 0x80 // version 8: custom
	sum[8] = (sum[8] & 0x3f) | 0x80 // RFC 4122 variant
	x := hex.EncodeToString(sum)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32], nil
}

// ToWire returns the wire form of e, for output.
func ToWire(c *Codec, e *Event) (WireEvent, error) {
	data, err := c.Encode(e.Data)
	if err != nil {
		return WireEvent{}, err
	}
	w := WireEvent{
		ID: e.ID, Type: e.Type, Stream: e.Stream, Version: e.Version, Position: e.Position,
		SchemaVersion: e.SchemaVersion, OccurredAt: e.OccurredAt.String(), ReportedAt: e.ReportedAt.String(),
		Data: data, Confidence: string(e.Confidence), Analyst: e.Analyst,
		CorrelationID: e.CorrelationID, CausationID: e.CausationID,
	}
	src := e.Source
	w.Source = &src
	if !e.RecordedAt.IsZero() {
		t := e.RecordedAt.UTC()
		w.RecordedAt = &t
	}
	return w, nil
}

// ReadLines splits JSONL input into events, validating every line before
// returning any. It returns all line errors (up to max, 0 for no limit) so
// a user can fix a file in one pass. Blank lines and lines starting with
// '#' are skipped, as is a UTF-8 byte-order mark at the start.
func ReadLines(c *Codec, data []byte, max int) ([]Event, []error) {
	var (
		out  []Event
		errs []error
	)
	// A byte-order mark, which some editors write, is not part of line 1.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		e, err := ParseWire(c, line)
		if err != nil {
			errs = append(errs, WithLine(i+1, err))
			if max > 0 && len(errs) >= max {
				break
			}
			continue
		}
		out = append(out, e)
	}
	return out, errs
}

// Summary returns a one-line description of e for tables and logs.
func Summary(e *Event) string {
	return fmt.Sprintf("%s %s %s", e.OccurredAt, e.Type, e.Stream)
}
