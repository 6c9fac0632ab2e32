// Package pgtest gives tests a fresh PostgreSQL database of their own.
//
// The server is taken from the environment variable ACCORD_TEST_PG (a
// lib/pq URL), by default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. When the
// server cannot be reached the test is skipped, or fails when CI=true: in
// CI a missing database must not turn into a green run.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
)

// EnvServer names the environment variable with the server URL.
const EnvServer = "ACCORD_TEST_PG"

// DefaultServer is the server URL when EnvServer is unset.
const DefaultServer = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns the URL of the test server (EnvServer or
// DefaultServer).
func ServerURL() string {
	if s := os.Getenv(EnvServer); s != "" {
		return s
	}
	return DefaultServer
}

// Require skips t (or fails it when CI=true) unless the test server
// answers. Call it once before many NewDatabase calls so that an absent
// server is reported once, quickly.
func Require(t testing.TB) {
	t.Helper()
	server := ServerURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := sql.Open("postgres", server)
	if err == nil {
		defer db.Close()
		err = db.PingContext(ctx)
	}
	if err != nil {
		unreachable(t, server, err)
	}
}

// NewDatabase creates an empty database with a unique name for t and
// returns its DSN (the server URL with the database name replaced). The
// database is dropped, with its remaining connections forced closed, when
// t and its subtests finish; close pools opened on it in a t.Cleanup
// registered after NewDatabase (cleanups run last-in first-out), or the
// forced drop will cut them off.
//
// If the server cannot be reached, NewDatabase calls t.Fatal when the
// environment has CI=true and t.Skip otherwise.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerURL()
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: %s=%q is not a postgres:// URL", EnvServer, server)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("postgres", server)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	admin.SetMaxOpenConns(1)
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		unreachable(t, server, err)
	}
	name := databaseName(t.Name())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		admin.Close()
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// unreachable fails or skips t, depending on CI.
func unreachable(t testing.TB, server string, err error) {
	t.Helper()
	where := server
	if u, perr := url.Parse(server); perr == nil {
		where = u.Redacted()
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("pgtest: PostgreSQL at %s is not reachable (%v); CI=true requires it (set %s to a reachable server)", where, err, EnvServer)
	}
	t.Skipf("pgtest: skipping: PostgreSQL at %s is not reachable (%v); set %s to a server URL to run this test", where, err, EnvServer)
}

// databaseName returns a valid, unique database name that shows which test
// made it: "accord_test_" + the test name in lower-case letters, digits and
// underscores, cut short, + a random suffix; at most 63 bytes.
func databaseName(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	slug := b.String()
	if len(slug) > 34 {
		slug = slug[len(slug)-34:]
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	return "accord_test_" + slug + "_" + hex.EncodeToString(rnd[:])
}
