package postgres

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

// The read path selects two columns per event: the envelope (every field
// but the data; see logcore.AppendEnvelope), which lib/pq receives in
// binary from a prepared statement, and the data, text that needs no
// conversion either. The server formats nothing, and the client parses no
// dates or numbers from text.
const (
	readAllSQL    = `SELECT envelope, textsend(data) FROM events WHERE position > $1 ORDER BY position LIMIT $2`
	readStreamSQL = `SELECT envelope, textsend(data) FROM events WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3`
)

// ReadStream returns up to limit events of stream with Version >= from, in
// version order; an unknown stream gives an empty slice. limit must be 1 or
// more (else ErrInvalid).
func (l *Log) ReadStream(ctx context.Context, stream string, from int64, limit int) ([]events.Event, error) {
	if err := logcore.CheckLimit(limit); err != nil {
		return nil, err
	}
	st, err := l.prepared(ctx)
	if err != nil {
		return nil, err
	}
	return l.read(ctx, "read stream", st.readStream, stream, max(from, 1), limit)
}

// ReadAll returns up to limit events with Position > after, in position
// order. Positions are gap-free as readers see them (see the package
// comment), so following the log with the last position seen never misses
// an event. limit must be 1 or more (else ErrInvalid).
func (l *Log) ReadAll(ctx context.Context, after int64, limit int) ([]events.Event, error) {
	if err := logcore.CheckLimit(limit); err != nil {
		return nil, err
	}
	st, err := l.prepared(ctx)
	if err != nil {
		return nil, err
	}
	return l.read(ctx, "read all", st.readAll, max(after, 0), limit)
}

// Head returns the highest committed position (0 for an empty log).
func (l *Log) Head(ctx context.Context) (int64, error) {
	return logcore.Head(ctx, l.db, wrapErr)
}

// StreamVersion returns the stream's current version (0 if it has no
// events).
func (l *Log) StreamVersion(ctx context.Context, stream string) (int64, error) {
	return logcore.StreamVersion(ctx, l.db, stream, wrapErr)
}

// read runs a prepared select of the envelope and data (logcore.ReadEvents).
func (l *Log) read(ctx context.Context, op string, st *sqlx.Stmt, args ...any) ([]events.Event, error) {
	hint, _ := args[len(args)-1].(int)
	return logcore.ReadEvents(l.codec, "postgres", op, hint, &l.buffers, wrapErr, func() (*sql.Rows, error) {
		return st.QueryContext(ctx, args...)
	})
}

// ScanAll is ReadAll without the slice: it hands each event with Position >
// after, up to limit of them, to fn as soon as it is read and decoded, in
// position order, and returns how many it handed over. The *Event is
// reused from call to call (fn must copy what it keeps; its Data is new
// each time); fn's error stops the scan and is returned. Following the
// log with the last position seen never misses an event, as with ReadAll.
func (l *Log) ScanAll(ctx context.Context, after int64, limit int, fn func(*events.Event) error) (int, error) {
	if err := logcore.CheckLimit(limit); err != nil {
		return 0, err
	}
	st, err := l.prepared(ctx)
	if err != nil {
		return 0, err
	}
	return logcore.ScanEvents(l.codec, "postgres", "scan all", wrapErr, func() (*sql.Rows, error) {
		return st.readAll.QueryContext(ctx, max(after, 0), limit)
	}, fn)
}
