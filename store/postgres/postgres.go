// Package postgres is accord's PostgreSQL event store: an events.Log on
// github.com/jmoiron/sqlx and github.com/lib/pq, with its schema embedded
// and migrated by pressly/goose.
//
// # Tables
//
// events holds one row per event (see migrations/00001_events.sql; the
// columns are meant to be read with psql), streams the current version of
// every stream, and log_head a single row with the last allocated global
// position.
//
// # Gap-free order: serialized position allocation
//
// A reader follows the log with ReadAll(after=last position seen). With
// positions taken from a sequence (bigserial) that is unsafe: transaction
// A takes position 10, B takes 11, B commits, a reader sees 11 and moves
// past 10, then A commits and 10 is never read.
//
// This store allocates positions under a lock instead. Every append
// transaction locks the one log_head row (SELECT ... FOR UPDATE), reads the
// last position, inserts its events after it, writes the new last position
// back and commits. The row lock is held until the transaction ends, so the
// next appender waits for it and, under READ COMMITTED, then reads the
// committed value. PostgreSQL makes a transaction's commit visible to new
// snapshots before it releases the transaction's locks, so by the time the
// next appender can take any position, every lower position is committed
// and visible (or was rolled back together with its log_head update, in
// which case the positions are reused). Positions are therefore assigned
// in commit order with no gaps, and a reader that has seen position p can
// never later see a new event at or below p. A transaction that aborts
// leaves no hole.
//
// The price is that appends to the whole log are serialized for the length
// of their write (a few statements). The append path processes a batch of
// requests per transaction (see appendBatch) so that a group-commit writer
// can amortize the lock and the commit over many concurrent appends.
//
// # Plans
//
// Connections are opened with plan_cache_mode=force_custom_plan (unless the
// DSN sets plan_cache_mode): the append path uses prepared statements (one
// round trip each instead of two), and PostgreSQL would otherwise keep a
// generic plan made while the tables were nearly empty, e.g. a sequential
// scan of events for the id lookup, whose cost then grows with the log
// (nothing replaces a cached plan until the table is analyzed, and
// autovacuum may be off). Custom plans cost some planning time per
// statement; they stay right as the tables grow.
//
// Watch out when changing the append path: the statement that takes the
// lock must read nothing else. A statement that waits for a row lock keeps
// the snapshot it started with for everything but the locked row, so a CTE
// that locked log_head and read streams would read stale stream versions.
// The statements after it start with fresh snapshots (READ COMMITTED).
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
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
	codec *events.Codec
	clock func() time.Time

	stmtMu sync.Mutex
	stmts  *statements // prepared on first use; see prepared
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
	if _, set := pqcfg.Runtime["plan_cache_mode"]; !set {
		pqcfg.Runtime["plan_cache_mode"] = "force_custom_plan"
	}
	conn, err := pq.NewConnectorConfig(pqcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DSN: %v: %w", err, events.ErrInvalid)
	}
	db := sqlx.NewDb(sql.OpenDB(conn), "postgres")
	db.SetMaxOpenConns(cfg.MaxConns)
	db.SetMaxIdleConns(cfg.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("postgres: connect: %w", err)
		}
		return nil, fmt.Errorf("postgres: connect: %w: %w", events.ErrUnavailable, err)
	}
	l := &Log{db: db, codec: cfg.Codec, clock: cfg.Clock}
	if !cfg.SkipMigrate {
		if err := l.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return l, nil
}

// Migrate applies the embedded migrations that the database lacks, under a
// PostgreSQL advisory lock (concurrent callers wait for each other). It is
// a no-op on an up-to-date database.
func (l *Log) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, l.db.DB, sub,
		goose.WithSessionLocker(migrationLocker{}), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return wrapErr("migrate", err)
	}
	return nil
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

// Close closes the connection pool. Calls in progress may fail.
func (l *Log) Close() error {
	l.stmtMu.Lock()
	if l.stmts != nil {
		l.stmts.close()
		l.stmts = nil
	}
	l.stmtMu.Unlock()
	return l.db.Close()
}

// DB returns the connection pool, for read models and tools that share the
// database. Writing to the log's tables through it breaks the Log's
// guarantees.
func (l *Log) DB() *sqlx.DB { return l.db }

// Backend returns "postgres".
func (l *Log) Backend() string { return "postgres" }

