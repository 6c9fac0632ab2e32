package postgres

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

// batch builds the array arguments of accord_append ($1 to $9 of
// appendSQL) for a batch of events, one array per column, written straight
// from the events: data, envelopes (logcore.AppendEnvelope), ids, streams,
// types, positions, versions, occurred_at and reported_at (first days).
type batch struct {
	cols [9]column
	// recordedAt, when not nil, also collects each event's RecordedAt
	// (the migration copies events of many batches at once).
	recordedAt column
	// assumedStreams and assumedVersions are the streams whose versions
	// the plan assumed, and those versions (see assume).
	assumedStreams, assumedVersions column
	n                               int
	env                             []byte // scratch for one envelope
	binary                          bool
}

// The columns of a batch, in the order of accord_append's arrays (the
// largest first: see migrations/00004).
const (
	colData = iota
	colEnvelope
	colID
	colStream
	colType
	colPosition
	colVersion
	colOccurred
	colReported
)

// newBatch returns an empty batch whose arrays are in PostgreSQL's binary
// format (for a pool whose connections send []byte parameters in binary)
// or, without binary, text literals.
func newBatch(binary bool) *batch {
	b := &batch{binary: binary}
	for i := range b.cols {
		b.cols[i] = b.newColumn(columnOIDs[i])
	}
	b.assumedStreams, b.assumedVersions = b.newColumn(oidText), b.newColumn(oidInt8)
	return b
}

// columnOIDs are the element types of the columns (pg_type oids).
var columnOIDs = [...]uint32{colPosition: oidInt8, colID: oidText, colStream: oidText, colVersion: oidInt8,
	colType: oidText, colOccurred: oidDate, colReported: oidDate, colEnvelope: oidBytea, colData: oidText}

func (b *batch) newColumn(elem uint32) column {
	if b.binary {
		return newBinaryArray(elem)
	}
	return &arrayLiteral{}
}

// reset empties the batch, keeping its buffers for the next one.
func (b *batch) reset() {
	for _, c := range b.cols {
		c.reset()
	}
	if b.recordedAt != nil {
		b.recordedAt.reset()
	}
	b.assumedStreams.reset()
	b.assumedVersions.reset()
	b.n = 0
}

// perRowRecordedAt makes the batch collect each event's RecordedAt too
// (args does not return it; the migration passes recordedAt.value()).
func (b *batch) perRowRecordedAt() { b.recordedAt = b.newColumn(oidTimestamptz) }

// add appends one event with its encoded data. e's Position, Version and
// RecordedAt must be set.
func (b *batch) add(e *events.Event, data []byte) {
	b.env = logcore.AppendEnvelope(b.env[:0], e)
	b.cols[colPosition].int(e.Position)
	b.cols[colID].text(e.ID)
	b.cols[colStream].text(e.Stream)
	b.cols[colVersion].int(e.Version)
	b.cols[colType].text(e.Type)
	b.cols[colOccurred].date(e.OccurredAt.Day)
	b.cols[colReported].date(e.KnownAt().Day)
	b.cols[colEnvelope].blob(b.env)
	b.cols[colData].bytes(data)
	if b.recordedAt != nil {
		b.recordedAt.time(e.RecordedAt)
	}
	b.n++
}

// assume sets the streams whose versions the plan assumed, for
// accord_append to check (see planOptimistic).
func (b *batch) assume(versions map[string]int64) {
	for s, v := range versions {
		b.assumedStreams.text(s)
		b.assumedVersions.int(v)
	}
}

// args returns the arrays, in accord_append's order: the columns, then the
// assumed streams and their versions.
func (b *batch) args() []any {
	return append(b.columns(), b.assumedStreams.value(), b.assumedVersions.value())
}

// columns returns the arrays of the columns, in accord_append's order,
// with room for more arguments.
func (b *batch) columns() []any {
	out := make([]any, 0, len(b.cols)+8)
	for _, c := range b.cols {
		out = append(out, c.value())
	}
	return out
}

// column builds an array parameter element by element.
type column interface {
	int(v int64)
	text(s string)
	// bytes appends a text given as bytes.
	bytes(b []byte)
	// blob appends a bytea.
	blob(b []byte)
	// date appends the day of t (UTC).
	date(t time.Time)
	// time appends a timestamptz.
	time(t time.Time)
	// value returns the parameter. It stays valid until the next reset.
	value() any
	// reset empties the array, keeping its buffer.
	reset()
}

// The element types of the arrays (pg_type oids).
const (
	oidInt8        uint32 = 20
	oidInt4        uint32 = 23
	oidText        uint32 = 25
	oidBytea       uint32 = 17
	oidDate        uint32 = 1082
	oidTimestamptz uint32 = 1184
)

// binaryArray builds a one-dimensional array without NULLs in
// PostgreSQL's binary format (array_recv): a header (dimensions, flags,
// element type, length, lower bound) and each element as its length and
// its bytes (an int8 as 8 bytes, an int4 as 4, big-endian; a date as the
// int4 days since 2000-01-01; a timestamptz as the int8 microseconds since
// 2000-01-01 UTC; text and bytea as they are). Sent as a binary parameter,
// the server reads it without the parsing and unescaping of a text
// literal.
type binaryArray struct {
	b    []byte
	n    int
	elem uint32
}

const binaryArrayHeader = 20

// pgEpoch is PostgreSQL's epoch for dates and timestamps, in Unix seconds.
const pgEpoch = 946684800 // 2000-01-01T00:00:00Z

