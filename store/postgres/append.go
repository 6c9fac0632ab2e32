package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

// Append writes evs to stream atomically, as events.Log specifies (see
// there for normalization, idempotent retries and conflicts). The events get
// versions after the stream's, positions after the log's head (gap-free, in
// commit order; see the package comment) and one RecordedAt from the
// configured clock (UTC, microseconds, never before the previous
// append's).
//
// Concurrent calls are committed together (group commit; see the package
// comment), each with its own outcome, as if they had run one after the
// other. A transaction that keeps failing on concurrent writes of the same
// ids from other processes, or on serialization failures, is run again a
// bounded number of times, after which the error wraps ErrConflict. A lost
// connection wraps ErrUnavailable and fails every call of the batch; if it
// is lost during the commit the append may or may not have happened, and
// retrying it with the same ids is safe. The same holds when ctx ends
// after the call was handed to the writer.
func (l *Log) Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	return logcore.Append(ctx, l.codec, l.group, stream, expected, evs)
}

// writerState is what the group-commit writer knows of the log: its head
// and last RecordedAt after the last batch that the writer wrote or read
// under the lock, and the versions that streams had then (a cache of some
// of them). Only the writer goroutine uses it.
type writerState struct {
	valid    bool
	head     int64
	token    int64 // the head's token (see migrations/00004)
	last     time.Time
	versions map[string]int64 // 0 for a stream known to have no events
	// lockedUntil is when the writer may write optimistically again after
	// another process's appends made its writes fail (see lockedSpell).
	lockedUntil time.Time
}

// lockedSpell is how long the writer writes on the locked path after its
// optimistic writes failed because of another process's appends. Two
// processes that append at once would otherwise keep failing each other's
// optimistic batches; on the locked path they take turns.
const lockedSpell = time.Second

// foreign reports whether err, the failure of an optimistic write, means
// that another process is appending: the head has a token of another Log,
// another write took the positions planned, or the head's lock was held.
func (l *Log) foreign(err error) bool {
	pe := pq.As(err, errHeadMoved, pqerror.UniqueViolation, pqerror.LockNotAvailable)
	switch {
	case pe == nil:
		return false
	case pe.Code == errHeadMoved:
		token, perr := strconv.ParseInt(pe.Detail, 10, 64)
		return perr == nil && token != 0 && !l.tokens.mine(token)
	case pe.Code == pqerror.UniqueViolation:
		return pe.Constraint == "events_pkey"
	}
	return true
}

// maxCachedStreams bounds writerState.versions; the cache starts over when
// it is full.
const maxCachedStreams = 100000

// reset makes the head (head, token) and last the known state, with no
// stream cached.
func (w *writerState) reset(head, token int64, last time.Time) {
	w.valid, w.head, w.token, w.last = true, head, token, last
	if len(w.versions) > 0 || w.versions == nil {
		w.versions = make(map[string]int64)
	}
}

// forget drops the versions of streams from the cache (versions the writer
// assumed, which no write checked).
func (w *writerState) forget(streams map[string]int64) {
	for s := range streams {
		delete(w.versions, s)
	}
}

// apply records what a plan wrote, with the new head's token.
func (w *writerState) apply(p logcore.Plan, token int64) {
	w.head, w.token, w.last = p.Head, token, p.RecordedAt
	for s, v := range p.Streams {
		w.versions[s] = v
	}
}

// tokens makes the tokens of the heads that a Log writes: unique per Log
// (a random prefix) and per batch (a counter).
type tokens struct {
	prefix int64
	n      atomic.Uint32
}

// newTokens returns a token maker with a random prefix.
func newTokens() *tokens {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return &tokens{prefix: int64(binary.BigEndian.Uint32(b[:])&0x7fffffff) << 32}
}

// next returns a new token (never 0, the token of a new log).
func (t *tokens) next() int64 { return t.prefix | int64(t.n.Add(1)|1<<31) }

// mine reports whether token was made by t.
func (t *tokens) mine(token int64) bool { return token>>32 == t.prefix>>32 }

