// Package store opens accord's event store from a single string, as the
// CLI's --db flag and the ACCORD_DB variable give it: a PostgreSQL URL
// selects store/postgres, anything else a SQLite file (store/sqlite).
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
	"github.com/accord-dev/accord/store/postgres"
	"github.com/accord-dev/accord/store/sqlite"
)

// Store is an open event log: the events.Log contract plus what its owner
// (the CLI, the server) needs.
type Store interface {
	events.Log
	// Close releases the database; the Store must not be used afterwards.
	Close() error
	// Backend names the implementation and the SQL dialect of DB:
	// "postgres" or "sqlite".
	Backend() string
	// DB is the store's connection pool, for read models kept in the same
	// database. Writing to the log's tables (events, streams, log_head)
	// through it breaks the log's guarantees. On SQLite its transactions
	// begin IMMEDIATE (they take the file's write lock).
	DB() *sqlx.DB
	// Import appends events of any streams in one all-or-nothing
	// transaction, in input order, each after its stream's current events
	// (expected version Any); events whose id is already in the log or
	// earlier in the input are skipped and counted as duplicates. progress
	// (may be nil) is called with the number of input events handled so
	// far.
	Import(ctx context.Context, evs []events.Event, progress func(done int)) (ImportResult, error)
}

// Scanner is what the stores offer besides ReadAll for reading the whole
// log fast: ScanAll hands the events after a position to a function as
// they are read and decoded, without collecting them in a slice, reusing
// one *events.Event (the function copies what it keeps; Data is new each
// time). Both store/postgres and store/sqlite implement it.
type Scanner interface {
	ScanAll(ctx context.Context, after int64, limit int, fn func(*events.Event) error) (int, error)
}

var (
	_ Scanner = (*postgres.Log)(nil)
	_ Scanner = (*sqlite.Log)(nil)
)

// ImportResult counts what Store.Import did: Appended events written,
// Duplicates skipped (already in the log, or earlier in the input).
type ImportResult = logcore.ImportResult

var (
	_ Store = (*postgres.Log)(nil)
	_ Store = (*sqlite.Log)(nil)
)

// Open opens (and migrates to the newest schema) the store that dsn names:
//
//   - "postgres://..." or "postgresql://...": PostgreSQL (store/postgres);
//   - "sqlite:PATH" (also "sqlite://PATH") or a plain file path: a SQLite
//     file, created if missing (store/sqlite).
//
// An empty dsn, or another scheme ("mysql://..."), is an ErrInvalid error;
// a database that cannot be reached wraps ErrUnavailable. codec may be nil
// (events.NewCodec()).
func Open(ctx context.Context, dsn string, codec *events.Codec) (Store, error) {
	backend, target, err := parse(dsn)
	if err != nil {
		return nil, err
	}
	// Return a nil interface, not a nil *Log in one, on failure.
	if backend == "postgres" {
		l, err := postgres.Open(ctx, postgres.Config{DSN: target, Codec: codec})
		if err != nil {
			return nil, err
		}
		return l, nil
	}
	l, err := sqlite.Open(ctx, sqlite.Config{Path: target, Codec: codec})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// parse splits dsn into the backend and what that backend opens.
func parse(dsn string) (backend, target string, err error) {
	lower := strings.ToLower(dsn)
	switch {
	case strings.TrimSpace(dsn) == "":
		return "", "", fmt.Errorf("no database given (a postgres:// URL or a SQLite file path): %w", events.ErrInvalid)
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return "postgres", dsn, nil
	case strings.HasPrefix(lower, "sqlite://"):
		target = dsn[len("sqlite://"):]
	case strings.HasPrefix(lower, "sqlite:"):
		target = dsn[len("sqlite:"):]
	case strings.Contains(dsn, "://"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return "", "", fmt.Errorf("database %s:// is not supported (use postgres://, sqlite:PATH or a file path): %w", scheme, events.ErrInvalid)
	default:
		target = dsn
	}
	if target == "" {
		return "", "", fmt.Errorf("database %q names no file: %w", dsn, events.ErrInvalid)
	}
	return "sqlite", target, nil
}

// DefaultPath returns the default SQLite file, accord.db in the user's data
// directory: $XDG_DATA_HOME/accord when XDG_DATA_HOME is an absolute path,
// else ~/.local/share/accord. The directory is created (mode 0700) if
// missing; the file is not.
func DefaultPath() (string, error) {
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("default database: %w", err)
		}
		if home == "" {
			return "", errors.New("default database: no home directory")
		}
		base = filepath.Join(home, ".local", "share")
	}
	dir := filepath.Join(base, "accord")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("default database: %w", err)
	}
	return filepath.Join(dir, "accord.db"), nil
}
