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

// Append writes evs to stream atomically, as events.Log specifies (see
// there for normalization, idempotent retries and conflicts). The events get
// versions after the stream's, positions after the log's head (gap-free, in
// commit order) and one RecordedAt from the configured clock (UTC,
// microseconds, never before the previous append's).
//
// Concurrent calls are committed together, in one transaction, each with
// its own outcome, as if they had run one after the other (group commit;
// see the package comment). Batches take turns on the Log's write lock and
// on SQLite's (waiting for another process fails with ErrUnavailable after
// the busy timeout, and fails every call of the batch).
func (l *Log) Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	return logcore.Append(ctx, l.codec, l.group, stream, expected, evs)
}

// commitBatch is the group-commit writer's logcore.Commit: it processes
// one batch of requests in one transaction under the write lock, running
// it again when it fails with a retryable error (a unique violation: only
// possible when another process wrote the same ids between our read and
// our write, which BEGIN IMMEDIATE rules out, but cheap to handle).
func (l *Log) commitBatch(ctx context.Context, reqs []*logcore.Request) error {
	if err := l.lock(ctx); err != nil {
		return err
	}
	defer l.unlock()
	return logcore.Isolated(ctx, reqs, func(ctx context.Context, reqs []*logcore.Request) error {
		return logcore.Retry(ctx, "append", reqs, l.appendTx)
	})
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
	if err := insertEvents(ctx, tx, plan.Rows); err != nil {
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
// stream without events is absent): the highest version of each, which
// SQLite reads from the end of the (stream, version) index.
func streamVersions(ctx context.Context, tx *sqlx.Tx, streams []string) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT s.value, (SELECT max(e.version) FROM events e WHERE e.stream = s.value)
		FROM json_each(?) s`, jsonArg(streams))
	if err != nil {
		return nil, wrapErr("stream versions", err)
	}
	defer rows.Close()
	out := make(map[string]int64, len(streams))
	for rows.Next() {
		var (
			s string
			v sql.NullInt64
		)
		if err := rows.Scan(&s, &v); err != nil {
			return nil, wrapErr("stream versions", err)
		}
		if v.Valid {
			out[s] = v.Int64
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("stream versions", err)
	}
	return out, nil
}

const insertEventSQL = `INSERT INTO events (position, id, stream, version, type, occurred_at, reported_at, recorded_at, envelope, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertEvents inserts the planned rows with one prepared statement.
func insertEvents(ctx context.Context, tx *sqlx.Tx, rows []logcore.Row) error {
	stmt, err := tx.PrepareContext(ctx, insertEventSQL)
	if err != nil {
		return wrapErr("insert events", err)
	}
	defer stmt.Close()
	var env []byte
	for _, r := range rows {
		env = logcore.AppendEnvelope(env[:0], r.Event)
		if _, err := stmt.ExecContext(ctx, rowArgs(r.Event, env, r.Data)...); err != nil {
			return wrapErr("insert events", err)
		}
	}
	return nil
}

// rowArgs returns the values of insertEventSQL for e, its envelope and its
// data.
func rowArgs(e *events.Event, env, data []byte) []any {
	occ, _ := logcore.DateColumn(e.OccurredAt)
	rep, _ := logcore.DateColumn(e.KnownAt())
	return []any{e.Position, e.ID, e.Stream, e.Version, e.Type, occ, rep,
		e.RecordedAt.UTC().Format(recordedAtLayout), env, string(data)}
}

// Import appends evs, which may belong to many streams, in one
// transaction, as logcore.Import describes (the contract of store.Store's
// Import). It holds the write lock throughout, so concurrent appends wait
// for it.
func (l *Log) Import(ctx context.Context, evs []events.Event, progress func(done int)) (logcore.ImportResult, error) {
	return logcore.Import(ctx, l.codec, evs, progress, l.importTx)
}

// importTx processes the requests of an import in chunks in one
// transaction, under the write lock.
func (l *Log) importTx(ctx context.Context, reqs []*logcore.Request, dups int, progress func(int)) (err error) {
	if err := l.lock(ctx); err != nil {
		return err
	}
	defer l.unlock()
	tx, err := l.db.BeginTxx(ctx, nil)
	if err != nil {
		return wrapErr("begin", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	err = logcore.ImportChunks(reqs, dups, progress, func(reqs []*logcore.Request) error {
		_, err := l.appendBatch(ctx, tx, reqs)
		return err
	})
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return wrapErr("commit", err)
	}
	return nil
}
