package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

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
//     the log's head (gap-free, in commit order; see the package comment)
//     and one RecordedAt from the configured clock (UTC, microseconds,
//     never before the previous append's).
//
// A concurrent append of the same ids, or a serialization failure, makes
// the transaction run again (a bounded number of times; then the error
// wraps ErrConflict). A lost connection wraps ErrUnavailable; if it is lost
// during the commit the append may or may not have happened, and retrying
// it with the same ids is safe.
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

// appendRequests processes reqs in one transaction, running it again when
// it fails with a retryable error. On success every request has its
// outcome (Result or Err). A group-commit writer would call it with the
// requests it collected.
func (l *Log) appendRequests(ctx context.Context, reqs []*logcore.Request) error {
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

// appendTx runs appendBatch in a READ COMMITTED transaction (the position
// lock relies on it: after waiting for log_head, a statement reads the row
// as committed by the previous appender) and commits when something was
// written.
func (l *Log) appendTx(ctx context.Context, reqs []*logcore.Request) (err error) {
	tx, err := l.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
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

// appendBatch writes the requests of a batch in tx and reports whether it
// wrote anything. Request-level outcomes (duplicates, ErrInvalid,
// conflicts) go to each request; an error return means the transaction
// must be rolled back and all requests failed (or retried).
//
// The batch must not hold the same event id in two requests.
func (l *Log) appendBatch(ctx context.Context, tx *sqlx.Tx, reqs []*logcore.Request) (bool, error) {
	st, err := l.prepared(ctx)
	if err != nil {
		return false, err
	}
	// Idempotency, before the lock: the ids of committed events. An
	// append of the same ids that commits after this read is caught by
	// the unique index on events.id, and the retry finds it.
	found, err := lookupIDs(ctx, tx, st, logcore.IDs(reqs))
	if err != nil {
		return false, err
	}
	if !logcore.ResolveDuplicates(reqs, found) {
		return false, nil
	}
	// From here to commit, this transaction is the log's only writer.
	head, last, err := lockHead(ctx, tx, st)
	if err != nil {
		return false, err
	}
	// A separate statement, so that it reads what the previous writer
	// committed (see the package comment).
	versions, err := streamVersions(ctx, tx, st, logcore.Streams(reqs))
	if err != nil {
		return false, err
	}
	plan := logcore.MakePlan(reqs, versions, head, logcore.RecordedAt(l.clock(), last))
	if len(plan.Rows) == 0 {
		return false, nil
	}
	if err := writeBatch(ctx, tx, st, plan); err != nil {
		return false, err
	}
	return true, nil
}

// The statements of the append path. They are prepared once per
// connection (see Log.prepared), which saves a round trip on every call
// (they are still planned for their arguments each time: see "Plans" in
// the package comment).
const (
	lookupIDsSQL = `SELECT id, position, version FROM events WHERE id = ANY($1::text[])`

	lockHeadSQL = `SELECT position, recorded_at FROM log_head WHERE id = 1 FOR UPDATE`

	streamVersionsSQL = `SELECT stream, version FROM streams WHERE stream = ANY($1::text[])`

	// writeBatchSQL writes a whole batch in one statement: the new stream
	// versions ($1, $2), the new head ($3) and recorded_at ($4), and the
	// events, one array parameter per column ($5...$24) unnested into rows
	// (empty optional texts become NULL). It runs under the head lock, so
	// sharing one snapshot between its parts is harmless; the foreign key
	// from events to streams is checked at the end of the statement, after
	// the streams rows are in.
	writeBatchSQL = `WITH new_streams AS (
	INSERT INTO streams (stream, version)
	SELECT * FROM unnest($1::text[], $2::bigint[])
	ON CONFLICT (stream) DO UPDATE SET version = EXCLUDED.version
), new_head AS (
	UPDATE log_head SET position = $3, recorded_at = $4 WHERE id = 1
)
INSERT INTO events (position, id, stream, version, type, schema_version, data,
	occurred_at, occurred_precision, reported_at, reported_precision, recorded_at,
	source_publication, source_title, source_url, source_date, source_date_precision,
	confidence, analyst, correlation_id, causation_id)
SELECT u.position, u.id, u.stream, u.version, u.type, u.schema_version, u.data::jsonb,
	u.occurred_at::date, u.occurred_precision, u.reported_at::date, u.reported_precision, $4,
	u.source_publication, NULLIF(u.source_title, ''), NULLIF(u.source_url, ''),
	NULLIF(u.source_date, '')::date, NULLIF(u.source_date_precision, ''),
	u.confidence, NULLIF(u.analyst, ''), NULLIF(u.correlation_id, ''), NULLIF(u.causation_id, '')
FROM unnest($5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::integer[], $11::text[],
	$12::text[], $13::text[], $14::text[], $15::text[],
	$16::text[], $17::text[], $18::text[], $19::text[], $20::text[],
	$21::text[], $22::text[], $23::text[], $24::text[])
	AS u(position, id, stream, version, type, schema_version, data,
	occurred_at, occurred_precision, reported_at, reported_precision,
	source_publication, source_title, source_url, source_date, source_date_precision,
	confidence, analyst, correlation_id, causation_id)`
)

// statements are the append path's prepared statements.
type statements struct {
	lookupIDs, lockHead, streamVersions, writeBatch *sqlx.Stmt
}

// prepared returns the prepared statements, preparing them on first use
// (not in Open: with SkipMigrate the tables may not exist yet). A failure
// is not remembered; the next call tries again.
func (l *Log) prepared(ctx context.Context) (*statements, error) {
	l.stmtMu.Lock()
	defer l.stmtMu.Unlock()
	if l.stmts != nil {
		return l.stmts, nil
	}
	st := &statements{}
	for _, p := range []struct {
		stmt **sqlx.Stmt
		sql  string
	}{
		{&st.lookupIDs, lookupIDsSQL},
		{&st.lockHead, lockHeadSQL},
		{&st.streamVersions, streamVersionsSQL},
		{&st.writeBatch, writeBatchSQL},
	} {
		s, err := l.db.PreparexContext(ctx, p.sql)
		if err != nil {
			st.close()
			return nil, wrapErr("prepare", err)
		}
		*p.stmt = s
	}
	l.stmts = st
	return st, nil
}

// close closes the statements that were prepared.
func (st *statements) close() {
	for _, s := range []*sqlx.Stmt{st.lookupIDs, st.lockHead, st.streamVersions, st.writeBatch} {
		if s != nil {
			s.Close()
		}
	}
}

// lookupIDs returns where the given ids are in the log.
func lookupIDs(ctx context.Context, tx *sqlx.Tx, st *statements, ids []string) (map[string]logcore.Stored, error) {
	rows, err := tx.StmtxContext(ctx, st.lookupIDs).QueryContext(ctx, pq.Array(ids))
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

// lockHead locks the log_head row until the end of tx and returns the last
// allocated position and the last RecordedAt (zero before the first
// append). Appenders queue here; see the package comment.
func lockHead(ctx context.Context, tx *sqlx.Tx, st *statements) (int64, time.Time, error) {
	var (
		head int64
		last sql.NullTime
	)
	err := tx.StmtxContext(ctx, st.lockHead).QueryRowContext(ctx).Scan(&head, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, errors.New("postgres: log_head has no row: the schema is not migrated")
	}
	if err != nil {
		return 0, time.Time{}, wrapErr("lock head", err)
	}
	return head, last.Time, nil
}

// streamVersions returns the current versions of the given streams (a
// stream without events is absent).
func streamVersions(ctx context.Context, tx *sqlx.Tx, st *statements, streams []string) (map[string]int64, error) {
	rows, err := tx.StmtxContext(ctx, st.streamVersions).QueryContext(ctx, pq.Array(streams))
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

// writeBatch writes a plan: its streams' versions, its rows and the new
// head, in one statement.
func writeBatch(ctx context.Context, tx *sqlx.Tx, st *statements, plan logcore.Plan) error {
	names := make([]string, 0, len(plan.Streams))
	vs := make([]int64, 0, len(plan.Streams))
	for s, v := range plan.Streams {
		names = append(names, s)
		vs = append(vs, v)
	}
	n := len(plan.Rows)
	var (
		pos, ver, sv                   = make([]int64, n), make([]int64, n), make([]int64, n)
		id, stream, typ, data          = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		occ, occP, rep, repP           = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		pub, title, url, srcDate, srcP = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		conf, analyst, corr, cause     = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	)
	for i, r := range plan.Rows {
		e := r.Event
		pos[i], ver[i], sv[i] = e.Position, e.Version, int64(e.SchemaVersion)
		id[i], stream[i], typ[i], data[i] = e.ID, e.Stream, e.Type, string(r.Data)
		occ[i], occP[i] = logcore.DateColumn(e.OccurredAt)
		rep[i], repP[i] = logcore.DateColumn(e.ReportedAt)
		pub[i], title[i], url[i] = e.Source.Publication, e.Source.Title, e.Source.URL
		srcDate[i], srcP[i] = logcore.DateColumn(e.Source.Date)
		conf[i], analyst[i], corr[i], cause[i] = string(e.Confidence), e.Analyst, e.CorrelationID, e.CausationID
	}
	_, err := tx.StmtxContext(ctx, st.writeBatch).ExecContext(ctx,
		pq.Array(names), pq.Array(vs), plan.Head, plan.RecordedAt,
		pq.Array(pos), pq.Array(id), pq.Array(stream), pq.Array(ver), pq.Array(typ), pq.Array(sv), pq.Array(data),
		pq.Array(occ), pq.Array(occP), pq.Array(rep), pq.Array(repP),
		pq.Array(pub), pq.Array(title), pq.Array(url), pq.Array(srcDate), pq.Array(srcP),
		pq.Array(conf), pq.Array(analyst), pq.Array(corr), pq.Array(cause))
	return wrapErr("write events", err)
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
// import holds the log's write lock from its first new event to its
// commit, so concurrent appends wait for it.
func (l *Log) Import(ctx context.Context, evs []events.Event, progress func(done int)) (logcore.ImportResult, error) {
	reqs, dups, err := logcore.PrepareImport(l.codec, evs)
	if err != nil {
		return logcore.ImportResult{}, err
	}
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
// transaction; the first chunk that writes takes the head lock, which the
// later chunks already hold.
func (l *Log) importTx(ctx context.Context, reqs []*logcore.Request, dups int, progress func(int)) (err error) {
	tx, err := l.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
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
