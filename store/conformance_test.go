package store_test

import (
	"path/filepath"
	"testing"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/pgtest"
	"github.com/accord-dev/accord/store/postgres"
	"github.com/accord-dev/accord/store/sqlite"
	"github.com/accord-dev/accord/store/storetest"
)

// TestLog runs the conformance suite on every backend.
func TestLog(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		pgtest.Require(t)
		storetest.Run(t, func(t *testing.T) events.Log {
			dsn := pgtest.NewDatabase(t)
			l, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return l
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) events.Log {
			l, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "accord.db")})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return l
		})
	})
}
