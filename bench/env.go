package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	_ "modernc.org/sqlite" // the "sqlite" driver, for the compared plain store

	"github.com/accord-dev/accord/events"
)

// env creates the fresh databases of one Run and drops them at the end.
type env struct {
	name    string // see Config.Name
	backend string // "postgres" or "sqlite"
	server  *url.URL
	admin   *sql.DB // postgres: a connection to the server's database
	dir     string  // sqlite: the run's directory
	created []string
}

// newEnv checks db and connects to the server (PostgreSQL) or creates the
// run's directory (SQLite).
func newEnv(ctx context.Context, db, name string) (*env, error) {
	e, err := connectEnv(ctx, db)
	if err != nil {
		return nil, err
	}
	e.name = name
	return e, nil
}

// connectEnv is newEnv without the name.
func connectEnv(ctx context.Context, db string) (*env, error) {
	lower := strings.ToLower(db)
	switch {
	case strings.TrimSpace(db) == "":
		return nil, fmt.Errorf("bench: no database given (a postgres:// server URL or a SQLite path): %w", events.ErrInvalid)
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		u, err := url.Parse(db)
		if err != nil {
			return nil, fmt.Errorf("bench: database URL: %v: %w", err, events.ErrInvalid)
		}
		admin, err := sql.Open("postgres", db)
		if err != nil {
			return nil, fmt.Errorf("bench: %v: %w", err, events.ErrInvalid)
		}
		admin.SetMaxOpenConns(1)
		if err := admin.PingContext(ctx); err != nil {
			admin.Close()
			return nil, fmt.Errorf("bench: connect to %s: %w: %w", u.Redacted(), events.ErrUnavailable, err)
		}
		return &env{backend: "postgres", server: u, admin: admin}, nil
	case strings.Contains(db, "://") && !strings.HasPrefix(lower, "sqlite://"):
		return nil, fmt.Errorf("bench: database %q is neither postgres:// nor a SQLite path: %w", db, events.ErrInvalid)
	}
	path := db
	for _, p := range []string{"sqlite://", "sqlite:"} {
		if strings.HasPrefix(lower, p) {
			path = db[len(p):]
			break
		}
	}
	parent := filepath.Dir(path)
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		parent = path
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w: %w", events.ErrUnavailable, err)
	}
	dir, err := os.MkdirTemp(parent, "accord-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w: %w", events.ErrUnavailable, err)
	}
	return &env{backend: "sqlite", dir: dir}, nil
}

// newDatabase creates a fresh database (PostgreSQL) or names a fresh file
// (SQLite) and returns its DSN for store.Open; label shows in the name.
func (e *env) newDatabase(ctx context.Context, label string) (string, error) {
	var rnd [5]byte
	_, _ = rand.Read(rnd[:])
	name := "accord_" + e.name + "_" + label + "_" + hex.EncodeToString(rnd[:])
	if e.backend == "sqlite" {
		return "sqlite:" + filepath.Join(e.dir, name+".db"), nil
	}
	if _, err := e.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	e.created = append(e.created, name)
	u := *e.server
	u.Path = "/" + name
	return u.String(), nil
}

// openDB opens a plain connection pool on a DSN of newDatabase.
func (e *env) openDB(ctx context.Context, dsn string) (*sqlx.DB, error) {
	if e.backend == "sqlite" {
		path := strings.TrimPrefix(dsn, "sqlite:")
		db, err := sqlx.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(8)
		return db, db.PingContext(ctx)
	}
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	return db, db.PingContext(ctx)
}

// settle makes PostgreSQL write out the dirty buffers of the phases before
// (CHECKPOINT; best effort: it needs a superuser or pg_checkpoint), so
// that a checkpoint triggered by their writes does not slow the next
// phase's commits: every store is measured from the same start.
func (e *env) settle(ctx context.Context) {
	if e.backend == "postgres" {
		_, _ = e.admin.ExecContext(ctx, "CHECKPOINT")
	}
}

// cleanup drops the databases and removes the directory.
func (e *env) cleanup() error {
	var errs []error
	if e.backend == "sqlite" {
		if e.dir != "" {
			errs = append(errs, os.RemoveAll(e.dir))
		}
		return errors.Join(errs...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, name := range e.created {
		if _, err := e.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			errs = append(errs, fmt.Errorf("bench: drop database %s: %w", name, err))
		}
	}
	errs = append(errs, e.admin.Close())
	return errors.Join(errs...)
}
