// Package logcore holds the backend-neutral part of accord's event stores:
// preparing an append request (normalizing and checking its events),
// resolving idempotent retries, planning positions and versions for a batch
// of requests, and converting partial dates to and from their column form.
//
// Every store backend (store/postgres, store/sqlite) runs the same steps
// with its own SQL:
//
//  1. Prepare each request (no database access).
//  2. In the write transaction, look up the requests' ids (ResolveDuplicates):
//     requests whose ids are all in the log are finished (the original
//     positions), requests with only some are invalid.
//  3. Take the log's write lock (the log_head row), read the current head
//     position and the versions of the streams involved.
//  4. Plan: check expected versions and assign versions, positions and
//     RecordedAt to the requests that pass; conflicting requests get a
//     *events.ConflictError and write nothing.
//  5. Write the planned rows and the new stream versions and head, commit.
//
// The steps take a batch of requests so that a group-commit writer (Group)
// can put many concurrent Append calls into one transaction; a
// request-level failure (conflict, invalid) never fails the other requests
// of the batch, and the requests of a batch are planned as if they had run
// one after the other.
//
// The package also holds what the stores' read paths share: the packed
// form of a row (ParsePacked) and the parallel decoding of payloads
// (DecodePayloads).
package logcore

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/accord-dev/accord/events"
)

// Request is one Append call, prepared for a store. Result and Err are its
// outcome once a batch has been processed; they are meaningful only when
// the transaction that processed the batch commits.
type Request struct {
	Stream   string
	Expected events.ExpectedVersion
	// Events are normalized copies of the caller's events (the caller's
	// slice is never modified).
	Events []events.Event
	// Data[i] is the JSON encoding of Events[i].Data.
	Data [][]byte

	Result events.AppendResult
	Err    error
	// Done is true once the request needs no write (all duplicates, or an
	// error).
	Done bool
}

// Prepare validates an Append call and returns its request. Every event is
// copied, its Stream set to stream when empty, normalized with
// events.Normalize (which derives a content id when the ID is empty), and
// its store-set fields cleared. Errors wrap events.ErrInvalid: an empty
// batch, a bad expected version, an event of another stream, an invalid
// event (the message names it by its index, "events[2]") or the same id
// twice.
func Prepare(c *events.Codec, stream string, expected events.ExpectedVersion, evs []events.Event) (*Request, error) {
	if len(evs) == 0 {
		return nil, fmt.Errorf("append to %q: no events: %w", clip(stream), events.ErrInvalid)
	}
	if expected < events.Any {
		return nil, fmt.Errorf("append to %q: expected version %d is not a version, Any (-1) or NoStream (0): %w", clip(stream), int64(expected), events.ErrInvalid)
	}
	if stream == "" {
		return nil, &events.FieldError{Field: "stream", Problem: "append needs a stream name"}
	}
	r := &Request{
		Stream:   stream,
		Expected: expected,
		Events:   make([]events.Event, len(evs)),
		Data:     make([][]byte, len(evs)),
	}
	var seen map[string]int // for large batches; small ones are searched
	if len(evs) > smallBatch {
		seen = make(map[string]int, len(evs))
	}
	// The data of all the events, back to back in one buffer.
	buf := make([]byte, 0, len(evs)*dataSizeHint)
	for i := range evs {
		e, data, err := prepareEvent(c, stream, evs[i], &buf)
		if err != nil {
			return nil, fmt.Errorf("append to %q: events[%d]: %w", clip(stream), i, err)
		}
		j, dup := -1, false
		if seen != nil {
			j, dup = seen[e.ID]
			seen[e.ID] = i
		} else {
			for k := range i {
				if r.Events[k].ID == e.ID {
					j, dup = k, true
					break
				}
			}
		}
		if dup {
			return nil, fmt.Errorf("append to %q: events[%d] and events[%d] have the same id %q: %w", clip(stream), j, i, e.ID, events.ErrInvalid)
		}
		r.Events[i] = e
		r.Data[i] = data
	}
	return r, nil
}

