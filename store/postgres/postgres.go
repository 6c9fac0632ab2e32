// Package postgres is accord's PostgreSQL event store: an events.Log on
// github.com/jmoiron/sqlx and github.com/lib/pq, with its schema embedded
// and migrated by pressly/goose.
//
// # Tables
//
// events holds one row per event: the columns meant for plain SQL and for
// the indexes (position, id, stream, version, type, occurred_at,
// reported_at, recorded_at, data as JSON text) and the whole envelope but
// the data in one bytea, envelope (logcore.AppendEnvelope), which is what
// the read path selects. Three unique indexes: position (the primary key),
// id (idempotent appends) and (stream, version) (stream reads, a stream's
// version, and a guard: two writes of one version can never both commit).
// log_head is a single row: the last allocated position, a token that
// every write of the head changes, and the last recorded_at. The first
// schema had a column per envelope field and a streams table; migration 3
// (Go code, migrate.go) moved to this layout.
//
// # Gap-free order: serialized position allocation
//
// A reader follows the log with ReadAll(after=last position seen). With
// positions taken from a sequence (bigserial) that is unsafe: transaction
// A takes position 10, B takes 11, B commits, a reader sees 11 and moves
// past 10, then A commits and 10 is never read.
//
// This store allocates positions under a lock instead. Every append
// transaction locks the one log_head row (SELECT ... FOR UPDATE), checks
// that the head is the one its events were planned after, inserts its
// events, writes the new head and commits. The row lock is held until the
// transaction ends, so the next appender waits for it and, under READ
// COMMITTED, then reads the committed value. PostgreSQL makes a
// transaction's commit visible to new snapshots before it releases the
// transaction's locks, so by the time the next appender can take the
// lock, every lower position is committed and visible (or was rolled back
// together with its log_head update, in which case the positions are
// reused). Positions therefore become visible in commit order with no
// gaps, and a reader that has seen position p can never later see a new
// event at or below p. A transaction that aborts leaves no hole.
//
// The price is that appends to the whole log are serialized from the
// moment they take the lock to their commit, disk flush included. Group
// commit makes them pay it together.
//
// # Group commit
//
// Append prepares its call (logcore.Prepare: copy, normalize, encode; on
// the caller's goroutine) and queues it; one writer goroutine per Log
// (logcore.Group) takes every call queued, up to logcore.MaxBatchEvents
// events, and writes them as one batch in one transaction, then answers
// each caller with its own result or error. While a batch is written the
// next calls queue, so one lock, one statement and one commit flush serve
// all the appends that arrived meanwhile. Before it takes a batch the
// writer waits a little for the callers it has just answered (at most half
// the last batch's time, and logcore.MaxLinger), since synchronous callers
// come back at once: without that, they would settle into small batches
// that each pay a whole commit.
//
// A batch is planned as if its calls had run one after the other, in queue
// order (logcore.MakePlan): each call's expected version is checked
// against the stream's version after the earlier calls of the batch (the
// first of two calls expecting version 3 of a stream wins, the second gets
// a *events.ConflictError with the actual version); a call whose events
// were all appended by an earlier call of the batch gets their positions,
// as a retry would; a conflict or an invalid call fails alone.
//
// The writer writes a batch in one of two ways.
//
// The optimistic write, the usual one, is one statement in its own
// implicit transaction: a call of accord_append (migrations/00004) with
// one array parameter per column, sent in PostgreSQL's binary format. The
// function locks log_head, checks that the head is still the one the
// writer planned from (position and token), inserts the events and writes
// the new head; if the head has moved it raises AC001 and nothing is
// written. To plan without a round trip, the writer keeps what it knows of
// the log (writerState): the head after its last batch and the versions of
// the streams it has written or read since. For a stream it does not
// know, it plans on the version that the first append to it expects and
// has the function check that version (AC002 when it is wrong); only an
// append that expects Any costs a read first (preRead). It does not look
// the ids up: an id already in the log makes the insert fail on the unique
// index, writing nothing. A call that the plan finds in conflict is
// checked against the log's ids first (settleConflicts): a retry of
// events already written is a duplicate, not a conflict.
//
// The locked write (lockedTx, appendBatch) is a transaction that looks the
// ids up (finishing calls whose events are all in the log, with the
// original positions: idempotent retries), locks log_head, reads the
// streams' versions, plans, writes with the same function and commits.
// The writer falls back to it for a batch when the optimistic write did
// not apply (another process appended: the head moved; a stream was not at
// the version assumed), failed on a unique index (an id already in the
// log, or a concurrent writer's), or waited too long for a lock. The locked write also refreshes what the writer
// knows. When the optimistic writes fail because another process is
// appending (the head has a token of another Log, or a lock was held), the
// writer writes on the locked path for a while (lockedSpell): two
// processes that both write optimistically would keep failing each
// other's batches; on the locked path they take turns.
//
// # Tried and left out: pipelining
//
// Sending the next batch before the previous one has committed (two
// connections, the next batch planned as if the previous succeeds, the
// head's token making the check exact) was built and measured: on a
// 2-core machine it was slower either way round. With the inserts first
// and the head lock last, the two backends contended for the same index
// pages (server CPU per event doubled); with the head lock first, every
// batch waited on a lock at the server, and half-size batches paid the
// commit twice as often (13k against 22k events/s).
//
// # Failures
//
// A batch whose transaction fails as a whole (a lost connection, the
// server going away) writes nothing and fails every call of the batch
// with the error, which wraps events.ErrUnavailable. A retryable error (a
// serialization failure, a deadlock, a unique violation, a lock timeout,
// a moved head) runs the batch again on the locked path, a bounded number
// of times. A value the database rejects (a data exception, ErrInvalid)
// makes the writer write the batch's calls one by one, so that only the
// offending call fails. A caller whose context ends while its call is
// queued gets the context's error and its call is dropped; once the batch
// is being written, the call may be written although its caller has gone,
// like a call whose connection is lost during the commit (retrying with
// the same ids is safe either way).
//
// The writer has a connection of its own (application_name
// "accord-writer"), whose statements are planned once (generic plans: the
// function's statements read no table whose size changes the plan), whose
// array parameters go in binary (no quoting, escaping and parsing of text
// arrays), and whose lock waits time out soon (writerLockTimeout: a long
// wait means another process holds the log).
//
// Import writes its events in one transaction of locked writes on the
// caller's goroutine, in chunks; the group writer sees the head move and
// falls back once.
//
// # Reads
//
// ReadAll and ReadStream select two columns per event: the envelope and
// the data, which lib/pq receives without conversion (the envelope in
// binary); logcore.ParseEnvelope rebuilds the event (repeated texts such
// as the stream, type and source are shared within a call) and the
// payloads are decoded (events.Codec.DecodeStored) on several goroutines
// for a large page.
//
// # Plans
//
// The main pool's connections are opened with
// plan_cache_mode=force_custom_plan (unless the DSN sets plan_cache_mode):
// the append and read paths use prepared statements (one round trip each
// instead of two), and PostgreSQL would otherwise keep a generic plan made
// while the tables were nearly empty, e.g. a sequential scan of events for
// the id lookup, whose cost then grows with the log (nothing replaces a
// cached plan until the table is analyzed, and autovacuum may be off).
// Custom plans cost some planning time per statement; they stay right as
// the tables grow.
//
// Watch out when changing the locked write: the statement that takes the
// lock must read nothing else. A statement that waits for a row lock keeps
// the snapshot it started with for everything but the locked row, so a
// statement that locked log_head and read the streams' versions would read
// stale ones.
// The statements after it start with fresh snapshots (READ COMMITTED). The
// optimistic write reads nothing but the locked row: everything else it
// writes comes from the writer's plan, checked by the head.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Log is an events.Log on PostgreSQL. It is safe for concurrent use; many
// processes may share one database.
type Log struct {
	db    *sqlx.DB
	wdb   *sqlx.DB // the group-commit writer's pool (generic plans)
	codec *events.Codec
	clock func() time.Time

	stmtMu sync.Mutex
	stmts  *statements // prepared on first use; see prepared

	group  *logcore.Group // the group-commit writer; see commitBatch
	tokens *tokens        // the tokens of the heads this Log writes
	w      writerState    // used by the group's writer goroutine only
	stats  WriterStats
	// buffers holds the read path's payload buffers (*logcore.Payloads),
	// reused from read to read.
	buffers sync.Pool
	// wbatch builds the writer's arrays, reused from batch to batch.
	wbatch *batch
	// onBatch, when not nil, is called by the writer with the size of
	// every batch before writing it (tests).
	onBatch func(n int)
}

