package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

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
	last     time.Time
	versions map[string]int64 // 0 for a stream known to have no events
}

// maxCachedStreams bounds writerState.versions; the cache starts over when
// it is full.
const maxCachedStreams = 100000

// reset makes head and last the known state, with no stream cached.
func (w *writerState) reset(head int64, last time.Time) {
	w.valid, w.head, w.last = true, head, last
	if len(w.versions) > 0 || w.versions == nil {
		w.versions = make(map[string]int64)
	}
}

// apply records what a committed plan wrote.
func (w *writerState) apply(p logcore.Plan) {
	if len(w.versions)+len(p.Streams) > maxCachedStreams {
		w.versions = make(map[string]int64)
	}
	w.head, w.last = p.Head, p.RecordedAt
	for s, v := range p.Streams {
		w.versions[s] = v
	}
}

// commitBatch is the group-commit writer's logcore.Commit: it writes one
// batch of requests, optimistically when it can (see the package comment),
// else under the head lock, running the transaction again on retryable
// errors.
func (l *Log) commitBatch(ctx context.Context, reqs []*logcore.Request) error {
	if l.onBatch != nil {
		l.onBatch(len(reqs))
	}
	return logcore.Isolated(ctx, reqs, func(ctx context.Context, reqs []*logcore.Request) error {
		return logcore.Retry(ctx, "append", reqs, l.attempt)
	})
}

// attempt writes a batch once: the optimistic write, then, if it did not
// apply, the locked path.
func (l *Log) attempt(ctx context.Context, reqs []*logcore.Request) error {
	done, err := l.optimistic(ctx, reqs)
	if err != nil || done {
		return err
	}
	for _, r := range reqs {
		r.Reset()
	}
	return l.lockedTx(ctx, reqs)
}