// smallBatch is the size up to which Prepare looks for repeated ids by
// comparing every pair (cheaper than a map for a few events).
const smallBatch = 16

// dataSizeHint is the room Prepare makes for each event's encoded data.
const dataSizeHint = 384

// prepareEvent copies e into stream (an empty Stream becomes stream, another
// one is an error), clears its store-set fields, normalizes it and encodes
// its data, at the end of *buf (nil: a buffer of its own).
func prepareEvent(c *events.Codec, stream string, e events.Event, buf *[]byte) (events.Event, []byte, error) {
	if e.Stream == "" {
		e.Stream = stream
	}
	if e.Stream != stream {
		return e, nil, &events.FieldError{Field: "stream", Problem: fmt.Sprintf("%q is not the stream of the append %q", clip(e.Stream), clip(stream))}
	}
	e.Version, e.Position, e.RecordedAt = 0, 0, time.Time{}
	if err := events.Normalize(c, &e); err != nil {
		return e, nil, err
	}
	if buf == nil {
		data, err := c.Encode(e.Data)
		return e, data, err
	}
	start := len(*buf)
	out, err := c.AppendEncode(*buf, e.Data)
	if err != nil {
		return e, nil, err
	}
	*buf = out
	return e, out[start:len(out):len(out)], nil
}

// Reset clears the outcome of r so that it can be processed again (after a
// transaction was rolled back).
func (r *Request) Reset() {
	r.Result, r.Err, r.Done = events.AppendResult{}, nil, false
	for i := range r.Events {
		r.Events[i].Version, r.Events[i].Position, r.Events[i].RecordedAt = 0, 0, time.Time{}
	}
}

// IDs returns the ids of the events of every request of the batch.
func IDs(reqs []*Request) []string {
	var ids []string
	for _, r := range reqs {
		for i := range r.Events {
			ids = append(ids, r.Events[i].ID)
		}
	}
	return ids
}

// Streams returns the distinct streams of the requests not yet done.
func Streams(reqs []*Request) []string {
	var out []string
	for _, r := range reqs {
		if !r.Done && !slices.Contains(out, r.Stream) {
			out = append(out, r.Stream)
		}
	}
	return out
}

// Stored is where an event already in the log is.
type Stored struct {
	Position int64
	Version  int64
}

// ResolveDuplicates finishes the requests whose ids are in found (the ids
// already in the log): when all of a request's ids are there it is done
// with the original positions and Duplicates = len; when only some are it
// is done with an ErrInvalid error. It reports whether any request is left
// to write.
func ResolveDuplicates(reqs []*Request, found map[string]Stored) (pending bool) {
	for _, r := range reqs {
		if r.Done {
			continue
		}
		var dups []int
		for i := range r.Events {
			if _, ok := found[r.Events[i].ID]; ok {
				dups = append(dups, i)
			}
		}
		switch {
		case len(dups) == 0:
			pending = true
		case len(dups) == len(r.Events):
			res := events.AppendResult{
				Positions:  make([]int64, len(r.Events)),
				Versions:   make([]int64, len(r.Events)),
				Duplicates: len(r.Events),
			}
			for i := range r.Events {
				s := found[r.Events[i].ID]
				res.Positions[i], res.Versions[i] = s.Position, s.Version
			}
			r.Result, r.Done = res, true
		default:
			r.Err = fmt.Errorf("append to %q: %d of %d events are already in the log (first: event %d, id %q); "+
				"a retry must resend exactly the original batch: %w",
				r.Stream, len(dups), len(r.Events), dups[0], r.Events[dups[0]].ID, events.ErrInvalid)
			r.Done = true
		}
	}
	return pending
}

// Row is one event to insert, with its store-set fields filled, and its
// encoded data.
type Row struct {
	Event *events.Event
	Data  []byte
}

// Plan is what a batch writes.
type Plan struct {
	// Rows in position order.
	Rows []Row
	// Streams maps each written stream to its new version.
	Streams map[string]int64
	// Head is the new highest position.
	Head int64
	// RecordedAt is the transaction time given to every row.
	RecordedAt time.Time
}

