package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/pgtest"
	"github.com/accord-dev/accord/store/postgres"
	"github.com/accord-dev/accord/store/storetest"
)

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	if _, err := postgres.Open(ctx, postgres.Config{}); !errors.Is(err, events.ErrInvalid) {
		t.Errorf("no DSN: err = %v, want ErrInvalid", err)
	}
	if _, err := postgres.Open(ctx, postgres.Config{DSN: "postgres://x", MaxConns: -1}); !errors.Is(err, events.ErrInvalid) {
		t.Errorf("negative MaxConns: err = %v, want ErrInvalid", err)
	}
	if _, err := postgres.Open(ctx, postgres.Config{DSN: "postgres://%zz"}); !errors.Is(err, events.ErrInvalid) {
		t.Errorf("bad DSN: err = %v, want ErrInvalid", err)
	}
	// Nothing listens on port 1.
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx2, postgres.Config{DSN: "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"})
	if !errors.Is(err, events.ErrUnavailable) {
		t.Errorf("unreachable server: err = %v, want ErrUnavailable", err)
	}
}

// TestClock checks RecordedAt with an injected clock: UTC, truncated to
// microseconds, and never decreasing even when the clock steps back.
func TestClock(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	tokyo := time.FixedZone("JST", 9*3600)
	times := []time.Time{
		time.Date(2030, 5, 6, 7, 8, 9, 123456789, tokyo),
		time.Date(2030, 5, 6, 7, 8, 8, 0, tokyo), // a step back
		time.Date(2030, 5, 6, 7, 8, 10, 999, tokyo),
	}
	var mu sync.Mutex
	i := 0
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t := times[min(i, len(times)-1)]
		i++
		return t
	}
	l, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn, Clock: clock, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	g := storetest.NewGen("clk")
	s := storetest.AgreementStream("clk")
	for range 3 {
		if _, err := l.Append(t.Context(), s, events.Any, g.Events(s, 2)); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := l.ReadAll(t.Context(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{
		times[0].UTC().Truncate(time.Microsecond), times[0].UTC().Truncate(time.Microsecond),
		times[0].UTC().Truncate(time.Microsecond), times[0].UTC().Truncate(time.Microsecond),
		times[2].UTC().Truncate(time.Microsecond), times[2].UTC().Truncate(time.Microsecond),
	}
	for j, e := range evs {
		if !e.RecordedAt.Equal(want[j]) || e.RecordedAt.Location() != time.UTC {
			t.Errorf("event %d: RecordedAt %s, want %s (UTC)", e.Position, e.RecordedAt, want[j])
		}
	}
}

// TestReopen checks that a second Open of a migrated database (and of the
// same database concurrently) works: migrations are idempotent and locked.
func TestReopen(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	logs := make([]*postgres.Log, 4)
	errs := make([]error, 4)
	for i := range logs {
		wg.Go(func() { logs[i], errs[i] = postgres.Open(t.Context(), postgres.Config{DSN: dsn, MaxConns: 2}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		defer logs[i].Close()
	}
	g := storetest.NewGen("re")
	s := storetest.CountryStream("JPN")
	if _, err := logs[0].Append(t.Context(), s, events.NoStream, g.Events(s, 3)); err != nil {
		t.Fatal(err)
	}
	if v, err := logs[3].StreamVersion(t.Context(), s); err != nil || v != 3 {
		t.Errorf("StreamVersion through another Log = %d, %v; want 3", v, err)
	}
	if logs[1].Backend() != "postgres" || logs[1].DB() == nil {
		t.Errorf("Backend %q, DB %v", logs[1].Backend(), logs[1].DB())
	}
	// The schema is readable with plain SQL: the stream's rows, their
	// dates, and data that PostgreSQL parses as JSON.
	var n int
	if err := logs[2].DB().GetContext(t.Context(), &n,
		`SELECT count(*) FROM events WHERE stream = $1 AND version BETWEEN 1 AND 3 AND occurred_at <= reported_at
		AND recorded_at <= now() AND jsonb_typeof(data::jsonb) = 'object'`, s); err != nil || n != 3 {
		t.Errorf("plain SQL count = %d, %v", n, err)
	}
}

func TestSkipMigrate(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	l, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn, SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	g := storetest.NewGen("sk")
	s := storetest.CountryStream("GBR")
	if _, err := l.Append(t.Context(), s, events.Any, g.Events(s, 1)); err == nil {
		t.Fatal("append before Migrate succeeded")
	}
	if err := l.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(t.Context(), s, events.Any, g.Events(s, 1)); err != nil {
		t.Fatalf("append after Migrate: %v", err)
	}
}
