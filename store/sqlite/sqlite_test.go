package sqlite_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/sqlite"
	"github.com/accord-dev/accord/store/storetest"
)

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	for _, p := range []string{"", ":memory:", "file::memory:?mode=memory"} {
		if _, err := sqlite.Open(ctx, sqlite.Config{Path: p}); !errors.Is(err, events.ErrInvalid) {
			t.Errorf("Path %q: err = %v, want ErrInvalid", p, err)
		}
	}
	missingDir := filepath.Join(t.TempDir(), "no", "such", "dir", "a.db")
	if _, err := sqlite.Open(ctx, sqlite.Config{Path: missingDir}); !errors.Is(err, events.ErrUnavailable) {
		t.Errorf("missing directory: err = %v, want ErrUnavailable", err)
	}
	notDB := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(notDB, []byte("this is not a database, just text that is long enough to have a header........................................."), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(ctx, sqlite.Config{Path: notDB}); !errors.Is(err, events.ErrInvalid) {
		t.Errorf("not a database: err = %v, want ErrInvalid", err)
	}
}

// TestPathAndReopen checks a path with URI-special characters and that the
// log survives a reopen (the schema is not migrated twice).
func TestPathAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "we?ird #name%20.db")
	g := storetest.NewGen("re")
	s := storetest.CountryStream("JPN")
	for i := range 3 {
		l, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(t.Context(), s, events.Exact(int64(2*i)), g.Events(s, 2)); err != nil {
			t.Fatal(err)
		}
		if l.Backend() != "sqlite" || l.DB() == nil {
			t.Errorf("Backend %q, DB %v", l.Backend(), l.DB())
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the file is not at the path given: %v", err)
	}
	l, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if h, err := l.Head(t.Context()); err != nil || h != 6 {
		t.Errorf("Head after reopen = %d, %v; want 6", h, err)
	}
	var mode string
	if err := l.DB().GetContext(t.Context(), &mode, `PRAGMA journal_mode`); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := l.DB().GetContext(t.Context(), &fk, `PRAGMA foreign_keys`); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

// TestTwoHandles appends through two Logs on one file concurrently: SQLite's
// lock (BEGIN IMMEDIATE, busy timeout) serializes them as it would two
// processes.
func TestTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	var logs [2]*sqlite.Log
	for i := range logs {
		l, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		logs[i] = l
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			g := storetest.NewGen("h" + string(rune('a'+w)))
			s := storetest.AgreementStream("two-handles")
			for range 50 {
				if _, err := logs[w%2].Append(t.Context(), s, events.Any, g.Events(s, 2)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	evs, err := logs[0].ReadAll(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 400 {
		t.Fatalf("%d events, want 400", len(evs))
	}
	for i, e := range evs {
		if e.Position != int64(i+1) || e.Version != int64(i+1) {
			t.Fatalf("event %d: position %d version %d", i, e.Position, e.Version)
		}
	}
}

// TestClock checks RecordedAt with an injected clock: UTC, truncated to
// microseconds, and never decreasing even when the clock steps back.
func TestClock(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	times := []time.Time{
		time.Date(2030, 5, 6, 7, 8, 9, 123456789, tokyo),
		time.Date(2030, 5, 6, 7, 8, 8, 0, tokyo),
		time.Date(2030, 5, 6, 7, 8, 10, 999, tokyo),
	}
	i := 0
	clock := func() time.Time { t := times[min(i, len(times)-1)]; i++; return t }
	l, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "clock.db"), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	g := storetest.NewGen("clk")
	s := storetest.AgreementStream("clk")
	for range 3 {
		if _, err := l.Append(t.Context(), s, events.Any, g.Events(s, 1)); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := l.ReadAll(t.Context(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	first := times[0].UTC().Truncate(time.Microsecond)
	want := []time.Time{first, first, times[2].UTC().Truncate(time.Microsecond)}
	for j, e := range evs {
		if !e.RecordedAt.Equal(want[j]) || e.RecordedAt.Location() != time.UTC {
			t.Errorf("event %d: RecordedAt %s, want %s (UTC)", e.Position, e.RecordedAt, want[j])
		}
	}
}