var _ events.Log = (*Log)(nil)

// Open connects to the database of cfg.DSN, checks that it answers and,
// unless cfg.SkipMigrate, migrates it to the newest schema. A bad config or
// DSN wraps events.ErrInvalid; a database that cannot be reached wraps
// events.ErrUnavailable. Close the Log when done.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pqcfg, err := pq.NewConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DSN: %v: %w", err, events.ErrInvalid)
	}
	if pqcfg.Runtime == nil {
		pqcfg.Runtime = map[string]string{}
	}
	wcfg := pqcfg.Clone()
	if wcfg.ApplicationName == "" {
		wcfg.ApplicationName = WriterApplicationName
	}
	// The writer sends its arrays in binary (see binaryArray).
	wcfg.BinaryParameters = true
	if _, set := pqcfg.Runtime["plan_cache_mode"]; !set {
		pqcfg.Runtime["plan_cache_mode"] = "force_custom_plan"
		wcfg.Runtime["plan_cache_mode"] = "force_generic_plan"
	}
	// The optimistic write waits for locks only briefly: a long wait means
	// another process's writer holds the head (see the package comment).
	if _, set := wcfg.Runtime["lock_timeout"]; !set {
		wcfg.Runtime["lock_timeout"] = writerLockTimeout
	}
	db, err := openPool(pqcfg, cfg.MaxConns)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("postgres: connect: %w", err)
		}
		return nil, fmt.Errorf("postgres: connect: %w: %w", events.ErrUnavailable, err)
	}
	wdb, err := openPool(wcfg, 1, writerInit)
	if err != nil {
		db.Close()
		return nil, err
	}
	l := &Log{db: db, wdb: wdb, codec: cfg.Codec, clock: cfg.Clock, tokens: newTokens()}
	l.wbatch = newBatch(true)
	l.group = logcore.NewGroup(l.commitBatch)
	closeAll := func() {
		db.Close()
		wdb.Close()
	}
	if !cfg.SkipMigrate {
		if err := l.Migrate(ctx); err != nil {
			closeAll()
			return nil, err
		}
	}
	return l, nil
}

