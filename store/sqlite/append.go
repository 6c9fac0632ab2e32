package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

// Append writes evs to stream atomically, as events.Log specifies:
//
//   - Every event is copied and normalized (events.Normalize); an event
//     whose Stream is neither empty nor stream, an invalid event, an empty
//     batch or an id given twice is an ErrInvalid error.
//   - If all ids are already in the log, nothing is written and the result
//     has the original positions and versions and Duplicates = len(evs),
//     whatever expected is. If only some are, the request is ErrInvalid.
//   - If expected does not match the stream's version, the error is a
//     *events.ConflictError naming both; nothing is written.
//   - Otherwise the events get versions after the stream's, positions after
//     the log's head (gap-free, in commit order) and one RecordedAt from the
//     configured clock (UTC, microseconds, never before the previous
//     append's).
//
// Appends take turns on the Log's write lock (waiting respects ctx) and on
// SQLite's (waiting for another process fails with ErrUnavailable after
// the busy timeout).
func (l *Log) Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	req, err := logcore.Prepare(l.codec, stream, expected, evs)
	if err != nil {
		return events.AppendResult{}, err
	}
	if err := l.appendRequests(ctx, []*logcore.Request{req}); err != nil {
		return events.AppendResult{}, err
	}
	if req.Err != nil {
		return events.AppendResult{}, req.Err
	}
	return req.Result, nil
}

// appendRequests processes reqs in one transaction under the write lock,
// running it again when it fails with a retryable error (a unique
// violation: only possible when another process wrote the same ids between
// our read and our write, which BEGIN IMMEDIATE rules out, but cheap to
// handle). On success every request has its outcome (Result or Err).
func (l *Log) appendRequests(ctx context.Context, reqs []*logcore.Request) error {
	if err := l.lock(ctx); err != nil {
		return err
	}
	defer l.unlock()
	var err error
	for attempt := 1; attempt <= logcore.MaxAttempts; attempt++ {
		for _, r := range reqs {
			r.Reset()
		}
		if err = l.appendTx(ctx, reqs); err == nil || !errors.Is(err, logcore.ErrRetry) {
			return err
		}
	}
	return fmt.Errorf("%w: append gave up after %d attempts: %w", events.ErrConflict, logcore.MaxAttempts, err)
}

// appendTx runs appendBatch in an IMMEDIATE transaction (the DSN makes
// every transaction one) and commits when something was written.
func (l *Log) appendTx(ctx context.Context, reqs []*logcore.Request) (err error) {
	tx, err := l.db.BeginTxx(ctx, nil)
	if err != nil {
		return wrapErr("begin", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	wrote, err := l.appendBatch(ctx, tx, reqs)
	if err != nil {
		return err
	}
	if !wrote {
		_ = tx.Rollback()
		return nil
	}
	if err := tx.Commit(); err != nil {
		return wrapErr("commit", err)
	}
	return nil
}

// appendBatch writes the requests of a batch in tx, which holds the write
// lock, and reports whether it wrote anything. Request-level outcomes
// (duplicates, ErrInvalid, conflicts) go to each request; an error return
// means the transaction must be rolled back and all requests failed (or
// retried). The batch must not hold the same event id in two requests.
func (l *Log) appendBatch(ctx context.Context, tx *sqlx.Tx, reqs []*logcore.Request) (bool, error) {
	found, err := lookupIDs(ctx, tx, logcore.IDs(reqs))
	if err != nil {
		return false, err
	}
	if !logcore.ResolveDuplicates(reqs, found) {
		return false, nil
	}
	head, last, err := readHead(ctx, tx)
	if err != nil {
		return false, err
	}
	versions, err := streamVersions(ctx, tx, logcore.Streams(reqs))
	if err != nil {
		return false, err
	}
	plan := logcore.MakePlan(reqs, versions, head, logcore.RecordedAt(l.clock(), last))
	if len(plan.Rows) == 0 {
		return false, nil
	}
	if err := upsertStreams(ctx, tx, plan.Streams); err != nil {
		return false, err
	}
	if err := insertEvents(ctx, tx, plan.Rows, plan.RecordedAt); err != nil {
		return false, err
	}
	if err := setHead(ctx, tx, plan.Head, plan.RecordedAt); err != nil {
		return false, err
	}
	return true, nil
}

// jsonArg encodes v as a JSON text parameter, for json_each.
func jsonArg(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings and maps of strings to integers always encode
	}
	return string(b)
}

// lookupIDs returns where the given ids are in the log.
func lookupIDs(ctx context.Context, tx *sqlx.Tx, ids []string) (map[string]logcore.Stored, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, position, version FROM events WHERE id IN (SELECT value FROM json_each(?))`, jsonArg(ids))
	if err != nil {
		return nil, wrapErr("look up ids", err)
	}
	defer rows.Close()
	found := map[string]logcore.Stored{}
	for rows.Next() {
		var (
			id string
			s  logcore.Stored
		)
		if err := rows.Scan(&id, &s.Position, &s.Version); err != nil {
			return nil, wrapErr("look up ids", err)
		}
		found[id] = s
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("look up ids", err)
	}
	return found, nil
}

// readHead returns the last allocated position and the last RecordedAt
// (zero before the first append). The IMMEDIATE transaction already holds
// the write lock.
func readHead(ctx context.Context, tx *sqlx.Tx) (int64, time.Time, error) {
	var (
		head int64
		last sql.NullString
	)
	err := tx.QueryRowContext(ctx, `SELECT position, recorded_at FROM log_head WHERE id = 1`).Scan(&head, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, errors.New("sqlite: log_head has no row: the schema is not migrated")
	}
	if err != nil {
		return 0, time.Time{}, wrapErr("read head", err)
	}
	if !last.Valid {
		return head, time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, last.String)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("sqlite: log_head.recorded_at %q: %w", last.String, err)
	}
	return head, t, nil
}

// setHead records the new last position and RecordedAt.
func setHead(ctx context.Context, tx *sqlx.Tx, head int64, recordedAt time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE log_head SET position = ?, recorded_at = ? WHERE id = 1`,
		head, recordedAt.UTC().Format(recordedAtLayout))
	return wrapErr("set head", err)
}

