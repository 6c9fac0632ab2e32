package httpapi

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// EventReader is what the read endpoints need of the event log.
type EventReader interface {
	ReadAll(ctx context.Context, after int64, limit int) ([]events.Event, error)
	ReadStream(ctx context.Context, stream string, from int64, limit int) ([]events.Event, error)
	Head(ctx context.Context) (int64, error)
}

// Log is what the API needs of the event log: the reads and Append.
// events.Log (and so every store) has it.
type Log interface {
	EventReader
	Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error)
}

// Views gives the query handlers the projections of the log as of its
// current head. View runs fn with exclusive use of the Set (projections are
// not safe for concurrent use); fn must not keep the Set or anything that
// shares memory with it (query results never do).
type Views interface {
	View(ctx context.Context, fn func(*projections.Set) error) error
}

// LiveSet is a Views that keeps one projections.Set current by folding the
// log incrementally: each View reads the log's head and, when it has moved
// since the last View, applies the new events (projections are independent
// of arrival order and batching, so an incremental fold equals a rebuild).
// The head read is the cache key: queries between two appends cost no
// reads beyond it.
//
// Queries are serialized on a mutex. That is ample for an analyst's server;
// a heavier load would shard by keeping several Sets.
type LiveSet struct {
	log   EventReader
	codec *events.Codec

	mu       sync.Mutex
	set      *projections.Set
	position int64
}

// NewLiveSet returns a LiveSet over log; codec may be nil
// (events.NewCodec()).
func NewLiveSet(log EventReader, codec *events.Codec) *LiveSet {
	if codec == nil {
		codec = events.NewCodec()
	}
	return &LiveSet{log: log, codec: codec, set: projections.NewSet(codec)}
}

// livePage is how many events one ReadAll of the catch-up fold asks for.
const livePage = 5000

// View implements Views.
func (l *LiveSet) View(ctx context.Context, fn func(*projections.Set) error) error {
	head, err := l.log.Head(ctx)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.catchUp(ctx, head); err != nil {
		return err
	}
	return fn(l.set)
}

// Position returns the position of the last event folded.
func (l *LiveSet) Position() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.position
}

// catchUp folds the events after l.position up to head. Called with l.mu
// held.
func (l *LiveSet) catchUp(ctx context.Context, head int64) error {
	for l.position < head {
		page, err := l.log.ReadAll(ctx, l.position, min(livePage, int(head-l.position)))
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return fmt.Errorf("log head is %d but no events follow position %d", head, l.position)
		}
		// Apply rejects only events without data, date or stream, which a
		// store never returns; such an event is skipped, as the projector
		// of the read models does.
		_ = l.set.ApplyAll(page)
		l.position = page[len(page)-1].Position
	}
	return nil
}

// cutParams are the query parameters of the time axes.
var cutParams = []string{"as_of", "known_at", "recorded_by"}

// parseCut builds a projections.Cut from as_of, known_at and recorded_by:
// as_of and known_at default to now, recorded_by to no limit. A date
// covers its whole period (2022-11-30 is the end of that day, 2022-11 the
// end of November); an RFC 3339 instant is taken as it is.
func parseCut(q map[string][]string, now time.Time) (projections.Cut, error) {
	now = now.UTC()
	c := projections.Cut{AsOf: now, KnownAt: now}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"as_of", &c.AsOf}, {"known_at", &c.KnownAt}, {"recorded_by", &c.RecordedBy}} {
		v := first(q, p.name)
		if v == "" {
			continue
		}
		t, err := parseInstant(p.name, v)
		if err != nil {
			return c, err
		}
		*p.dst = t
	}
	return c, nil
}

// parseInstant turns a date parameter into the last instant it covers, or
// takes an RFC 3339 instant as it is.
func parseInstant(param, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	d, err := events.ParseDate(v)
	if err != nil {
		return time.Time{}, invalidf(param, "%v", err)
	}
	return d.End().Add(24*time.Hour - time.Nanosecond), nil
}

// first returns the first value of a query parameter, or "".
func first(q map[string][]string, name string) string {
	if vs := q[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}