// MakePlan checks the expected version of every pending request against
// versions (the streams' current versions, read under the write lock;
// missing streams are at 0) and assigns versions, positions after head, and
// recordedAt to the requests that pass, in request order, as if they had
// been appended one after the other:
//
//   - A request that fails gets a *events.ConflictError; a later request of
//     the same batch and stream sees the versions of the earlier ones.
//   - A request whose ids were all written by earlier requests of the batch
//     (two callers appending the same events at once) is a duplicate of
//     them: the positions and versions of those events, Duplicates = len,
//     whatever its expected version. One with only some of them is
//     ErrInvalid, like a partial duplicate of events already in the log.
//
// ResolveDuplicates must have run first: MakePlan does not look for ids
// already in the log.
func MakePlan(reqs []*Request, versions map[string]int64, head int64, recordedAt time.Time) Plan {
	p := Plan{Streams: map[string]int64{}, Head: head, RecordedAt: recordedAt}
	var written map[string]*events.Event // ids written by earlier requests of the batch
	for _, r := range reqs {
		if r.Done {
			continue
		}
		if len(written) > 0 && resolveInBatch(r, written) {
			continue
		}
		actual, ok := p.Streams[r.Stream]
		if !ok {
			actual = versions[r.Stream]
		}
		if !r.Expected.Matches(actual) {
			r.Err = &events.ConflictError{Stream: r.Stream, Expected: r.Expected, Actual: actual}
			r.Done = true
			continue
		}
		r.Result = events.AppendResult{
			Positions: make([]int64, len(r.Events)),
			Versions:  make([]int64, len(r.Events)),
		}
		if written == nil && len(reqs) > 1 {
			written = make(map[string]*events.Event)
		}
		for i := range r.Events {
			e := &r.Events[i]
			actual++
			p.Head++
			e.Version, e.Position, e.RecordedAt = actual, p.Head, recordedAt
			r.Result.Positions[i], r.Result.Versions[i] = e.Position, e.Version
			p.Rows = append(p.Rows, Row{Event: e, Data: r.Data[i]})
			if written != nil {
				written[e.ID] = e
			}
		}
		p.Streams[r.Stream] = actual
		r.Done = true
	}
	return p
}

// resolveInBatch finishes r when some of its ids were written by earlier
// requests of its batch (see MakePlan) and reports whether it did.
func resolveInBatch(r *Request, written map[string]*events.Event) bool {
	n := 0
	for i := range r.Events {
		if _, ok := written[r.Events[i].ID]; ok {
			n++
		}
	}
	switch n {
	case 0:
		return false
	case len(r.Events):
		res := events.AppendResult{
			Positions:  make([]int64, n),
			Versions:   make([]int64, n),
			Duplicates: n,
		}
		for i := range r.Events {
			e := written[r.Events[i].ID]
			res.Positions[i], res.Versions[i] = e.Position, e.Version
		}
		r.Result = res
	default:
		r.Err = fmt.Errorf("append to %q: %d of %d events are being appended by a concurrent call with other events; "+
			"a retry must resend exactly the original batch: %w", clip(r.Stream), n, len(r.Events), events.ErrInvalid)
	}
	r.Done = true
	return true
}

// RecordedAt returns the transaction time for a batch: now in UTC truncated
// to microseconds (the precision both databases keep), but never before
// last, the RecordedAt of the previous batch, so that RecordedAt never
// decreases in position order even if the clock steps back.
func RecordedAt(now, last time.Time) time.Time {
	t := now.UTC().Truncate(time.Microsecond)
	if !last.IsZero() && t.Before(last) {
		return last.UTC()
	}
	return t
}

// CheckLimit returns an ErrInvalid error unless limit is positive: every
// read is bounded.
func CheckLimit(limit int) error {
	if limit <= 0 {
		return fmt.Errorf("read limit %d: must be 1 or more: %w", limit, events.ErrInvalid)
	}
	return nil
}

