// Package interchange reads and writes political event data: PLOVER
// records as JSON lines and CAMEO-coded CSV in the styles of ICEWS and
// GDELT.
//
// Read maps every input record onto accord's event types where the coding
// and the text allow it (an agreement signed, talks opened, a leader
// resigning), and keeps every other record as a political_event with its
// original coding, so nothing is dropped without a count. Write exports
// events for other tools and embeds accord's own envelope in each record,
// so that an export read back reproduces the events exactly. MAPPING.md
// (also MappingMarkdown) documents the mapping.
//
// The package is pure: it does no I/O beyond the reader and writer it is
// given and never touches a store.
package interchange

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/accord-dev/accord/events"
)

// Format is an interchange format.
type Format string

// The formats.
const (
	// PLOVER is one PLOVER event record per line (JSON lines).
	PLOVER Format = "plover"
	// CAMEOCSV is CAMEO-coded CSV (or tab-separated) with a header row, in
	// the styles of ICEWS and GDELT.
	CAMEOCSV Format = "cameo-csv"
)

// Formats lists the formats.
func Formats() []Format { return []Format{PLOVER, CAMEOCSV} }

// ParseFormat parses a format name ("plover" or "cameo-csv", any case).
// The error wraps events.ErrInvalid.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case PLOVER, CAMEOCSV:
		return f, nil
	}
	return "", fmt.Errorf("%w: unknown format %q (want plover or cameo-csv)", events.ErrInvalid, clip(s))
}

// Limits on input.
const (
	// DefaultMaxBytes bounds a whole input (64 MiB).
	DefaultMaxBytes = 64 << 20
	// DefaultMaxLineBytes bounds one PLOVER line or one CSV record (1 MiB).
	DefaultMaxLineBytes = 1 << 20
)

// ReadOptions tune Read. The zero value is ready to use.
type ReadOptions struct {
	// MaxBytes bounds the input; 0 means DefaultMaxBytes. A larger input
	// is an error and nothing is read.
	MaxBytes int64
	// MaxLineBytes bounds one line (PLOVER) or record (CSV); 0 means
	// DefaultMaxLineBytes. A longer one is a bad record.
	MaxLineBytes int
	// Dataset names the data set the records come from ("POLECAT",
	// "ICEWS", "GDELT"). It is the source publication of every imported
	// event. Empty: PLOVER's cite_info.corpus, else "PLOVER"; for CSV,
	// detected from the header ("GDELT" for GLOBALEVENTID/SQLDATE/Actor1Code
	// columns, "ICEWS" for "CAMEO Code"/"Story ID"/"Source Sectors"), else
	// "CAMEO CSV".
	Dataset string
	// Analyst is set on every event mapped from a record (not on events
	// restored from an accord envelope).
	Analyst string
}

// The outcomes counted in Result.Counts, besides "mapped:<type>" and
// "restored:<type>".
const (
	// OutcomeGeneric: the record became a political_event.
	OutcomeGeneric = "generic"
	// OutcomeDuplicate: the record repeats an earlier record of the input
	// exactly (same id, same content) and was skipped.
	OutcomeDuplicate = "duplicate"
	// OutcomeBad: the record is invalid; see Result.Bad.
	OutcomeBad = "bad"
)

// MappedOutcome is the outcome of a record mapped onto accord type t.
func MappedOutcome(t string) string { return "mapped:" + t }

// RestoredOutcome is the outcome of a record that carried accord's own
// envelope (an accord export) restored as an event of type t.
func RestoredOutcome(t string) string { return "restored:" + t }

// BadRecord is an input record that could not be imported.
type BadRecord struct {
	// Line is the 1-based line where the record starts.
	Line int
	// Field names the field or column at fault ("date", "actor[1].code",
	// "CAMEO Code"), or "" for the record as a whole.
	Field string
	// Reason says what is wrong.
	Reason string
}

