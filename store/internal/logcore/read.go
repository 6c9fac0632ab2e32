package logcore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/accord-dev/accord/events"
)

// Payloads collects the encoded data of a page of events, back to back in
// one buffer, for DecodePayloads.
type Payloads struct {
	buf  []byte
	ends []int
}

// Add appends the data of the next event (copied: b may be reused).
func (p *Payloads) Add(b []byte) {
	p.buf = append(p.buf, b...)
	p.ends = append(p.ends, len(p.buf))
}

// Reset empties p, keeping its buffers.
func (p *Payloads) Reset() { p.buf, p.ends = p.buf[:0], p.ends[:0] }

// parallelFrom is the page size from which DecodePayloads decodes on
// several goroutines.
const parallelFrom = 256

// DecodePayloads sets evs[i].Data to the decoded data p holds for event i
// (events.Codec.DecodeStored: the data was validated when it was appended),
// on up to GOMAXPROCS goroutines for a large page, and raises SchemaVersion
// to the codec's (DecodeStored upcasts older data). op prefixes errors,
// which name the event by position and type.
func DecodePayloads(c *events.Codec, op string, evs []events.Event, p *Payloads) error {
	if len(p.ends) != len(evs) {
		return fmt.Errorf("%s: %d payloads for %d events", op, len(p.ends), len(evs))
	}
	decode := func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			start := 0
			if i > 0 {
				start = p.ends[i-1]
			}
			e := &evs[i]
			d, err := c.DecodeStored(e.Type, e.SchemaVersion, p.buf[start:p.ends[i]:p.ends[i]])
			if err != nil {
				return fmt.Errorf("%s: event %d (%s): %w", op, e.Position, e.Type, err)
			}
			e.Data = d
			e.SchemaVersion = max(e.SchemaVersion, c.SchemaVersion(e.Type))
		}
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), len(evs)/parallelFrom+1)
	if workers <= 1 {
		return decode(0, len(evs))
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	per := (len(evs) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, len(evs))
		wg.Go(func() { errs[w] = decode(lo, hi) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// DateFromDays returns the Date of the day days after 1970-01-01 with the
// precision named ("day", "month", "year"; "" gives the zero Date).
func DateFromDays(days int64, precision string) (events.Date, error) {
	if precision == "" {
		return events.Date{}, nil
	}
	return ParseDateColumn(time.Unix(days*86400, 0).UTC(), precision)
}

// ReadEvents is the read path of both stores: rows (from query) have two
// columns, the envelope (see AppendEnvelope) and the data; ReadEvents
// parses each envelope as it arrives, then decodes the payloads
// (DecodePayloads). hint is the number of rows asked for (the
// limit).
// wrap gives database errors their kind; name ("postgres", "sqlite")
// prefixes the other errors, with op ("read all").
func ReadEvents(c *events.Codec, name, op string, hint int, buffers *sync.Pool, wrap func(op string, err error) error, query func() (*sql.Rows, error)) ([]events.Event, error) {
	rows, err := query()
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	// The limit is an upper bound, often far above what comes (a stream's
	// events), so start small and let append grow. The payloads' buffer
	// is reused from read to read (fresh memory is slow to touch).
	payloads, _ := buffers.Get().(*Payloads)
	if payloads == nil {
		payloads = &Payloads{}
	}
	defer func() {
		payloads.Reset()
		buffers.Put(payloads)
	}()
	var (
		out       = make([]events.Event, 0, min(max(hint, 0), 64))
		in        Interner
		env, data sql.RawBytes
		dest      = []any{&env, &data}
	)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, wrap(op, err)
		}
		if len(out) == cap(out) {
			// Grow eightfold (an Event is large; doubling would copy
			// the page's events many times over), up to hint.
			out = slices.Grow(out, min(max(hint, len(out)+1), 8*len(out))-len(out))
		}
		out = append(out, events.Event{})
		if err := ParseEnvelope(env, &in, &out[len(out)-1]); err != nil {
			return nil, fmt.Errorf("%s: %s: row %d: %w", name, op, len(out), err)
		}
		payloads.Add(data)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	if err := DecodePayloads(c, name+": "+op, out, payloads); err != nil {
		return nil, err
	}
	return out, nil
}

// ScanEvents is the streaming form of ReadEvents: it hands each event to
// fn as soon as its row has been read and its payload decoded, in the
// order of the rows, and returns how many it handed over. The *Event is
// the same on every call, overwritten by the next row: fn must copy what
// it keeps (its Data is a new payload each time, which fn may keep).
// fn's error stops the scan and is returned as is.
func ScanEvents(c *events.Codec, name, op string, wrap func(op string, err error) error, query func() (*sql.Rows, error), fn func(*events.Event) error) (int, error) {
	rows, err := query()
	if err != nil {
		return 0, wrap(op, err)
	}
	defer rows.Close()
	var (
		e         events.Event
		in        Interner
		env, data sql.RawBytes
		dest      = []any{&env, &data}
		n         int
	)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, wrap(op, err)
		}
		e = events.Event{}
		if err := ParseEnvelope(env, &in, &e); err != nil {
			return n, fmt.Errorf("%s: %s: row %d: %w", name, op, n+1, err)
		}
		d, err := c.DecodeStored(e.Type, e.SchemaVersion, data)
		if err != nil {
			return n, fmt.Errorf("%s: %s: event %d (%s): %w", name, op, e.Position, e.Type, err)
		}
		e.Data = d
		e.SchemaVersion = max(e.SchemaVersion, c.SchemaVersion(e.Type))
		n++
		if err := fn(&e); err != nil {
			return n, err
		}
	}
	if err := rows.Err(); err != nil {
		return n, wrap(op, err)
	}
	return n, nil
}

// Head returns the highest position in the events table of db (0 for an
// empty log). wrap gives database errors their kind.
func Head(ctx context.Context, db *sqlx.DB, wrap func(op string, err error) error) (int64, error) {
	var head int64
	if err := db.GetContext(ctx, &head, `SELECT COALESCE(max(position), 0) FROM events`); err != nil {
		return 0, wrap("head", err)
	}
	return head, nil
}

// StreamVersion returns the version of stream, the highest version of its
// events in db (0 when it has none; the unique index on (stream, version)
// answers it). wrap gives database errors their kind.
func StreamVersion(ctx context.Context, db *sqlx.DB, stream string, wrap func(op string, err error) error) (int64, error) {
	var v int64
	err := db.GetContext(ctx, &v, `SELECT COALESCE(max(version), 0) FROM events WHERE stream = $1`, stream)
	if err != nil {
		return 0, wrap("stream version", err)
	}
	return v, nil
}