// DateColumn returns the column form of d: the first day as "YYYY-MM-DD"
// and the precision as "day", "month" or "year". The zero Date gives ("", "").
func DateColumn(d events.Date) (day, precision string) {
	if d.IsZero() {
		return "", ""
	}
	return d.Day.Format("2006-01-02"), d.Precision.String()
}

// ParseDateColumn is the inverse of DateColumn, from the day's calendar
// fields and the precision name. An empty precision gives the zero Date.
func ParseDateColumn(day time.Time, precision string) (events.Date, error) {
	var p events.Precision
	switch precision {
	case "":
		return events.Date{}, nil
	case "day":
		p = events.PrecisionDay
	case "month":
		p = events.PrecisionMonth
	case "year":
		p = events.PrecisionYear
	default:
		return events.Date{}, fmt.Errorf("stored date precision %q is not day, month or year", precision)
	}
	return events.Date{Day: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC), Precision: p}, nil
}

// ParseDateText parses the text column form "YYYY-MM-DD" with its precision
// (see ParseDateColumn). An empty day gives the zero Date.
func ParseDateText(day, precision string) (events.Date, error) {
	if day == "" {
		return events.Date{}, nil
	}
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		return events.Date{}, fmt.Errorf("stored date %q: %w", day, err)
	}
	return ParseDateColumn(t, precision)
}

// ErrRetry marks an error after which a whole append transaction may be
// run again: a unique violation from a concurrent writer that slipped past
// the optimistic duplicate check, a serialization failure or a deadlock.
var ErrRetry = errors.New("retry the append")

// MaxAttempts bounds how many times an append transaction is run when it
// fails with ErrRetry.
const MaxAttempts = 5

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// ImportResult counts what an import did.
type ImportResult struct {
	// Appended counts the events written.
	Appended int
	// Duplicates counts the events skipped because their id was already in
	// the log or earlier in the input.
	Duplicates int
}

// ImportChunk is how many events an import writes per statement batch (and
// reports progress after).
const ImportChunk = 500

// PrepareImport validates evs for an import: each event, in input order,
// becomes a request of its own to its stream (Stream, or the stream its
// data implies) with expected version Any. An event whose id appeared
// earlier in the input is dropped and counted in dups. Errors wrap
// ErrInvalid and name the event by its 1-based number in evs ("input event
// 3").
func PrepareImport(c *events.Codec, evs []events.Event) (reqs []*Request, dups int, err error) {
	if len(evs) == 0 {
		return nil, 0, fmt.Errorf("import: no events: %w", events.ErrInvalid)
	}
	seen := make(map[string]bool, len(evs))
	reqs = make([]*Request, 0, len(evs))
	for i := range evs {
		stream := evs[i].Stream
		if stream == "" && evs[i].Data != nil {
			stream = evs[i].Data.StreamName()
		}
		if stream == "" {
			return nil, 0, fmt.Errorf("import: input event %d: %w", i+1, &events.FieldError{Field: "stream", Problem: "is required when data names no agreement or country"})
		}
		e, data, err := prepareEvent(c, stream, evs[i], nil)
		if err != nil {
			return nil, 0, fmt.Errorf("import: input event %d: %w", i+1, err)
		}
		if seen[e.ID] {
			dups++
			continue
		}
		seen[e.ID] = true
		reqs = append(reqs, &Request{Stream: stream, Expected: events.Any, Events: []events.Event{e}, Data: [][]byte{data}})
	}
	return reqs, dups, nil
}

// Count adds up the outcomes of processed import requests. A request that
// failed (which an import's requests cannot: expected Any, one event each)
// is returned as the error.
func Count(reqs []*Request) (ImportResult, error) {
	var res ImportResult
	for _, r := range reqs {
		switch {
		case r.Err != nil:
			return ImportResult{}, r.Err
		case r.Result.Duplicates > 0:
			res.Duplicates += r.Result.Duplicates
		default:
			res.Appended += len(r.Result.Positions)
		}
	}
	return res, nil
}
