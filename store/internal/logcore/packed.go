package logcore

import (
	"bytes"
	"fmt"
	"time"

	"github.com/accord-dev/accord/events"
)

// PackedTexts is the SQL, for PostgreSQL and SQLite alike, of the
// length-prefixed texts of the packed form (see ParsePacked), to be put in
// the stores' concat() after the integers. The packed form is how the
// stores read the rows of their first schema, which had a column per
// field: the migration to the envelope column reads them with it.
const PackedTexts = `octet_length(id), ':', id, octet_length(stream), ':', stream, octet_length(type), ':', type,
	octet_length(occurred_precision), ':', occurred_precision, octet_length(reported_precision), ':', reported_precision,
	octet_length(source_publication), ':', source_publication, octet_length(source_title), ':', source_title,
	octet_length(source_url), ':', source_url, octet_length(source_date_precision), ':', source_date_precision,
	octet_length(confidence), ':', confidence, octet_length(analyst), ':', analyst,
	octet_length(correlation_id), ':', correlation_id, octet_length(causation_id), ':', causation_id`

// metaReader reads the fields of the packed form (see ParsePacked).
type metaReader struct {
	b   []byte
	bad bool
}

// int reads a space-terminated integer; ok is false for an empty one.
func (r *metaReader) int() (v int64, ok bool) {
	i := bytes.IndexByte(r.b, ' ')
	if i < 0 {
		r.bad = true
		return 0, false
	}
	f := r.b[:i]
	r.b = r.b[i+1:]
	if len(f) == 0 {
		return 0, false
	}
	neg := f[0] == '-'
	if neg {
		f = f[1:]
	}
	if len(f) == 0 || len(f) > 18 {
		r.bad = true
		return 0, false
	}
	for _, c := range f {
		if c < '0' || c > '9' {
			r.bad = true
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// text reads a length-prefixed text.
func (r *metaReader) text() []byte {
	n := 0
	i := 0
	for ; i < len(r.b) && r.b[i] != ':'; i++ {
		c := r.b[i]
		if c < '0' || c > '9' || i > 9 {
			r.bad = true
			return nil
		}
		n = n*10 + int(c-'0')
	}
	if i == len(r.b) || i+1+n > len(r.b) {
		r.bad = true
		return nil
	}
	t := r.b[i+1 : i+1+n]
	r.b = r.b[i+1+n:]
	return t
}

// ParsePacked fills e, but for Data, from the packed form of a row of the
// events table that both stores' read paths select as one column: the
// integers position, version, schema_version and the days since 1970-01-01
// of occurred_at, reported_at and source_date, each followed by a space
// (empty for NULL); then the texts id, stream, type, occurred_precision,
// reported_precision, source_publication, source_title, source_url,
// source_date_precision, confidence, analyst, correlation_id and
// causation_id, each as its length in bytes, ':' and its bytes (no quoting
// or escaping: any byte may appear); then recorded_at as text (see
// ParseTimestamp). Repeated texts are shared through in.
func ParsePacked(b []byte, in *Interner, e *events.Event) error {
	r := metaReader{b: b}
	e.Position, _ = r.int()
	e.Version, _ = r.int()
	sv, _ := r.int()
	e.SchemaVersion = int(sv)
	occ, _ := r.int()
	rep, _ := r.int()
	src, hasSrc := r.int()
	e.ID = string(r.text())
	e.Stream = in.String(r.text())
	e.Type = in.String(r.text())
	occP, repP := in.String(r.text()), in.String(r.text())
	e.Source.Publication = in.String(r.text())
	e.Source.Title = in.String(r.text())
	e.Source.URL = in.String(r.text())
	srcP := in.String(r.text())
	e.Confidence = events.Confidence(in.String(r.text()))
	e.Analyst = in.String(r.text())
	e.CorrelationID = in.String(r.text())
	e.CausationID = in.String(r.text())
	if r.bad {
		return fmt.Errorf("event %d: unreadable row", e.Position)
	}
	var err error
	if e.RecordedAt, err = ParseTimestamp(r.b); err != nil {
		return fmt.Errorf("event %d: recorded_at: %w", e.Position, err)
	}
	if e.OccurredAt, err = DateFromDays(occ, occP); err != nil {
		return fmt.Errorf("event %d: occurred_at: %w", e.Position, err)
	}
	if e.ReportedAt, err = DateFromDays(rep, repP); err != nil {
		return fmt.Errorf("event %d: reported_at: %w", e.Position, err)
	}
	if hasSrc {
		if e.Source.Date, err = DateFromDays(src, srcP); err != nil {
			return fmt.Errorf("event %d: source_date: %w", e.Position, err)
		}
	}
	return nil
}

// ParseTimestamp parses the text form of a recorded_at into UTC: PostgreSQL's
// ISO form of a timestamptz ("2026-01-02 03:04:05.123456+00", the offset as
// +HH, +HH:MM or +HH:MM:SS) or the SQLite store's
// ("2026-01-02T03:04:05.123456Z").
func ParseTimestamp(b []byte) (time.Time, error) {
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, len(s) > 0
	}
	if len(b) >= 20 && b[4] == '-' && b[7] == '-' && (b[10] == ' ' || b[10] == 'T') && b[13] == ':' && b[16] == ':' {
		y, ok1 := num(b[0:4])
		mo, ok2 := num(b[5:7])
		d, ok3 := num(b[8:10])
		h, ok4 := num(b[11:13])
		mi, ok5 := num(b[14:16])
		s, ok6 := num(b[17:19])
		rest := b[19:]
		nanos := 0
		if len(rest) > 0 && rest[0] == '.' {
			i := 1
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			frac, ok := num(rest[1:i])
			if !ok || i-1 > 9 {
				return time.Time{}, fmt.Errorf("%q is not a timestamp", b)
			}
			for range 9 - (i - 1) {
				frac *= 10
			}
			nanos, rest = frac, rest[i:]
		}
		off, okOff := parseOffset(rest)
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && okOff {
			return time.Date(y, time.Month(mo), d, h, mi, s, nanos, time.UTC).Add(-time.Duration(off) * time.Second), nil
		}
	}
	// Years before 1000 or after 9999, BC: the general parser.
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07", "2006-01-02 15:04:05.999999999-07:00",
		"2006-01-02 15:04:05.999999999-07:00:00", time.RFC3339Nano} {
		if t, err := time.Parse(layout, string(b)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp", b)
}

// parseOffset parses "Z", "+HH", "+HH:MM" or "+HH:MM:SS" (or with '-')
// into seconds east of UTC.
func parseOffset(b []byte) (int, bool) {
	if len(b) == 1 && b[0] == 'Z' {
		return 0, true
	}
	if len(b) != 3 && len(b) != 6 && len(b) != 9 || (b[0] != '+' && b[0] != '-') {
		return 0, false
	}
	secs := 0
	for i, mul := 1, 3600; i < len(b); i, mul = i+3, mul/60 {
		if i > 1 && b[i-1] != ':' {
			return 0, false
		}
		hi, lo := b[i], b[i+1]
		if hi < '0' || hi > '9' || lo < '0' || lo > '9' {
			return 0, false
		}
		secs += int(hi-'0')*10*mul + int(lo-'0')*mul
	}
	if b[0] == '-' {
		secs = -secs
	}
	return secs, true
}