// streamVersions returns the current versions of the given streams (a
// stream without events is absent).
func streamVersions(ctx context.Context, tx *sqlx.Tx, streams []string) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT stream, version FROM streams WHERE stream IN (SELECT value FROM json_each(?))`, jsonArg(streams))
	if err != nil {
		return nil, wrapErr("stream versions", err)
	}
	defer rows.Close()
	out := make(map[string]int64, len(streams))
	for rows.Next() {
		var (
			s string
			v int64
		)
		if err := rows.Scan(&s, &v); err != nil {
			return nil, wrapErr("stream versions", err)
		}
		out[s] = v
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("stream versions", err)
	}
	return out, nil
}

// upsertStreams sets the versions of the given streams (passed as one JSON
// object of stream to version).
func upsertStreams(ctx context.Context, tx *sqlx.Tx, versions map[string]int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO streams (stream, version)
		SELECT key, value FROM json_each(?) WHERE true
		ON CONFLICT (stream) DO UPDATE SET version = excluded.version`, jsonArg(versions))
	return wrapErr("update streams", err)
}

const insertEventSQL = `INSERT INTO events (position, id, stream, version, type, schema_version, data,
	occurred_at, occurred_precision, reported_at, reported_precision, recorded_at,
	source_publication, source_title, source_url, source_date, source_date_precision,
	confidence, analyst, correlation_id, causation_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''))`

// insertEvents inserts the planned rows with one prepared statement;
// recordedAt is every row's recorded_at.
func insertEvents(ctx context.Context, tx *sqlx.Tx, rows []logcore.Row, recordedAt time.Time) error {
	stmt, err := tx.PrepareContext(ctx, insertEventSQL)
	if err != nil {
		return wrapErr("insert events", err)
	}
	defer stmt.Close()
	rec := recordedAt.UTC().Format(recordedAtLayout)
	for _, r := range rows {
		e := r.Event
		occ, occP := logcore.DateColumn(e.OccurredAt)
		rep, repP := logcore.DateColumn(e.ReportedAt)
		src, srcP := logcore.DateColumn(e.Source.Date)
		if _, err := stmt.ExecContext(ctx, e.Position, e.ID, e.Stream, e.Version, e.Type, e.SchemaVersion, string(r.Data),
			occ, occP, rep, repP, rec,
			e.Source.Publication, e.Source.Title, e.Source.URL, src, srcP,
			string(e.Confidence), e.Analyst, e.CorrelationID, e.CausationID); err != nil {
			return wrapErr("insert events", err)
		}
	}
	return nil
}

// Import appends evs, which may belong to many streams, in one
// transaction: all or nothing. Each event goes to its Stream (or the
// stream its data implies) after the stream's current events, in input
// order, whatever the stream's version (expected version Any). Events
// whose id is already in the log, or earlier in evs, are skipped and
// counted as duplicates, so importing the same file twice appends nothing
// the second time. Invalid events fail the whole import with ErrInvalid
// naming the event ("input event 3").
//
// progress, when not nil, is called with the number of input events
// handled so far, after every chunk of logcore.ImportChunk events. The
// import holds the write lock throughout, so concurrent appends wait for
// it.
func (l *Log) Import(ctx context.Context, evs []events.Event, progress func(done int)) (logcore.ImportResult, error) {
	reqs, dups, err := logcore.PrepareImport(l.codec, evs)
	if err != nil {
		return logcore.ImportResult{}, err
	}
	if err := l.lock(ctx); err != nil {
		return logcore.ImportResult{}, err
	}
	defer l.unlock()
	for attempt := 1; ; attempt++ {
		for _, r := range reqs {
			r.Reset()
		}
		err = l.importTx(ctx, reqs, dups, progress)
		if err == nil || !errors.Is(err, logcore.ErrRetry) {
			break
		}
		if attempt == logcore.MaxAttempts {
			return logcore.ImportResult{}, fmt.Errorf("%w: import gave up after %d attempts: %w", events.ErrConflict, attempt, err)
		}
	}
	if err != nil {
		return logcore.ImportResult{}, err
	}
	res, err := logcore.Count(reqs)
	res.Duplicates += dups
	return res, err
}

// importTx processes the requests of an import in chunks in one
// transaction.
func (l *Log) importTx(ctx context.Context, reqs []*logcore.Request, dups int, progress func(int)) (err error) {
	tx, err := l.db.BeginTxx(ctx, nil)
	if err != nil {
		return wrapErr("begin", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for start := 0; start < len(reqs); start += logcore.ImportChunk {
		end := min(start+logcore.ImportChunk, len(reqs))
		if _, err := l.appendBatch(ctx, tx, reqs[start:end]); err != nil {
			return err
		}
		if progress != nil {
			progress(dups + end)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrapErr("commit", err)
	}
	return nil
}
