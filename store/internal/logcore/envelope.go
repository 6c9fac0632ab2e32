package logcore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/accord-dev/accord/events"
)

// The envelope column.
//
// Both stores keep, next to the columns meant for plain SQL (position, id,
// stream, version, type, the three dates, data), the whole envelope of an
// event but its data in one binary column, envelope, which the read path
// selects alone with data: the database hands over two values per row,
// unconverted, and ParseEnvelope rebuilds the event without parsing
// dates or numbers from text. AppendEnvelope writes it:
//
//	byte     format (EnvelopeFormat)
//	uvarint  position
//	uvarint  version
//	uvarint  schema_version
//	date     occurred_at
//	date     reported_at
//	date     source date
//	varint   recorded_at, microseconds since 1970-01-01 UTC
//	text     id, stream, type, source publication, source title,
//	         source URL, confidence, analyst, correlation_id, causation_id
//
// where varint is zig-zag encoded (encoding/binary's AppendVarint), a date
// is its precision as one byte (events.Precision: 0 none, 1 year, 2 month,
// 3 day) followed, unless 0, by the varint number of days from 1970-01-01
// to its first day, and a text is its uvarint length in bytes and its
// bytes. The first byte leaves room for other formats.

// EnvelopeFormat is the first byte of every envelope this version writes.
const EnvelopeFormat byte = 1

// AppendEnvelope appends the envelope of e (everything but Data; see the
// format above) to b. e's Position, Version and RecordedAt must be set.
func AppendEnvelope(b []byte, e *events.Event) []byte {
	b = append(b, EnvelopeFormat)
	b = binary.AppendUvarint(b, uint64(e.Position))
	b = binary.AppendUvarint(b, uint64(e.Version))
	b = binary.AppendUvarint(b, uint64(e.SchemaVersion))
	b = appendDate(b, e.OccurredAt)
	b = appendDate(b, e.ReportedAt)
	b = appendDate(b, e.Source.Date)
	b = binary.AppendVarint(b, e.RecordedAt.UnixMicro())
	for _, s := range [...]string{e.ID, e.Stream, e.Type, e.Source.Publication, e.Source.Title,
		e.Source.URL, string(e.Confidence), e.Analyst, e.CorrelationID, e.CausationID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// EnvelopeSize returns an upper bound of the length of e's envelope, for
// sizing buffers.
func EnvelopeSize(e *events.Event) int {
	return 1 + 3*binary.MaxVarintLen64 + 3*(1+binary.MaxVarintLen64) + binary.MaxVarintLen64 +
		10*binary.MaxVarintLen32 + len(e.ID) + len(e.Stream) + len(e.Type) + len(e.Source.Publication) +
		len(e.Source.Title) + len(e.Source.URL) + len(e.Confidence) + len(e.Analyst) + len(e.CorrelationID) + len(e.CausationID)
}

func appendDate(b []byte, d events.Date) []byte {
	if d.IsZero() {
		return append(b, byte(events.PrecisionNone))
	}
	b = append(b, byte(d.Precision))
	return binary.AppendVarint(b, d.Day.Unix()/86400)
}

// errEnvelope is the error of an envelope that cannot be read.
var errEnvelope = errors.New("unreadable envelope")

// envelopeReader reads the fields of an envelope; after the first field
// that cannot be read, bad is set and every read returns zero.
type envelopeReader struct {
	b   []byte
	bad bool
}

func (r *envelopeReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *envelopeReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

// maxDays bounds the days of a stored date (about ±25 million years), so
// that a damaged envelope cannot overflow time arithmetic.
const maxDays = 1 << 33

func (r *envelopeReader) date() events.Date {
	if len(r.b) == 0 {
		r.bad = true
		return events.Date{}
	}
	p := events.Precision(r.b[0])
	r.b = r.b[1:]
	if p == events.PrecisionNone {
		return events.Date{}
	}
	days := r.varint()
	if p > events.PrecisionDay || days > maxDays || days < -maxDays {
		r.bad = true
		return events.Date{}
	}
	return events.Date{Day: time.Unix(days*86400, 0).UTC(), Precision: p}
}

func (r *envelopeReader) text() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return nil
	}
	t := r.b[:n:n]
	r.b = r.b[n:]
	return t
}

// ParseEnvelope fills e, but for Data, from an envelope written by
// AppendEnvelope. Texts that repeat from event to event (stream, type,
// source, confidence...) come from in, so that the events of one read
// share them; the id is a new string.
func ParseEnvelope(b []byte, in *Interner, e *events.Event) error {
	if len(b) == 0 || b[0] != EnvelopeFormat {
		if len(b) == 0 {
			return errEnvelope
		}
		return fmt.Errorf("%w: format %d (this program reads %d)", errEnvelope, b[0], EnvelopeFormat)
	}
	r := envelopeReader{b: b[1:]}
	e.Position = int64(r.uvarint())
	e.Version = int64(r.uvarint())
	e.SchemaVersion = int(r.uvarint())
	e.OccurredAt = r.date()
	e.ReportedAt = r.date()
	e.Source.Date = r.date()
	rec := r.varint()
	e.ID = string(r.text())
	e.Stream = in.field(fStream, r.text())
	e.Type = in.field(fType, r.text())
	e.Source.Publication = in.field(fPublication, r.text())
	e.Source.Title = in.field(fTitle, r.text())
	e.Source.URL = in.field(fURL, r.text())
	e.Confidence = events.Confidence(in.field(fConfidence, r.text()))
	e.Analyst = in.field(fAnalyst, r.text())
	e.CorrelationID = in.field(fCorrelation, r.text())
	e.CausationID = in.field(fCausation, r.text())
	if r.bad || len(r.b) != 0 || e.Position <= 0 {
		return errEnvelope
	}
	e.RecordedAt = time.UnixMicro(rec).UTC()
	return nil
}

// The texts of an envelope that an Interner shares.
const (
	fStream = iota
	fType
	fPublication
	fTitle
	fURL
	fConfidence
	fAnalyst
	fCorrelation
	fCausation
	nFields
)

// Interner returns one string for equal texts read in one call, so that
// the stream, type, source and other values that repeat from event to
// event are allocated once per call (and shared by its events) instead of
// once per event. It remembers the last value of each field (events in a
// row often share them) and, up to a bound, every value seen. The zero
// Interner is ready to use; it is not safe for concurrent use.
type Interner struct {
	last [nFields]string
	m    map[string]string
}

// maxInterned bounds an Interner's table; past it, new values are not kept.
const maxInterned = 4096

// String returns b as a string, the same string for equal b.
func (in *Interner) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if in.m == nil {
		in.m = make(map[string]string)
	}
	if len(in.m) < maxInterned {
		in.m[s] = s
	}
	return s
}

// field is String for field f, trying f's last value first.
func (in *Interner) field(f int, b []byte) string {
	if string(b) == in.last[f] {
		return in.last[f]
	}
	s := in.String(b)
	in.last[f] = s
	return s
}