func newBinaryArray(elem uint32) *binaryArray {
	a := &binaryArray{b: make([]byte, binaryArrayHeader, 512), elem: elem}
	binary.BigEndian.PutUint32(a.b[0:], 1) // dimensions
	binary.BigEndian.PutUint32(a.b[4:], 0) // no NULLs
	binary.BigEndian.PutUint32(a.b[8:], elem)
	binary.BigEndian.PutUint32(a.b[16:], 1) // lower bound
	return a
}

func (a *binaryArray) int(v int64) {
	if a.elem == oidInt4 {
		a.b = binary.BigEndian.AppendUint32(a.b, 4)
		a.b = binary.BigEndian.AppendUint32(a.b, uint32(int32(v)))
	} else {
		a.b = binary.BigEndian.AppendUint32(a.b, 8)
		a.b = binary.BigEndian.AppendUint64(a.b, uint64(v))
	}
	a.n++
}

func (a *binaryArray) text(s string) {
	a.b = binary.BigEndian.AppendUint32(a.b, uint32(len(s)))
	a.b = append(a.b, s...)
	a.n++
}

func (a *binaryArray) bytes(b []byte) {
	a.b = binary.BigEndian.AppendUint32(a.b, uint32(len(b)))
	a.b = append(a.b, b...)
	a.n++
}

func (a *binaryArray) blob(b []byte) { a.bytes(b) }

func (a *binaryArray) date(t time.Time) {
	days := (t.Unix() - pgEpoch) / 86400
	if t.Unix() < pgEpoch && (t.Unix()-pgEpoch)%86400 != 0 {
		days-- // floor, for a time that is not midnight
	}
	a.b = binary.BigEndian.AppendUint32(a.b, 4)
	a.b = binary.BigEndian.AppendUint32(a.b, uint32(int32(days)))
	a.n++
}

func (a *binaryArray) time(t time.Time) {
	a.b = binary.BigEndian.AppendUint32(a.b, 8)
	a.b = binary.BigEndian.AppendUint64(a.b, uint64(t.UnixMicro()-pgEpoch*1_000_000))
	a.n++
}

func (a *binaryArray) reset() {
	a.b, a.n = a.b[:binaryArrayHeader], 0
	binary.BigEndian.PutUint32(a.b[0:], 1)
}

func (a *binaryArray) value() any {
	if a.n == 0 {
		// No dimensions: the empty array.
		binary.BigEndian.PutUint32(a.b[0:], 0)
		return a.b[:12]
	}
	binary.BigEndian.PutUint32(a.b[12:], uint32(a.n))
	return a.b
}

// arrayLiteral builds the text form of a PostgreSQL array ("{1,2}",
// `{a,"b c","d\\"e"}`), element by element, without the intermediate
// slices and reflection of pq.Array.
type arrayLiteral struct {
	b []byte
}

func (a *arrayLiteral) sep() {
	if len(a.b) == 0 {
		a.b = append(a.b, '{')
	} else {
		a.b = append(a.b, ',')
	}
}

// int appends an integer element.
func (a *arrayLiteral) int(v int64) {
	a.sep()
	a.b = strconv.AppendInt(a.b, v, 10)
}

// text appends a text element, quoted (and its quotes and backslashes
// escaped) when the array syntax needs it.
func (a *arrayLiteral) text(s string) {
	a.sep()
	if !needsQuotes(s) {
		a.b = append(a.b, s...)
		return
	}
	a.quoted(s)
}

// bytes appends a text element given as bytes (always quoted).
func (a *arrayLiteral) bytes(b []byte) {
	a.sep()
	a.quoted(string(b))
}

// quoted appends s in double quotes, its quotes and backslashes escaped.
func (a *arrayLiteral) quoted(s string) {
	a.b = append(a.b, '"')
	for len(s) > 0 {
		i := strings.IndexAny(s, `"\`)
		if i < 0 {
			a.b = append(a.b, s...)
			break
		}
		a.b = append(a.b, s[:i]...)
		a.b = append(a.b, '\\', s[i])
		s = s[i+1:]
	}
	a.b = append(a.b, '"')
}

// blob appends a bytea element in hex form ("\\x0102", the backslash
// escaped for the array syntax).
func (a *arrayLiteral) blob(b []byte) {
	a.sep()
	a.b = append(a.b, `"\\x`...)
	a.b = hex.AppendEncode(a.b, b)
	a.b = append(a.b, '"')
}

// date appends the day of t as YYYY-MM-DD (years 0 to 9999).
func (a *arrayLiteral) date(t time.Time) {
	a.sep()
	a.b = t.UTC().AppendFormat(a.b, "2006-01-02")
}

// time appends t in ISO 8601 with microseconds, in UTC.
func (a *arrayLiteral) time(t time.Time) {
	a.sep()
	a.b = t.UTC().AppendFormat(a.b, "2006-01-02T15:04:05.000000Z07:00")
}

func (a *arrayLiteral) reset() { a.b = a.b[:0] }

// value returns the literal ("{}" for no elements), as a string.
func (a *arrayLiteral) value() any { return a.String() }

// String returns the literal ("{}" for no elements).
func (a *arrayLiteral) String() string {
	if len(a.b) == 0 {
		return "{}"
	}
	return string(append(a.b, '}'))
}

// needsQuotes reports whether s must be quoted as an array element: it is
// empty, NULL in any case, or holds a character that the array syntax
// gives a meaning to (braces, comma, quote, backslash, white space).
func needsQuotes(s string) bool {
	if s == "" || len(s) == 4 && strings.EqualFold(s, "null") {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			return true
		}
	}
	return false
}
