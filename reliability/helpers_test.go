package reliability

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store"
	"github.com/accord-dev/accord/store/pgtest"
)

// envInt returns the positive integer in the environment variable name, or
// def when it is unset. A value that is not a positive integer fails t.
func envInt(t testing.TB, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// backends are the stores every test runs on.
var backends = []string{"postgres", "sqlite"}

// newDSN returns the DSN of a fresh, empty store of backend for t: a
// database of its own on the test server (pgtest), or a file in t's
// temporary directory.
func newDSN(t *testing.T, backend string) string {
	t.Helper()
	if backend == "postgres" {
		return pgtest.NewDatabase(t)
	}
	return "sqlite:" + filepath.Join(t.TempDir(), "accord.db")
}

// openStore opens the store at dsn and closes it when t ends.
func openStore(t *testing.T, dsn string) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, dsn, events.NewCodec())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// readAll reads the whole log from position after on.
func readAll(t *testing.T, l events.Log, after int64) []events.Event {
	t.Helper()
	var all []events.Event
	for {
		page, err := l.ReadAll(context.Background(), after, 5000)
		if err != nil {
			t.Fatalf("ReadAll(%d): %v", after, err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Position
	}
}