// commitBatch is the group-commit writer's logcore.Commit (see "Group
// commit" in the package comment): it plans the batch from what the writer
// knows of the log and writes it with one call of accord_append on the
// writer's connection; if that fails on a moved head, an id already in the
// log, a wrong assumed version or a value the database rejects, it writes
// the batch again on the locked path (lockedCommit).
func (l *Log) commitBatch(ctx context.Context, reqs []*logcore.Request) error {
	if l.onBatch != nil {
		l.onBatch(len(reqs))
	}
	l.stats.Batches.Add(1)
	for _, r := range reqs {
		l.stats.Appends.Add(1)
		l.stats.Events.Add(int64(len(r.Events)))
	}
	// (The wall clock, not Config.Clock: this only chooses a path, and
	// Config.Clock is read once per batch, for RecordedAt.)
	if time.Now().Before(l.w.lockedUntil) {
		// Another process appended lately: write on the locked path
		// rather than fail on each other's rows.
		l.stats.Locked.Add(1)
		return l.lockedCommit(ctx, reqs)
	}
	plan, assumed, err := l.planOptimistic(ctx, reqs)
	if err != nil || len(plan.Rows) == 0 {
		// Nothing written: the versions assumed were not checked.
		l.w.forget(assumed)
		return err
	}
	st, err := l.prepared(ctx)
	if err != nil {
		return err
	}
	b := l.wbatch
	b.reset()
	for _, r := range plan.Rows {
		b.add(r.Event, r.Data)
	}
	b.assume(assumed)
	token := l.tokens.next()
	// Without ctx's cancellation: lib/pq would start a goroutine per
	// statement to watch for it. The statement is bounded by the writer's
	// lock timeout; Close waits for it.
	start := time.Now()
	_, err = st.appendFast.ExecContext(context.WithoutCancel(ctx),
		append(b.args(), l.w.head, l.w.token, plan.Head, token, plan.RecordedAt)...)
	l.stats.Writes.Add(1)
	l.stats.WriteNanos.Add(int64(time.Since(start)))
	if err == nil {
		l.w.apply(plan, token)
		return nil
	}
	err = wrapErr("write events", err)
	l.w.valid = false
	if !errors.Is(err, logcore.ErrRetry) && !errors.Is(err, events.ErrInvalid) {
		return err
	}
	l.stats.Failed.Add(1)
	if l.foreign(err) {
		l.stats.Foreign.Add(1)
		l.w.lockedUntil = time.Now().Add(lockedSpell)
	}
	// The head moved (another process appended), an id is already in the
	// log (a retry), a stream is not at the version assumed, or a value
	// was rejected: the locked path sorts it out.
	for _, r := range reqs {
		r.Reset()
	}
	return l.lockedCommit(ctx, reqs)
}

// WriterStats counts what the group-commit writer of a Log did since it
// was opened. The counters are safe to read at any time.
type WriterStats struct {
	// Batches written (or settled) by the writer, and the Appends and
	// Events they held.
	Batches, Appends, Events atomic.Int64
	// Failed counts optimistic writes that failed and were written again
	// on the locked path; Foreign, those of them that failed because of
	// another process's appends.
	Failed, Foreign atomic.Int64
	// Locked counts batches written on the locked path from the start
	// (while another process was appending; see lockedSpell).
	Locked atomic.Int64
	// PreReads counts the reads of streams' versions the writer made
	// before planning a batch (streams it did not know and could not
	// assume a version for).
	PreReads atomic.Int64
	// Writes counts the optimistic write statements (one per batch not
	// written on the locked path from the start), and WriteNanos the
	// wall-clock time spent in them, from sending the batch to the
	// commit's answer: with Batches and the elapsed time, it splits a
	// batch's cycle into the server's part and the client's.
	Writes, WriteNanos atomic.Int64
}

// Stats returns the writer's counters.
func (l *Log) Stats() *WriterStats { return &l.stats }

// lockedCommit writes a batch on the locked path, in one transaction
// (lockedTx), running it again on retryable errors and isolating a request
// with a value the database rejects (logcore.Retry, logcore.Isolated).
func (l *Log) lockedCommit(ctx context.Context, reqs []*logcore.Request) error {
	return logcore.Isolated(ctx, reqs, func(ctx context.Context, reqs []*logcore.Request) error {
		return logcore.Retry(ctx, "append", reqs, l.lockedTx)
	})
}

