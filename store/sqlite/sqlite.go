// Package sqlite is accord's embedded event store: an events.Log in one
// SQLite file, on modernc.org/sqlite (pure Go, no cgo), with its schema
// embedded and migrated by pressly/goose. It has the tables and columns of
// store/postgres, with dates as ISO text.
//
// # Concurrency and gap-free order
//
// The file is opened in WAL mode, so readers never block the writer nor
// each other, with a busy timeout, foreign keys on, and every transaction
// started with BEGIN IMMEDIATE (DSN parameter _txlock=immediate): a write
// transaction takes SQLite's single write lock when it begins, not when it
// first writes, so two writers never deadlock upgrading their locks.
// Inside one process appends also queue on a lock of the Log before they
// begin, so they wait in Go rather than in SQLite's busy handler (a
// retry-and-sleep loop that turns contention into latency spikes and
// SQLITE_BUSY errors).
//
// Appends are committed in groups: concurrent calls queue for one writer
// goroutine, which writes all the calls queued in one transaction (one
// flush of the WAL), each with its own outcome, as if they had run one
// after the other (logcore.Group and logcore.MakePlan; see store/postgres
// for the details).
//
// Since only one write transaction runs at a time, positions are allocated
// (from the log_head row, as in store/postgres) and committed in the same
// order, and a reader that follows the log with ReadAll never misses an
// event. Reads are single statements and see a consistent snapshot.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// maxConns bounds the connection pool: readers run in parallel in WAL mode;
// writers take turns.
const maxConns = 8

// recordedAtLayout is the fixed-width text form of recorded_at.
const recordedAtLayout = "2006-01-02T15:04:05.000000Z"

// Log is an events.Log in a SQLite file. It is safe for concurrent use;
// other processes may open the same file (they take turns writing).
type Log struct {
	db    *sqlx.DB
	codec *events.Codec
	clock func() time.Time
	// writer is the in-process write lock: a token channel, so that
	// waiting for it respects the context.
	writer chan struct{}
	// group is the group-commit writer; see commitBatch.
	group *logcore.Group
	// buffers holds the read path's payload buffers (*logcore.Payloads),
	// reused from read to read.
	buffers sync.Pool
}

var _ events.Log = (*Log)(nil)

// Open opens (creating it if missing) the database file cfg.Path, checks
// that it can be read and, unless cfg.SkipMigrate, migrates it to the
// newest schema. A bad config wraps events.ErrInvalid; a file that cannot
// be opened wraps events.ErrUnavailable. Close the Log when done.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := sqlx.Open("sqlite", dsn(cfg.Path, cfg.BusyTimeout))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %v: %w", cfg.Path, err, events.ErrInvalid)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	l := &Log{db: db, codec: cfg.Codec, clock: cfg.Clock, writer: make(chan struct{}, 1)}
	l.group = logcore.NewGroup(l.commitBatch)
	// Ping opens a connection, which runs the pragmas (and switches a new
	// file to WAL). Reading the schema checks that the file is a database.
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, wrapErr("open "+cfg.Path, err)
	}
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM sqlite_schema`); err != nil {
		db.Close()
		return nil, wrapErr("open "+cfg.Path, err)
	}
	if !cfg.SkipMigrate {
		if err := l.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return l, nil
}

// dsn returns the modernc.org/sqlite DSN for path: a file: URI (path
// characters that URIs give a meaning to are escaped) with the pragmas
// every connection runs when it opens, and BEGIN IMMEDIATE for every
// transaction.
func dsn(path string, busy time.Duration) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + q.Encode()
}

// Migrate applies the embedded migrations that the file lacks. It takes the
// Log's write lock; other processes are kept out by SQLite's (the
// migrations are idempotent in case two processes create a file at once).
func (l *Log) Migrate(ctx context.Context) error {
	if err := l.lock(ctx); err != nil {
		return err
	}
	defer l.unlock()
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
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, l.db.DB, sub, goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(envelopeMigration()))
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	return p, nil
}

// lock takes the in-process write lock, or fails when ctx ends first.
func (l *Log) lock(ctx context.Context) error {
	select {
	case l.writer <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sqlite: waiting for the write lock: %w", ctx.Err())
	}
}

func (l *Log) unlock() { <-l.writer }

// Close stops the group-commit writer (appends still queued fail with
// ErrUnavailable) and closes the database. Calls in progress may fail.
func (l *Log) Close() error {
	l.group.Close()
	return l.db.Close()
}

// DB returns the connection pool, for read models and tools that share the
// file. Its transactions begin IMMEDIATE (they take the write lock).
// Writing to the log's tables through it breaks the Log's guarantees.
func (l *Log) DB() *sqlx.DB { return l.db }

// Backend returns "sqlite".
func (l *Log) Backend() string { return "sqlite" }

// readColumns is the select list of the read path: the envelope (every
// field but the data; see logcore.AppendEnvelope) and the data, two values
// per row that need no conversion.
const readColumns = `envelope, data`

// readAllSQL reads the events after a position, in position order.
const readAllSQL = `SELECT ` + readColumns + ` FROM events WHERE position > ? ORDER BY position LIMIT ?`

// ReadStream returns up to limit events of stream with Version >= from, in
// version order; an unknown stream gives an empty slice. limit must be 1 or
// more (else ErrInvalid).
func (l *Log) ReadStream(ctx context.Context, stream string, from int64, limit int) ([]events.Event, error) {
	if err := logcore.CheckLimit(limit); err != nil {
		return nil, err
	}
	return l.read(ctx, "read stream", limit,
		`SELECT `+readColumns+` FROM events WHERE stream = ? AND version >= ? ORDER BY version LIMIT ?`,
		stream, max(from, 1), limit)
}

// ReadAll returns up to limit events with Position > after, in position
// order; following the log with the last position seen never misses an
// event (see the package comment). limit must be 1 or more (else
// ErrInvalid).
func (l *Log) ReadAll(ctx context.Context, after int64, limit int) ([]events.Event, error) {
	if err := logcore.CheckLimit(limit); err != nil {
		return nil, err
	}
	return l.read(ctx, "read all", limit, readAllSQL, max(after, 0), limit)
}

// read runs a select of readColumns (logcore.ReadEvents).
func (l *Log) read(ctx context.Context, op string, limit int, q string, args ...any) ([]events.Event, error) {
	return logcore.ReadEvents(l.codec, "sqlite", op, limit, &l.buffers, wrapErr, func() (*sql.Rows, error) {
		return l.db.QueryContext(ctx, q, args...)
	})
}

// ScanAll is ReadAll without the slice: it hands each event with Position >
// after, up to limit of them, to fn as soon as it is read and decoded, in
// position order, and returns how many it handed over. The *Event is
// reused from call to call (fn must copy what it keeps; its Data is new
// each time); fn's error stops the scan and is returned.
func (l *Log) ScanAll(ctx context.Context, after int64, limit int, fn func(*events.Event) error) (int, error) {
	if err := logcore.CheckLimit(limit); err != nil {
		return 0, err
	}
	return logcore.ScanEvents(l.codec, "sqlite", "scan all", wrapErr, func() (*sql.Rows, error) {
		return l.db.QueryContext(ctx, readAllSQL, max(after, 0), limit)
	}, fn)
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
