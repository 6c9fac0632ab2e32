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
// Since only one write transaction runs at a time, positions are allocated
// (from the log_head row, as in store/postgres) and committed in the same
// order, and a reader that follows the log with ReadAll never misses an
// event. Reads are single statements and see a consistent snapshot.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
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
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, l.db.DB, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return wrapErr("migrate", err)
	}
	return nil
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

// Close closes the database. Calls in progress may fail.
func (l *Log) Close() error { return l.db.Close() }

// DB returns the connection pool, for read models and tools that share the
// file. Its transactions begin IMMEDIATE (they take the write lock).
// Writing to the log's tables through it breaks the Log's guarantees.
func (l *Log) DB() *sqlx.DB { return l.db }

// Backend returns "sqlite".
func (l *Log) Backend() string { return "sqlite" }

// eventColumns is the select list that scanEvent reads, in order.
const eventColumns = `position, id, stream, version, type, schema_version, data,
	occurred_at, occurred_precision, reported_at, reported_precision, recorded_at,
	source_publication, COALESCE(source_title, ''), COALESCE(source_url, ''),
	COALESCE(source_date, ''), COALESCE(source_date_precision, ''),
	confidence, COALESCE(analyst, ''), COALESCE(correlation_id, ''), COALESCE(causation_id, '')`

// ReadStream returns up to limit events of stream with Version >= from, in
// version order; an unknown stream gives an empty slice. limit must be 1 or
// more (else ErrInvalid).
func (l *Log) ReadStream(ctx context.Context, stream string, from int64, limit int) ([]events.Event, error) {
	if err := logcore.CheckLimit(limit); err != nil {
		return nil, err
	}
	return l.query(ctx, "read stream",
		`SELECT `+eventColumns+` FROM events WHERE stream = ? AND version >= ? ORDER BY version LIMIT ?`,
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
	return l.query(ctx, "read all",
		`SELECT `+eventColumns+` FROM events WHERE position > ? ORDER BY position LIMIT ?`,
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
	err := l.db.GetContext(ctx, &v, `SELECT version FROM streams WHERE stream = ?`, stream)
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
			return nil, fmt.Errorf("sqlite: %s: %w", op, err)
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
		e                                    events.Event
		data                                 []byte
		occ, occP, rep, repP, rec, src, srcP string
		conf                                 string
	)
	if err := rows.Scan(&e.Position, &e.ID, &e.Stream, &e.Version, &e.Type, &e.SchemaVersion, &data,
		&occ, &occP, &rep, &repP, &rec,
		&e.Source.Publication, &e.Source.Title, &e.Source.URL, &src, &srcP,
		&conf, &e.Analyst, &e.CorrelationID, &e.CausationID); err != nil {
		return e, wrapErr("scan", err)
	}
	e.Confidence = events.Confidence(conf)
	var err error
	if e.RecordedAt, err = time.Parse(time.RFC3339Nano, rec); err != nil {
		return e, fmt.Errorf("event %d: recorded_at: %w", e.Position, err)
	}
	e.RecordedAt = e.RecordedAt.UTC()
	if e.OccurredAt, err = logcore.ParseDateText(occ, occP); err != nil {
		return e, fmt.Errorf("event %d: occurred_at: %w", e.Position, err)
	}
	if e.ReportedAt, err = logcore.ParseDateText(rep, repP); err != nil {
		return e, fmt.Errorf("event %d: reported_at: %w", e.Position, err)
	}
	if e.Source.Date, err = logcore.ParseDateText(src, srcP); err != nil {
		return e, fmt.Errorf("event %d: source_date: %w", e.Position, err)
	}
	if e.Data, err = l.codec.DecodeStored(e.Type, e.SchemaVersion, data); err != nil {
		return e, fmt.Errorf("event %d (%s): %w", e.Position, e.Type, err)
	}
	// DecodeStored upcasts older data: SchemaVersion describes Data.
	e.SchemaVersion = max(e.SchemaVersion, l.codec.SchemaVersion(e.Type))
	return e, nil
}