// String reads "line 4: date: \"2022-13-01\" is not a date ...".
func (b BadRecord) String() string {
	if b.Field == "" {
		return fmt.Sprintf("line %d: %s", b.Line, b.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", b.Line, b.Field, b.Reason)
}

// Note explains why a record that nearly matched a mapping rule was kept
// as a political_event (or was a duplicate), for the import report.
type Note struct {
	Line int
	Text string
}

// String reads "line 7: ...".
func (n Note) String() string { return fmt.Sprintf("line %d: %s", n.Line, n.Text) }

// Result is what Read found. Events are normalized and validated, in input
// order. The caller decides: by default import nothing when Bad is not
// empty (see Err); with a skip-invalid option, import Events.
type Result struct {
	Events []events.Event
	Bad    []BadRecord
	Notes  []Note
	// Counts counts records by outcome: "mapped:<type>", "restored:<type>",
	// "generic", "duplicate", "bad". They add up to Records.
	Counts map[string]int
	// Records is the number of records read (blank lines, '#' comment
	// lines and the CSV header are not records).
	Records int
}

// Summary describes the counts, one outcome per line in a stable order:
// mapped types, restored types, generic, duplicate, bad.
func (r Result) Summary() string {
	var b strings.Builder
	mapped, restored := 0, 0
	var keys []string
	for k, n := range r.Counts {
		switch {
		case strings.HasPrefix(k, "mapped:"):
			mapped += n
		case strings.HasPrefix(k, "restored:"):
			restored += n
		}
		keys = append(keys, k)
	}
	rank := func(k string) int {
		switch {
		case strings.HasPrefix(k, "mapped:"):
			return 0
		case strings.HasPrefix(k, "restored:"):
			return 1
		case k == OutcomeGeneric:
			return 2
		case k == OutcomeDuplicate:
			return 3
		case k == OutcomeBad:
			return 4
		}
		return 5
	}
	slices.SortFunc(keys, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	fmt.Fprintf(&b, "%d records: %d mapped, %d restored, %d generic, %d duplicate, %d bad\n",
		r.Records, mapped, restored, r.Counts[OutcomeGeneric], r.Counts[OutcomeDuplicate], r.Counts[OutcomeBad])
	width := 0
	for _, k := range keys {
		width = max(width, len(k))
	}
	for _, k := range keys {
		if r.Counts[k] == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %-*s %d\n", width, k, r.Counts[k])
	}
	return b.String()
}

// Err returns nil when no record is bad, else an *InvalidRecordsError
// listing the bad records (it wraps events.ErrInvalid).
func (r Result) Err() error {
	if len(r.Bad) == 0 {
		return nil
	}
	return &InvalidRecordsError{Bad: r.Bad}
}

// InvalidRecordsError lists the bad records of an input. It wraps
// events.ErrInvalid.
type InvalidRecordsError struct {
	Bad []BadRecord
}

// Error lists up to 20 bad records, one per line.
func (e *InvalidRecordsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d bad records; nothing imported", len(e.Bad))
	for i, r := range e.Bad {
		if i == 20 {
			fmt.Fprintf(&b, "\n… and %d more", len(e.Bad)-20)
			break
		}
		b.WriteString("\n")
		b.WriteString(r.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, events.ErrInvalid) true.
func (e *InvalidRecordsError) Unwrap() error { return events.ErrInvalid }

// Read parses a whole input in format f and maps every record to a
// normalized, validated event. It returns an error only when the input as
// a whole cannot be read: an I/O error, an input larger than the limit, an
// unknown format, a CSV header without the needed columns. Problems with
// single records are in Result.Bad.
func Read(c *events.Codec, f Format, r io.Reader, opts ReadOptions) (Result, error) {
	if c == nil {
		return Result{}, errors.New("interchange: Read needs a codec")
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if f != PLOVER && f != CAMEOCSV {
		_, err := ParseFormat(string(f))
		return Result{}, err
	}
	data, err := io.ReadAll(io.LimitReader(r, opts.MaxBytes+1))
	if err != nil {
		return Result{}, fmt.Errorf("read %s input: %w", f, err)
	}
	if int64(len(data)) > opts.MaxBytes {
		return Result{}, fmt.Errorf("%w: the input is larger than %d bytes", events.ErrInvalid, opts.MaxBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	rd := &reader{c: c, opts: opts, seen: map[string]seenEvent{}}
	rd.res.Counts = map[string]int{}
	switch f {
	case PLOVER:
		rd.readPLOVER(data)
	case CAMEOCSV:
		if err := rd.readCSV(data); err != nil {
			return Result{}, err
		}
	}
	return rd.res, nil
}

type seenEvent struct {
	line int
	wire []byte
}

type reader struct {
	c    *events.Codec
	opts ReadOptions
	res  Result
	seen map[string]seenEvent
}

func (rd *reader) bad(line int, field, format string, args ...any) {
	rd.res.Bad = append(rd.res.Bad, BadRecord{Line: line, Field: field, Reason: fmt.Sprintf(format, args...)})
	rd.res.Counts[OutcomeBad]++
}

func (rd *reader) note(line int, format string, args ...any) {
	rd.res.Notes = append(rd.res.Notes, Note{Line: line, Text: fmt.Sprintf(format, args...)})
}

// badErr records err as a bad record: a FieldError keeps its field.
func (rd *reader) badErr(line int, prefix string, err error) {
	var fe *events.FieldError
	if errors.As(err, &fe) {
		f := fe.Field
		if prefix != "" && f != "" {
			f = prefix + "." + f
		} else if prefix != "" {
			f = prefix
		}
		rd.bad(line, f, "%s", fe.Problem)
		return
	}
	rd.bad(line, prefix, "%v", err)
}

// add records a finished event under outcome, unless it repeats an id of
// the input: the same content is a counted duplicate, different content
// under the same id is a bad record (the log would keep only the first).
func (rd *reader) add(line int, e events.Event, outcome string) {
	w, err := events.ToWire(rd.c, &e)
	if err != nil {
		rd.bad(line, "", "cannot encode the event: %v", err)
		return
	}
	w.Version, w.Position, w.RecordedAt = 0, 0, nil
	b, _ := json.Marshal(w)
	if prev, ok := rd.seen[e.ID]; ok {
		if bytes.Equal(prev.wire, b) {
			rd.res.Counts[OutcomeDuplicate]++
			rd.note(line, "duplicate of line %d (same id %s, same content): skipped", prev.line, e.ID)
			return
		}
		rd.bad(line, "id", "%q is also the id of line %d, with different content", e.ID, prev.line)
		return
	}
	rd.seen[e.ID] = seenEvent{line: line, wire: b}
	rd.res.Events = append(rd.res.Events, e)
	rd.res.Counts[outcome]++
}

// restore decodes an embedded accord envelope (an accord export).
func (rd *reader) restore(line int, field string, raw []byte, wantID string) {
	e, err := events.ParseWire(rd.c, raw)
	if err != nil {
		rd.badErr(line, field, err)
		return
	}
	if wantID != "" && wantID != e.ID {
		rd.bad(line, field+".id", "%q does not match the record id %q", clip(e.ID), clip(wantID))
		return
	}
	rd.add(line, e, RestoredOutcome(e.Type))
}

var idRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

// finish builds, normalizes and adds the event of a mapped record.
func (rd *reader) finish(rec *record) {
	p, outcome, note := mapRecord(rec)
	if note != "" {
		rd.note(rec.line, "%s", note)
	}
	if p == nil {
		return
	}
	e := events.Event{
		Type:       p.EventType(),
		Data:       p,
		OccurredAt: rec.date,
		Source:     rec.source(),
		Confidence: events.Reported,
		Analyst:    cleanText(rd.opts.Analyst, 200),
	}
	id := rec.idPrefix + rec.originalID
	if strings.HasPrefix(rec.originalID, rec.idPrefix) {
		id = rec.originalID // an accord export read without its envelope
	}
	if rec.originalID != "" && idRe.MatchString(id) {
		e.ID = id
	}
	if err := events.Normalize(rd.c, &e); err != nil {
		rd.bad(rec.line, "", "the %s event made from this record is invalid: %v", e.Type, err)
		return
	}
	rd.add(rec.line, e, outcome)
}
