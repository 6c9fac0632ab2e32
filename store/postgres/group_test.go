package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/pgtest"
	"github.com/accord-dev/accord/store/postgres"
	"github.com/accord-dev/accord/store/storetest"
)

// TestGroupCommit checks that concurrent appends share transactions, each
// with its own outcome: successes, a conflict between two appends of the
// same batch (the first wins), and the same events appended by two callers
// at once.
func TestGroupCommit(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	l, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var batches, calls atomic.Int64
	postgres.SetOnBatch(l, func(n int) { batches.Add(1); calls.Add(int64(n)) })
	g := storetest.NewGen("gc")
	const writers, rounds = 16, 20
	for round := range rounds {
		shared := storetest.AgreementStream(fmt.Sprintf("gc-shared-%d", round))
		same := g.Events(storetest.AgreementStream(fmt.Sprintf("gc-same-%d", round)), 2)
		var (
			wg                     sync.WaitGroup
			start                  = make(chan struct{})
			wins, conflicts, dupes atomic.Int32
			firstPositions         sync.Map
			errs                   = make(chan error, 3*writers)
		)
		for w := range writers {
			own := storetest.AgreementStream(fmt.Sprintf("gc-own-%d-%d", round, w))
			ownEvs := g.Events(own, 1+w%3)
			sharedEv := g.Events(shared, 1)
			wg.Go(func() {
				<-start
				// Its own stream: always succeeds.
				if res, err := l.Append(context.Background(), own, events.NoStream, ownEvs); err != nil || len(res.Positions) != len(ownEvs) {
					errs <- fmt.Errorf("own stream: %+v, %v", res, err)
				}
			})
			wg.Go(func() {
				<-start
				// The shared stream at version 0: one wins, the others conflict.
				_, err := l.Append(context.Background(), shared, events.NoStream, sharedEv)
				var ce *events.ConflictError
				switch {
				case err == nil:
					wins.Add(1)
				case errors.As(err, &ce) && ce.Actual == 1:
					conflicts.Add(1)
				default:
					errs <- fmt.Errorf("shared stream: %v", err)
				}
			})
			wg.Go(func() {
				<-start
				// The same two events from every writer: one writes them, the
				// others get the same positions as duplicates.
				res, err := l.Append(context.Background(), storetest.AgreementStream(fmt.Sprintf("gc-same-%d", round)), events.Any, same)
				if err != nil {
					errs <- fmt.Errorf("same events: %v", err)
					return
				}
				if res.Duplicates > 0 {
					dupes.Add(1)
				}
				if prev, loaded := firstPositions.LoadOrStore("p", fmt.Sprint(res.Positions)); loaded && prev != fmt.Sprint(res.Positions) {
					errs <- fmt.Errorf("same events: positions %v and %v", prev, res.Positions)
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: %v", round, err)
		}
		if wins.Load() != 1 || conflicts.Load() != writers-1 {
			t.Errorf("round %d: shared stream: %d wins, %d conflicts; want 1 and %d", round, wins.Load(), conflicts.Load(), writers-1)
		}
		if dupes.Load() != writers-1 {
			t.Errorf("round %d: same events: %d duplicates, want %d", round, dupes.Load(), writers-1)
		}
	}
	t.Logf("%d appends in %d batches", calls.Load(), batches.Load())
	if batches.Load() >= calls.Load() {
		t.Errorf("%d batches for %d appends: no group commit", batches.Load(), calls.Load())
	}
	// Gap-free, contiguous versions.
	var after int64
	versions := map[string]int64{}
	for {
		page, err := l.ReadAll(t.Context(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.Position != after+1 {
				t.Fatalf("position %d after %d", e.Position, after)
			}
			after = e.Position
			versions[e.Stream]++
			if e.Version != versions[e.Stream] {
				t.Fatalf("%s: version %d, want %d", e.Stream, e.Version, versions[e.Stream])
			}
		}
	}
}

// TestBatchFailure checks that when the writes of a batch fail (here: the
// connections are terminated while they wait for the log's lock), every
// append of the batch fails with ErrUnavailable, nothing is written, and
// the log works again afterwards.
func TestBatchFailure(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	l, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	admin, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var batches, calls atomic.Int64
	postgres.SetOnBatch(l, func(n int) { batches.Add(1); calls.Add(int64(n)) })

	// Hold the log's lock, so that the writes wait for it.
	lock, err := admin.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var holder int
	if err := lock.QueryRow(`SELECT pg_backend_pid() FROM log_head WHERE id = 1 FOR UPDATE`).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	// Every connection that waits for a lock is terminated: the writer's
	// (the optimistic write) and the main pool's (the locked path, and
	// database/sql's retries of it on fresh connections).
	stop := make(chan struct{})
	var terminated atomic.Int64
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			var n int64
			_ = admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()
				AND wait_event_type = 'Lock' AND pid <> $1`, holder).Scan(&n)
			terminated.Add(n)
		}
	}()

	g := storetest.NewGen("fail")
	const k = 6
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Go(func() {
			s := storetest.AgreementStream(fmt.Sprintf("fail-%d", i))
			_, errs[i] = l.Append(context.Background(), s, events.NoStream, g.Events(s, 2))
		})
		time.Sleep(time.Duration(i) * time.Millisecond)
	}
	wg.Wait()
	close(stop)
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != k || terminated.Load() == 0 {
		t.Errorf("%d calls in %d batches, %d connections terminated; want %d calls and some terminated", calls.Load(), batches.Load(), terminated.Load(), k)
	}
	t.Logf("%d batches; %d connections terminated; the last error: %v", batches.Load(), terminated.Load(), errs[k-1])
	for i, err := range errs {
		if !errors.Is(err, events.ErrUnavailable) {
			t.Errorf("append %d: err = %v, want ErrUnavailable", i, err)
		}
	}
	if h, err := l.Head(t.Context()); err != nil || h != 0 {
		t.Errorf("Head = %d, %v after failed batches; want 0", h, err)
	}
	var n int
	if err := admin.QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows in events after the failed batches, %v", n, err)
	}
	s := storetest.AgreementStream("fail-after")
	res, err := l.Append(t.Context(), s, events.NoStream, g.Events(s, 3))
	if err != nil || res.Positions[0] != 1 {
		t.Fatalf("append after the failures: %+v, %v", res, err)
	}
}

// TestTwoLogs checks group commit against another process's appends: two
// Logs on one database, writers on both, one reader following the log
// (zero missed, zero duplicated, gap-free, versions contiguous).
func TestTwoLogs(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	var logs [2]*postgres.Log
	for i := range logs {
		l, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		logs[i] = l
	}
	const writers, appends, streams = 4, 60, 12
	var (
		wg      sync.WaitGroup
		written sync.Map
		total   atomic.Int64
	)
	for li, l := range logs {
		g := storetest.NewGen(fmt.Sprintf("two%d", li))
		for w := range writers {
			wg.Go(func() {
				for i := range appends {
					s := storetest.AgreementStream(fmt.Sprintf("two-%d", (i+w)%streams))
					evs := g.Events(s, 1+i%3)
					for {
						v, err := l.StreamVersion(t.Context(), s)
						if err != nil {
							t.Error(err)
							return
						}
						_, err = l.Append(t.Context(), s, events.Exact(v), evs)
						var ce *events.ConflictError
						if errors.As(err, &ce) {
							continue
						}
						if err != nil {
							t.Error(err)
							return
						}
						break
					}
					for _, e := range evs {
						written.Store(e.ID, true)
					}
					total.Add(int64(len(evs)))
				}
			})
		}
	}
	seen := map[string]int{}
	var after int64
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	finished := false
	for {
		select {
		case <-done:
			finished = true
		default:
		}
		page, err := logs[0].ReadAll(t.Context(), after, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			if e.Position != after+1 {
				t.Fatalf("position %d after %d", e.Position, after)
			}
			after = e.Position
			seen[e.ID]++
		}
		if len(page) == 0 {
			if finished {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	missed, dup := 0, 0
	written.Range(func(k, _ any) bool {
		if seen[k.(string)] == 0 {
			missed++
		}
		return true
	})
	for _, c := range seen {
		if c > 1 {
			dup += c - 1
		}
	}
	if int64(len(seen)) != total.Load() || missed != 0 || dup != 0 {
		t.Errorf("read %d events of %d written: missed %d, duplicated %d", len(seen), total.Load(), missed, dup)
	}
}

// TestAssumedVersions checks the writer's plan for streams it does not
// know: it assumes the version the append expects and accord_append checks
// it. Right assumptions write without a read; wrong ones (a stale expected
// version, NoStream on an existing stream) end as conflicts, through the
// locked path, with nothing written.
func TestAssumedVersions(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	open := func() *postgres.Log {
		l, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}
	a := open()
	g := storetest.NewGen("as")
	s := storetest.AgreementStream("as")
	if _, err := a.Append(t.Context(), s, events.NoStream, g.Events(s, 3)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		expected  events.ExpectedVersion
		conflict  bool
		wantFirst int64 // version of the first event written
	}{
		{"stale", events.Exact(1), true, 0},
		// Only accord_append's check catches this one: writing versions
		// 6 and 7 would collide with nothing, and leave a gap.
		{"ahead of the stream", events.Exact(5), true, 0},
		{"no stream on an existing one", events.NoStream, true, 0},
		{"right", events.Exact(3), false, 4},
	}
	for i, c := range cases {
		// A writer that knows the log's head (it has appended to
		// another stream) but not the stream.
		b := open()
		own := storetest.AgreementStream(fmt.Sprintf("as-own-%d", i))
		if _, err := b.Append(t.Context(), own, events.NoStream, g.Events(own, 1)); err != nil {
			t.Fatal(err)
		}
		before := b.Stats().PreReads.Load()
		res, err := b.Append(t.Context(), s, c.expected, g.Events(s, 2))
		var ce *events.ConflictError
		switch {
		case c.conflict && (!errors.As(err, &ce) || ce.Actual != 3):
			t.Errorf("%s: err %v, want a conflict at version 3", c.name, err)
		case !c.conflict && (err != nil || res.Versions[0] != c.wantFirst):
			t.Errorf("%s: %+v, %v; want version %d", c.name, res, err, c.wantFirst)
		}
		if n := b.Stats().PreReads.Load() - before; n != 0 {
			t.Errorf("%s: %d reads before planning, want none (the version is assumed)", c.name, n)
		}
		if c.conflict && b.Stats().Failed.Load() != 1 {
			t.Errorf("%s: %d failed optimistic writes, want 1 (the wrong assumption)", c.name, b.Stats().Failed.Load())
		}
	}
	if v, err := a.StreamVersion(t.Context(), s); err != nil || v != 5 {
		t.Errorf("StreamVersion = %d, %v; want 5 (3 + the right append's 2)", v, err)
	}
}