// planOptimistic plans a batch from what the writer knows of the log (see
// "Group commit" in the package comment), assuming versions for streams it
// does not know or reading them, and settles the requests that conflict
// (settleConflicts). The plan's rows are the events to write after the
// head the writer knows; assumed are the versions accord_append must
// check.
func (l *Log) planOptimistic(ctx context.Context, reqs []*logcore.Request) (plan logcore.Plan, assumed map[string]int64, err error) {
	st, err := l.prepared(ctx)
	if err != nil {
		return logcore.Plan{}, nil, err
	}
	w := &l.w
	if len(w.versions) > maxCachedStreams {
		w.valid = false
	}
	streams := logcore.Streams(reqs)
	var missing []string
	for _, s := range streams {
		if _, ok := w.versions[s]; ok && w.valid {
			continue
		}
		// A stream the writer does not know: plan on the version the
		// first call expects, and have accord_append check it, rather
		// than read it first (a round trip per batch while the cache
		// fills). Only a call that expects Any needs the read.
		if v, ok := expectedOf(reqs, s); ok && w.valid {
			if assumed == nil {
				assumed = map[string]int64{}
			}
			assumed[s] = v
			continue
		}
		missing = append(missing, s)
	}
	if len(missing) > 0 {
		l.stats.PreReads.Add(1)
		head, token, last, vs, err := preRead(ctx, st, missing)
		if err != nil {
			return logcore.Plan{}, nil, err
		}
		// A head other than the writer's means that another process
		// appended, and what the writer knows is stale.
		if !w.valid || head != w.head || token != w.token {
			if w.valid && len(missing) < len(streams) {
				missing = streams
				if head, token, last, vs, err = preRead(ctx, st, missing); err != nil {
					return logcore.Plan{}, nil, err
				}
			}
			w.reset(head, token, last)
		}
		for _, s := range missing {
			w.versions[s] = vs[s]
		}
	}
	for s, v := range assumed {
		w.versions[s] = v
	}
	plan = logcore.MakePlan(reqs, w.versions, w.head, logcore.RecordedAt(l.clock(), w.last))
	var conflicted []*logcore.Request
	for _, r := range reqs {
		var ce *events.ConflictError
		if errors.As(r.Err, &ce) {
			conflicted = append(conflicted, r)
		}
	}
	if err := l.settleConflicts(ctx, st, conflicted); err != nil {
		w.forget(assumed)
		return logcore.Plan{}, nil, err
	}
	return plan, assumed, nil
}

// expectedOf returns the version that the first call of reqs to stream
// that is still to be written expects (0 for NoStream), and false when it
// expects Any.
func expectedOf(reqs []*logcore.Request, stream string) (int64, bool) {
	for _, r := range reqs {
		if r.Done || r.Stream != stream {
			continue
		}
		if r.Expected == events.NoStream {
			return 0, true
		}
		if r.Expected > 0 {
			return int64(r.Expected), true
		}
		return 0, false
	}
	return 0, false
}

// settleConflicts looks up the ids of requests that MakePlan failed with
// a conflict: one whose events are all in the log already is a retry (the
// original positions, not a conflict), one with only some of them is
// invalid (logcore.ResolveDuplicates).
func (l *Log) settleConflicts(ctx context.Context, st *statements, conflicted []*logcore.Request) error {
	if len(conflicted) == 0 {
		return nil
	}
	found, err := lookupIDs(ctx, st.lookupIDs, logcore.IDs(conflicted))
	if err != nil || len(found) == 0 {
		return err
	}
	for _, r := range conflicted {
		err, done := r.Err, r.Done
		r.Err, r.Done = nil, false
		if !logcore.ResolveDuplicates([]*logcore.Request{r}, found) {
			continue // settled: a duplicate or invalid
		}
		r.Err, r.Done = err, done // none of its ids is there: a conflict
	}
	return nil
}

// lockedTx processes reqs in one READ COMMITTED transaction that takes the
// head lock (appendBatch) and commits when something was written; then the
// writer knows the log's state.
func (l *Log) lockedTx(ctx context.Context, reqs []*logcore.Request) (err error) {
	tx, err := l.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return wrapErr("begin", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			l.w.valid = false
		}
	}()
	b, err := l.appendBatch(ctx, tx, reqs)
	if err != nil {
		return err
	}
	if !b.locked {
		_ = tx.Rollback()
		return nil
	}
	if len(b.plan.Rows) == 0 {
		_ = tx.Rollback()
	} else if err := tx.Commit(); err != nil {
		return wrapErr("commit", err)
	}
	if !l.w.valid || l.w.head != b.head || l.w.token != b.token {
		l.w.reset(b.head, b.token, b.last)
	}
	for _, s := range b.streams {
		l.w.versions[s] = b.versions[s] // 0 for a stream without events
	}
	if len(b.plan.Rows) > 0 {
		l.w.apply(b.plan, b.newToken)
	}
	return nil
}