// optimistic tries the one-statement write of a batch (see "Group commit"
// in the package comment) and reports whether it wrote the batch. It does
// not, leaving the requests to the locked path, when the head moved since
// the writer last saw it (another process appended), when an id is
// already in the log (a retry), or when a request would fail (a conflict
// must be told apart from a retry of events already in the log, which only
// the locked path's id lookup does).
func (l *Log) optimistic(ctx context.Context, reqs []*logcore.Request) (bool, error) {
	st, err := l.prepared(ctx)
	if err != nil {
		return false, err
	}
	w := &l.w
	streams := logcore.Streams(reqs)
	var missing []string
	for _, s := range streams {
		if _, ok := w.versions[s]; !ok || !w.valid {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		head, last, vs, err := preRead(ctx, st, missing)
		if err == nil && w.valid && head != w.head && len(missing) < len(streams) {
			// Another process appended: what the writer knows of the
			// batch's other streams is stale too.
			missing = streams
			head, last, vs, err = preRead(ctx, st, missing)
		}
		if err != nil {
			return false, err
		}
		if !w.valid || head != w.head {
			w.reset(head, last)
		}
		for _, s := range missing {
			w.versions[s] = vs[s]
		}
	}
	plan := logcore.MakePlan(reqs, w.versions, w.head, logcore.RecordedAt(l.clock(), w.last))
	for _, r := range reqs {
		if r.Err != nil {
			return false, nil
		}
	}
	n, err := writePlan(ctx, st.writeFast, plan, w.head, true)
	switch {
	case errors.Is(err, logcore.ErrRetry):
		w.valid = false
		return false, nil
	case err != nil:
		w.valid = false
		return false, err
	case n != int64(len(plan.Rows)):
		w.valid = false // the head moved: another process appended
		return false, nil
	}
	w.apply(plan)
	return true, nil
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
	if !l.w.valid || l.w.head != b.head {
		l.w.reset(b.head, b.last)
	}
	for _, s := range b.streams {
		l.w.versions[s] = b.versions[s] // 0 for a stream without events
	}
	if len(b.plan.Rows) > 0 {
		l.w.apply(b.plan)
	}
	return nil
}

// batchOutcome is what appendBatch did.
type batchOutcome struct {
	// locked is false when every request was finished by the id lookup
	// (nothing to write, the lock was not taken).
	locked bool
	// head and last are the log's, and versions those of streams, as read
	// under the lock (a stream without events is absent from versions).
	head     int64
	last     time.Time
	streams  []string
	versions map[string]int64
	plan     logcore.Plan
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
	found, err := lookupIDs(ctx, tx, st, logcore.IDs(reqs))
	if err != nil {
		return b, err
	}
	if !logcore.ResolveDuplicates(reqs, found) {
		return b, nil
	}
	// From here to commit, this transaction is the log's only writer.
	if b.head, b.last, err = lockHead(ctx, tx, st); err != nil {
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
	n, err := writePlan(ctx, tx.StmtxContext(ctx, st.writeBatch), b.plan, b.head, false)
	if err != nil {
		return b, err
	}
	if n != int64(len(b.plan.Rows)) {
		return b, fmt.Errorf("postgres: write events: %d of %d rows written under the head lock", n, len(b.plan.Rows))
	}
	return b, nil
}

// The statements of the append path. They are prepared once per
// connection (see Log.prepared), which saves a round trip on every call
// (they are still planned for their arguments each time: see "Plans" in
// the package comment).
const (
	lookupIDsSQL = `SELECT id, position, version FROM events WHERE id = ANY($1::text[])`

	lockHeadSQL = `SELECT position, recorded_at FROM log_head WHERE id = 1 FOR UPDATE`

	streamVersionsSQL = `SELECT stream, version FROM streams WHERE stream = ANY($1::text[])`

	// preReadSQL reads the head and the versions of some streams in one
	// snapshot, without locking: the optimistic write checks that the
	// head has not moved since.
	preReadSQL = `SELECT h.position, h.recorded_at, s.stream, s.version
FROM log_head h LEFT JOIN streams s ON s.stream = ANY($1::text[])
WHERE h.id = 1`

	// writeBatchSQL writes a whole batch in one statement: the new head
	// ($3) and recorded_at ($4), provided that the head is still at $5
	// (else it writes nothing); the new stream versions ($1, $2); and the
	// events, one array parameter per column ($6...$25) unnested into rows
	// (empty optional texts become NULL). The update of log_head waits for
	// the row lock and then sees the latest committed head (READ
	// COMMITTED re-checks the locked row), so the check holds against
	// every commit before this one; everything else is written after it,
	// through the join with its result. (There is no foreign key from
	// events to streams to check: see migration 00002.)
	writeBatchSQL = `WITH head AS (
	UPDATE log_head SET position = $3, recorded_at = $4 WHERE id = 1 AND position = $5 RETURNING position
), new_streams AS (
	INSERT INTO streams (stream, version)
	SELECT s.stream, s.version FROM unnest($1::text[], $2::bigint[]) AS s(stream, version), head
	ON CONFLICT (stream) DO UPDATE SET version = EXCLUDED.version
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
FROM unnest($6::bigint[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::integer[], $12::text[],
	$13::text[], $14::text[], $15::text[], $16::text[],
	$17::text[], $18::text[], $19::text[], $20::text[], $21::text[],
	$22::text[], $23::text[], $24::text[], $25::text[])
	AS u(position, id, stream, version, type, schema_version, data,
	occurred_at, occurred_precision, reported_at, reported_precision,
	source_publication, source_title, source_url, source_date, source_date_precision,
	confidence, analyst, correlation_id, causation_id), head`
)

// statements are the append path's prepared statements.
type statements struct {
	lookupIDs, lockHead, streamVersions, preRead, writeBatch *sqlx.Stmt
	// writeFast is writeBatchSQL prepared on the writer's pool, with a
	// generic plan (it scans no table whose size matters).
	writeFast *sqlx.Stmt
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
		{&st.writeBatch, l.db, writeBatchSQL},
		{&st.writeFast, l.wdb, writeBatchSQL},
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
	for _, s := range []*sqlx.Stmt{st.lookupIDs, st.lockHead, st.streamVersions, st.preRead, st.writeBatch, st.writeFast, st.readAll, st.readStream} {
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

// preRead returns the head, the last RecordedAt and the versions of the
// given streams (absent: no events) as of one snapshot, without locking.
func preRead(ctx context.Context, st *statements, streams []string) (int64, time.Time, map[string]int64, error) {
	rows, err := st.preRead.QueryContext(ctx, pq.Array(streams))
	if err != nil {
		return 0, time.Time{}, nil, wrapErr("read head", err)
	}
	defer rows.Close()
	var (
		head int64
		last sql.NullTime
		n    int
		out  = make(map[string]int64, len(streams))
	)
	for rows.Next() {
		var (
			s sql.NullString
			v sql.NullInt64
		)
		if err := rows.Scan(&head, &last, &s, &v); err != nil {
			return 0, time.Time{}, nil, wrapErr("read head", err)
		}
		if s.Valid {
			out[s.String] = v.Int64
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, time.Time{}, nil, wrapErr("read head", err)
	}
	if n == 0 {
		return 0, time.Time{}, nil, errors.New("postgres: log_head has no row: the schema is not migrated")
	}
	return head, last.Time, out, nil
}

// writePlan executes writeBatchSQL (st, prepared on the pool or in a
// transaction) for plan, on the condition that the head is still at
// expectedHead, and returns the number of events written: len(plan.Rows),
// or 0 when the head had moved. With binary, the arrays are sent in
// PostgreSQL's binary format (for the writer's pool, whose connections
// send []byte parameters in binary), else as text literals.
func writePlan(ctx context.Context, st *sqlx.Stmt, plan logcore.Plan, expectedHead int64, binary bool) (int64, error) {
	newCol := func(elem uint32) column {
		if binary {
			return newBinaryArray(elem)
		}
		return &arrayLiteral{}
	}
	names, versions := newCol(oidText), newCol(oidInt8)
	for s, v := range plan.Streams {
		names.text(s)
		versions.int(v)
	}
	// One array per column, written straight from the events.
	var cols [20]column
	for i := range cols {
		elem := oidText
		switch i {
		case 0, 3:
			elem = oidInt8
		case 5:
			elem = oidInt4
		}
		cols[i] = newCol(elem)
	}
	for _, r := range plan.Rows {
		e := r.Event
		occ, occP := logcore.DateColumn(e.OccurredAt)
		rep, repP := logcore.DateColumn(e.ReportedAt)
		src, srcP := logcore.DateColumn(e.Source.Date)
		cols[0].int(e.Position)
		cols[1].text(e.ID)
		cols[2].text(e.Stream)
		cols[3].int(e.Version)
		cols[4].text(e.Type)
		cols[5].int(int64(e.SchemaVersion))
		cols[6].bytes(r.Data)
		cols[7].text(occ)
		cols[8].text(occP)
		cols[9].text(rep)
		cols[10].text(repP)
		cols[11].text(e.Source.Publication)
		cols[12].text(e.Source.Title)
		cols[13].text(e.Source.URL)
		cols[14].text(src)
		cols[15].text(srcP)
		cols[16].text(string(e.Confidence))
		cols[17].text(e.Analyst)
		cols[18].text(e.CorrelationID)
		cols[19].text(e.CausationID)
	}
	args := make([]any, 0, 25)
	args = append(args, names.value(), versions.value(), plan.Head, plan.RecordedAt, expectedHead)
	for _, c := range cols {
		args = append(args, c.value())
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, wrapErr("write events", err)
	}
	written, err := res.RowsAffected()
	if err != nil {
		return 0, wrapErr("write events", err)
	}
	return written, nil
}

// column builds an array parameter element by element.
type column interface {
	int(v int64)
	text(s string)
	bytes(b []byte)
	// value returns the parameter.
	value() any
}

// The element types of the arrays (pg_type oids).
const (
	oidInt8 uint32 = 20
	oidInt4 uint32 = 23
	oidText uint32 = 25
)

// binaryArray builds a one-dimensional array without NULLs in
// PostgreSQL's binary format (array_recv): a header (dimensions, flags,
// element type, length, lower bound) and each element as its length and
// its bytes (an int8 as 8 bytes, an int4 as 4, big-endian). Sent as a binary parameter,
// the server reads it without the parsing and unescaping of a text
// literal.
type binaryArray struct {
	b    []byte
	n    int
	elem uint32
}

const binaryArrayHeader = 20

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
	a.b = append(a.b, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			a.b = append(a.b, '\\')
		}
		a.b = append(a.b, s[i])
	}
	a.b = append(a.b, '"')
}

// bytes appends a text element given as bytes (always quoted).
func (a *arrayLiteral) bytes(b []byte) {
	a.sep()
	a.b = append(a.b, '"')
	for len(b) > 0 {
		i := bytes.IndexAny(b, `"\\`)
		if i < 0 {
			a.b = append(a.b, b...)
			break
		}
		a.b = append(a.b, b[:i]...)
		a.b = append(a.b, '\\', b[i])
		b = b[i+1:]
	}
	a.b = append(a.b, '"')
}

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