// writerLockTimeout is the lock_timeout of the writer's connections.
const writerLockTimeout = "250ms"

// WriterApplicationName is the application_name of the group-commit
// writer's connections (unless the DSN sets one), so that they can be told
// apart in pg_stat_activity.
const WriterApplicationName = "accord-writer"

// openPool returns a connection pool of at most n connections, which run
// the init statements when they open.
func openPool(cfg pq.Config, n int, init ...string) (*sqlx.DB, error) {
	conn, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DSN: %v: %w", err, events.ErrInvalid)
	}
	conn.Dialer(dialer{d: net.Dialer{KeepAlive: 30 * time.Second}})
	db := sqlx.NewDb(sql.OpenDB(initConnector{Connector: conn, init: init}), "postgres")
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// Migrate applies the embedded migrations that the database lacks, under a
// PostgreSQL advisory lock (concurrent callers wait for each other). It is
// a no-op on an up-to-date database.
func (l *Log) Migrate(ctx context.Context) error {
	p, err := l.migrationProvider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return wrapErr("migrate", err)
	}
	return nil
}

// migrationProvider returns the goose provider of the embedded migrations
// (SQL files, and the Go migration envelopeMigration).
func (l *Log) migrationProvider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, l.db.DB, sub,
		goose.WithSessionLocker(migrationLocker{}), goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(envelopeMigration()))
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return p, nil
}

// migrationLockID is the key of the advisory lock that serializes
// migrations of one database (advisory locks are per database).
const migrationLockID int64 = 0x6163636f7264 // "accord"

// migrationLocker is a goose session locker that waits on
// pg_advisory_lock. (goose's own polls pg_try_advisory_lock every 5
// seconds, which makes processes that start together wait that long.)
type migrationLocker struct{}

var _ lock.SessionLocker = migrationLocker{}

// SessionLock waits for the migration lock, or for ctx to end.
func (migrationLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockID)
	return err
}

// SessionUnlock releases the migration lock.
func (migrationLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, migrationLockID)
	return err
}

// Close stops the group-commit writer (appends still queued fail with
// ErrUnavailable) and closes the connection pool. Calls in progress may
// fail.
func (l *Log) Close() error {
	l.group.Close()
	l.stmtMu.Lock()
	if l.stmts != nil {
		l.stmts.close()
		l.stmts = nil
	}
	l.stmtMu.Unlock()
	return errors.Join(l.db.Close(), l.wdb.Close())
}

// DB returns the connection pool, for read models and tools that share the
// database. Writing to the log's tables through it breaks the Log's
// guarantees.
func (l *Log) DB() *sqlx.DB { return l.db }

// Backend returns "postgres".
func (l *Log) Backend() string { return "postgres" }