// batchOutcome is what appendBatch did.
type batchOutcome struct {
	// locked is false when every request was finished by the id lookup
	// (nothing to write, the lock was not taken).
	locked bool
	// head, token and last are the log's, and versions those of streams,
	// as read under the lock (a stream without events is absent from
	// versions).
	head, token int64
	last        time.Time
	streams     []string
	versions    map[string]int64
	plan        logcore.Plan
	// newToken is the token of the head the plan writes.
	newToken int64
}

// appendBatch writes the requests of a batch in tx. Request-level outcomes
// (duplicates, ErrInvalid, conflicts) go to each request; an error return
// means the transaction must be rolled back and all requests failed (or
// retried).
func (l *Log) appendBatch(ctx context.Context, tx *sqlx.Tx, reqs []*logcore.Request) (batchOutcome, error) {
	var b batchOutcome
	st, err := l.prepared(ctx)
	if err != nil {
		return b, err
	}
	// Idempotency, before the lock: the ids of committed events. An
	// append of the same ids that commits after this read is caught by
	// the unique index on events.id, and the retry finds it.
	found, err := lookupIDs(ctx, tx.StmtxContext(ctx, st.lookupIDs), logcore.IDs(reqs))
	if err != nil {
		return b, err
	}
	if !logcore.ResolveDuplicates(reqs, found) {
		return b, nil
	}
	// From here to commit, this transaction is the log's only writer.
	if b.head, b.token, b.last, err = lockHead(ctx, tx, st); err != nil {
		return b, err
	}
	b.locked = true
	// A separate statement, so that it reads what the previous writer
	// committed (see the package comment).
	b.streams = logcore.Streams(reqs)
	if b.versions, err = streamVersions(ctx, tx, st, b.streams); err != nil {
		return b, err
	}
	b.plan = logcore.MakePlan(reqs, b.versions, b.head, logcore.RecordedAt(l.clock(), b.last))
	if len(b.plan.Rows) == 0 {
		return b, nil
	}
	b.newToken = l.tokens.next()
	if err := writePlan(ctx, tx.StmtxContext(ctx, st.appendLocked), newBatch(false), b.plan, b.head, b.token, b.newToken); err != nil {
		return b, err
	}
	return b, nil
}

// The statements of the append path. They are prepared once per
// connection (see Log.prepared), which saves a round trip on every call
// (they are still planned for their arguments each time: see "Plans" in
// the package comment).
const (
	lookupIDsSQL = `SELECT id, position, version FROM events WHERE id = ANY($1::text[])`

	lockHeadSQL = `SELECT position, token, recorded_at FROM log_head WHERE id = 1 FOR UPDATE`

	// streamVersionsSQL reads the version of each given stream: its
	// highest, from the unique index on (stream, version).
	streamVersionsSQL = `SELECT s.stream, v.version
FROM unnest($1::text[]) AS s(stream)
JOIN LATERAL (SELECT e.version FROM events e WHERE e.stream = s.stream ORDER BY e.version DESC LIMIT 1) v ON true`

	// preReadSQL reads the head and the versions of some streams in one
	// snapshot, without locking: the optimistic write checks that the
	// head has not moved since.
	preReadSQL = `SELECT h.position, h.token, h.recorded_at, s.stream, v.version
FROM log_head h
CROSS JOIN unnest($1::text[]) AS s(stream)
LEFT JOIN LATERAL (SELECT e.version FROM events e WHERE e.stream = s.stream ORDER BY e.version DESC LIMIT 1) v ON true
WHERE h.id = 1`

	// appendSQL writes a planned batch (migrations/00004): the events, one
	// array per column ($1 to $9, see batch), the streams whose versions
	// the plan assumed and those versions ($10, $11), the head planned
	// from ($12, $13), the new head ($14, $15) and the batch's
	// recorded_at ($16); if the head is not the one planned from it fails
	// with AC001, if a stream is not at the version assumed with AC002,
	// and writes nothing.
	appendSQL = `SELECT accord_append($1::text[], $2::bytea[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
	$8::date[], $9::date[], $10::text[], $11::bigint[], $12, $13, $14, $15, $16)`
)