// eventColumns is the select list that scanEvent reads, in order.
const eventColumns = `position, id, stream, version, type, schema_version, data,
	occurred_at, occurred_precision, reported_at, reported_precision, recorded_at,
	source_publication, COALESCE(source_title, ''), COALESCE(source_url, ''),
	source_date, COALESCE(source_date_precision, ''),
	confidence, COALESCE(analyst, ''), COALESCE(correlation_id, ''), COALESCE(causation_id, '')`

// ReadStream returns up to limit events of stream with Version >= from, in
// version order; an unknown stream gives an empty slice. limit must be 1 or
// more (else ErrInvalid).
func (l *Log) ReadStream(ctx context.Context, stream string, from int64, limit int) ([]events.Event, error) {
	if err := logcore.CheckLimit(limit); err != nil {
		return nil, err
	}
	return l.query(ctx, "read stream",
		`SELECT `+eventColumns+` FROM events WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3`,
		stream, max(from, 1), limit)
}

// ReadAll returns up to limit events with Position > after, in position
// order. Positions are gap-free as readers see them (see the package
// comment), so following the log with the last position seen never misses
// an event. limit must be 1 or more (else ErrInvalid).
func (l *Log) ReadAll(ctx context.Context, after int64, limit int) ([]events.Event, error) {
	if err := logcore.CheckLimit(limit); err != nil {
		return nil, err
	}
	return l.query(ctx, "read all",
		`SELECT `+eventColumns+` FROM events WHERE position > $1 ORDER BY position LIMIT $2`,
		max(after, 0), limit)
}

// Head returns the highest committed position (0 for an empty log).
func (l *Log) Head(ctx context.Context) (int64, error) {
	var head int64
	if err := l.db.GetContext(ctx, &head, `SELECT COALESCE(max(position), 0) FROM events`); err != nil {
		return 0, wrapErr("head", err)
	}
	return head, nil
}

// StreamVersion returns the stream's current version (0 if it has no
// events).
func (l *Log) StreamVersion(ctx context.Context, stream string) (int64, error) {
	var v int64
	err := l.db.GetContext(ctx, &v, `SELECT version FROM streams WHERE stream = $1`, stream)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, wrapErr("stream version", err)
	}
	return v, nil
}

// query runs a select of eventColumns and decodes the rows.
func (l *Log) query(ctx context.Context, op, q string, args ...any) ([]events.Event, error) {
	rows, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	defer rows.Close()
	out := []events.Event{}
	for rows.Next() {
		e, err := l.scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: %s: %w", op, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(op, err)
	}
	return out, nil
}

func (l *Log) scanEvent(rows *sql.Rows) (events.Event, error) {
	var (
		e                      events.Event
		data                   []byte
		occ, rep               time.Time
		occP, repP, srcP, conf string
		src                    sql.NullTime
	)
	if err := rows.Scan(&e.Position, &e.ID, &e.Stream, &e.Version, &e.Type, &e.SchemaVersion, &data,
		&occ, &occP, &rep, &repP, &e.RecordedAt,
		&e.Source.Publication, &e.Source.Title, &e.Source.URL, &src, &srcP,
		&conf, &e.Analyst, &e.CorrelationID, &e.CausationID); err != nil {
		return e, wrapErr("scan", err)
	}
	e.RecordedAt = e.RecordedAt.UTC()
	e.Confidence = events.Confidence(conf)
	var err error
	if e.OccurredAt, err = logcore.ParseDateColumn(occ, occP); err != nil {
		return e, fmt.Errorf("event %d: occurred_at: %w", e.Position, err)
	}
	if e.ReportedAt, err = logcore.ParseDateColumn(rep, repP); err != nil {
		return e, fmt.Errorf("event %d: reported_at: %w", e.Position, err)
	}
	if src.Valid {
		if e.Source.Date, err = logcore.ParseDateColumn(src.Time, srcP); err != nil {
			return e, fmt.Errorf("event %d: source_date: %w", e.Position, err)
		}
	}
	if e.Data, err = l.codec.DecodeStored(e.Type, e.SchemaVersion, data); err != nil {
		return e, fmt.Errorf("event %d (%s): %w", e.Position, e.Type, err)
	}
	// DecodeStored upcasts older data: SchemaVersion describes Data.
	e.SchemaVersion = max(e.SchemaVersion, l.codec.SchemaVersion(e.Type))
	return e, nil
}