// statements are the prepared statements of the append and read paths.
type statements struct {
	lookupIDs, lockHead, streamVersions, preRead, appendLocked *sqlx.Stmt
	// appendFast is appendSQL prepared on the writer's pool, which sends
	// its arrays in binary.
	appendFast *sqlx.Stmt
	// The read path (read.go).
	readAll, readStream *sqlx.Stmt
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
		db   *sqlx.DB
		sql  string
	}{
		{&st.lookupIDs, l.db, lookupIDsSQL},
		{&st.lockHead, l.db, lockHeadSQL},
		{&st.streamVersions, l.db, streamVersionsSQL},
		{&st.preRead, l.db, preReadSQL},
		{&st.appendLocked, l.db, appendSQL},
		{&st.appendFast, l.wdb, appendSQL},
		{&st.readAll, l.db, readAllSQL},
		{&st.readStream, l.db, readStreamSQL},
	} {
		s, err := p.db.PreparexContext(ctx, p.sql)
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
	for _, s := range []*sqlx.Stmt{st.lookupIDs, st.lockHead, st.streamVersions, st.preRead, st.appendLocked, st.appendFast, st.readAll, st.readStream} {
		if s != nil {
			s.Close()
		}
	}
}

// lookupIDs returns where the given ids are in the log (stmt is
// lookupIDsSQL, prepared on the pool or in a transaction).
func lookupIDs(ctx context.Context, stmt *sqlx.Stmt, ids []string) (map[string]logcore.Stored, error) {
	rows, err := stmt.QueryContext(ctx, pq.Array(ids))
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
// allocated position, its token and the last RecordedAt (zero before the
// first append). Appenders queue here; see the package comment.
func lockHead(ctx context.Context, tx *sqlx.Tx, st *statements) (int64, int64, time.Time, error) {
	var (
		head, token int64
		last        sql.NullTime
	)
	err := tx.StmtxContext(ctx, st.lockHead).QueryRowContext(ctx).Scan(&head, &token, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, time.Time{}, errors.New("postgres: log_head has no row: the schema is not migrated")
	}
	if err != nil {
		return 0, 0, time.Time{}, wrapErr("lock head", err)
	}
	return head, token, last.Time, nil
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

// preRead returns the head, its token, the last RecordedAt and the
// versions of the given streams (absent: no events) as of one snapshot,
// without locking.
func preRead(ctx context.Context, st *statements, streams []string) (int64, int64, time.Time, map[string]int64, error) {
	rows, err := st.preRead.QueryContext(ctx, pq.Array(streams))
	if err != nil {
		return 0, 0, time.Time{}, nil, wrapErr("read head", err)
	}
	defer rows.Close()
	var (
		head, token int64
		last        sql.NullTime
		n           int
		out         = make(map[string]int64, len(streams))
	)
	for rows.Next() {
		var (
			s string
			v sql.NullInt64
		)
		if err := rows.Scan(&head, &token, &last, &s, &v); err != nil {
			return 0, 0, time.Time{}, nil, wrapErr("read head", err)
		}
		if v.Valid {
			out[s] = v.Int64
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, 0, time.Time{}, nil, wrapErr("read head", err)
	}
	if n == 0 {
		return 0, 0, time.Time{}, nil, errors.New("postgres: log_head has no row: the schema is not migrated")
	}
	return head, token, last.Time, out, nil
}

// writePlan executes appendSQL (stmt, prepared in a transaction that holds
// the head's row lock) for plan, on the condition that the head is still
// (head, token): a moved head fails with an error wrapping
// logcore.ErrRetry. The new head gets newToken. b builds the arrays (it is
// reset first), as text literals.
func writePlan(ctx context.Context, stmt *sqlx.Stmt, b *batch, plan logcore.Plan, head, token, newToken int64) error {
	b.reset()
	for _, r := range plan.Rows {
		b.add(r.Event, r.Data)
	}
	args := append(b.args(), head, token, plan.Head, newToken, plan.RecordedAt)
	if _, err := stmt.ExecContext(ctx, args...); err != nil {
		return wrapErr("write events", err)
	}
	return nil
}

// Import appends evs, which may belong to many streams, in one
// transaction, as logcore.Import describes (the contract of store.Store's
// Import): all or nothing, each event after its stream's events, ids
// already in the log or earlier in evs skipped as duplicates. The
// transaction takes the log's write lock with its first new event and
// holds it to its commit, so concurrent appends wait for it.
func (l *Log) Import(ctx context.Context, evs []events.Event, progress func(done int)) (logcore.ImportResult, error) {
	return logcore.Import(ctx, l.codec, evs, progress, l.importTx)
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

// errHeadMoved is the SQLSTATE that accord_append raises when the head is
// not where the batch was planned from.
const errHeadMoved = "AC001"

// errVersionAssumed is the SQLSTATE that accord_append raises when a
// stream is not at the version the writer assumed for it.
const errVersionAssumed = "AC002"

// headMoved reports whether err is accord_append's AC001.
func headMoved(err error) bool {
	return pq.As(err, errHeadMoved) != nil
}
