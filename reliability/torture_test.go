package reliability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/storetest"
)

// EnvTortureEvents names the variable with the torture test's size.
const EnvTortureEvents = "ACCORD_TORTURE_EVENTS"

// ack is where the log put an acknowledged event.
type ack struct {
	stream   string
	position int64
	version  int64
}

// tortureStats counts what the writers went through.
type tortureStats struct {
	appends, conflicts, cancels, inDoubtCommitted, inDoubtNot, resends, retriedGaveUp atomic.Int64
	// latency is a moving average of an append's duration, in ns.
	latency atomic.Int64
}

// TestTorture is the catch-up guarantee under abuse. Eight writers append
// batches of 1 to 6 events to 64 streams, with:
//
//   - random version conflicts: a third of the appends give an expected
//     version that is stale or deliberately wrong, and after a conflict the
//     writer retries with the version the error reports;
//   - simulated timeouts: 2% of the appends run under a context that is
//     cancelled at a random moment within twice the typical append time,
//     anywhere in the append (waiting for the lock, writing, committing);
//     the writer does not know whether the append happened and retries the
//     same batch, same ids, until it is acknowledged;
//   - duplicate sends: 2% of the acknowledged batches are sent again, with
//     any expected version, as a client that lost the acknowledgement would.
//
// One reader follows the log with ReadAll from the last position it saw.
// At the end: every acknowledged event was read exactly once, at the
// position its acknowledgement gave; nothing else was read; positions are
// 1..N without a gap; every stream's versions are 1..n in position order;
// a re-sent batch got the original positions back.
func TestTorture(t *testing.T) {
	total := envInt(t, EnvTortureEvents, 5000)
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			l := openStore(t, newDSN(t, backend))
			torture(t, l, total)
		})
	}
}

// TestTortureTwoStores runs the torture test with its writers spread over
// two stores open on one database, as two processes would be: each
// store's writer plans its batches on its own knowledge of the log, and
// the other's appends move the head under it (PostgreSQL; on SQLite the
// writers take turns). Every write must still land exactly once, at
// contiguous versions.
func TestTortureTwoStores(t *testing.T) {
	total := envInt(t, EnvTortureEvents, 5000)
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			dsn := newDSN(t, backend)
			torture(t, &twoLogs{logs: [2]events.Log{openStore(t, dsn), openStore(t, dsn)}}, total)
		})
	}
}

// twoLogs sends its appends to two logs in turn, and reads from the first.
type twoLogs struct {
	logs [2]events.Log
	n    atomic.Uint64
}

func (l *twoLogs) Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	return l.logs[l.n.Add(1)%2].Append(ctx, stream, expected, evs)
}

func (l *twoLogs) ReadStream(ctx context.Context, stream string, from int64, limit int) ([]events.Event, error) {
	return l.logs[0].ReadStream(ctx, stream, from, limit)
}

func (l *twoLogs) ReadAll(ctx context.Context, after int64, limit int) ([]events.Event, error) {
	return l.logs[0].ReadAll(ctx, after, limit)
}

func (l *twoLogs) Head(ctx context.Context) (int64, error) { return l.logs[0].Head(ctx) }

func (l *twoLogs) StreamVersion(ctx context.Context, stream string) (int64, error) {
	return l.logs[l.n.Load()%2].StreamVersion(ctx, stream)
}

func torture(t *testing.T, l events.Log, total int) {
	const (
		writers  = 8
		streams  = 64
		maxBatch = 6
		pageSize = 1000
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		budget   atomic.Int64
		stats    tortureStats
		acks     = make([]map[string]ack, writers)
		wg       sync.WaitGroup
		failOnce sync.Once
		failErr  error
	)
	budget.Store(int64(total))
	fail := func(err error) {
		failOnce.Do(func() { failErr = err; cancel() })
	}
	streamName := func(i int) string {
		if i%2 == 0 {
			return storetest.AgreementStream(fmt.Sprintf("tt-%d", i))
		}
		return storetest.CountryStream(fmt.Sprintf("T%c%c", 'A'+byte(i%26), 'A'+byte(i/26)))
	}
	begin := time.Now()
	for w := range writers {
		acks[w] = make(map[string]ack, total/writers+maxBatch)
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w)+1, uint64(time.Now().UnixNano())))
			gen := storetest.NewGen(fmt.Sprintf("t%d", w))
			known := map[string]int64{} // the versions this writer has seen
			for ctx.Err() == nil {
				k := int64(1 + rng.IntN(maxBatch))
				if left := budget.Add(-k); left < 0 {
					k += left
					if k <= 0 {
						return
					}
				}
				s := streamName(rng.IntN(streams))
				evs := gen.Events(s, int(k))
				res, err := appendUntilAcked(ctx, l, rng, s, evs, known, &stats)
				if err != nil {
					fail(fmt.Errorf("writer %d: %w", w, err))
					return
				}
				for i, e := range evs {
					acks[w][e.ID] = ack{stream: s, position: res.Positions[i], version: res.Versions[i]}
				}
				if rng.Float64() < 0.02 {
					// Send the acknowledged batch again: a no-op that
					// returns the original positions, whatever is expected.
					stats.resends.Add(1)
					exp := []events.ExpectedVersion{events.Any, events.NoStream, events.Exact(1 + rng.Int64N(50))}[rng.IntN(3)]
					again, err := l.Append(ctx, s, exp, evs)
					if err != nil {
						fail(fmt.Errorf("writer %d: resend of an acknowledged batch: %w", w, err))
						return
					}
					if again.Duplicates != len(evs) || !slices.Equal(again.Positions, res.Positions) || !slices.Equal(again.Versions, res.Versions) {
						fail(fmt.Errorf("writer %d: resend gave %+v, the original append %+v", w, again, res))
						return
					}
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	// The tail reader.
	type seenAt struct {
		position int64
		count    int
	}
	seen := make(map[string]*seenAt, total)
	streamVer := map[string]int64{}
	var (
		last                int64
		reads               int
		gaps, versionBreaks int
		writersDone         bool
		maxLag              time.Duration
	)
	for failErr == nil {
		if !writersDone {
			select {
			case <-done:
				writersDone = true // one more read after this sees everything
			default:
			}
		}
		page, err := l.ReadAll(context.Background(), last, pageSize)
		reads++
		if err != nil {
			fail(fmt.Errorf("reader: %w", err))
			break
		}
		for i := range page {
			e := &page[i]
			if e.Position != last+1 {
				gaps++
				if gaps <= 5 {
					t.Errorf("reader: position %d follows %d", e.Position, last)
				}
			}
			last = e.Position
			if sa := seen[e.ID]; sa != nil {
				sa.count++
			} else {
				seen[e.ID] = &seenAt{position: e.Position, count: 1}
			}
			if e.Version != streamVer[e.Stream]+1 {
				versionBreaks++
				if versionBreaks <= 5 {
					t.Errorf("reader: %s version %d follows %d", e.Stream, e.Version, streamVer[e.Stream])
				}
			}
			streamVer[e.Stream] = e.Version
			if lag := time.Since(e.RecordedAt); lag > maxLag && !e.RecordedAt.IsZero() {
				maxLag = lag
			}
		}
		if len(page) == 0 {
			if writersDone {
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	<-done
	if failErr != nil {
		t.Fatalf("torture: %v", failErr)
	}
	elapsed := time.Since(begin)

	var missed, duplicated, misplaced, unknown int
	all := make(map[string]ack, total)
	perStream := map[string]int64{}
	for _, m := range acks {
		for id, a := range m {
			all[id] = a
			perStream[a.stream]++
		}
	}
	for id, a := range all {
		switch sa := seen[id]; {
		case sa == nil:
			missed++
		case sa.count > 1:
			duplicated += sa.count - 1
		case sa.position != a.position:
			misplaced++
		}
	}
	for id := range seen {
		if _, ok := all[id]; !ok {
			unknown++
		}
	}
	t.Logf("torture: %d events, %d appends, %d writers, %d reads in %s (%.0f events/s); %d conflicts, %d cancelled appends (%d had committed, %d had not), %d resends; slowest event from commit to read %s: missed=%d duplicated=%d",
		len(all), stats.appends.Load(), writers, reads, elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds(),
		stats.conflicts.Load(), stats.cancels.Load(), stats.inDoubtCommitted.Load(), stats.inDoubtNot.Load(), stats.resends.Load(),
		maxLag.Round(time.Millisecond), missed, duplicated)
	if len(all) != total {
		t.Errorf("%d events acknowledged, want %d", len(all), total)
	}
	if missed != 0 || duplicated != 0 || misplaced != 0 || unknown != 0 || gaps != 0 || versionBreaks != 0 {
		t.Errorf("torture: missed=%d duplicated=%d misplaced=%d unknown=%d gaps=%d version breaks=%d, want all 0",
			missed, duplicated, misplaced, unknown, gaps, versionBreaks)
	}
	if last != int64(total) {
		t.Errorf("the reader ended at position %d, want %d", last, total)
	}
	if h, err := l.Head(context.Background()); err != nil || h != int64(total) {
		t.Errorf("Head = %d, %v; want %d", h, err, total)
	}
	// Every stream, read on its own, is 1..n with the acknowledged events.
	for s, n := range perStream {
		evs, err := l.ReadStream(context.Background(), s, 1, int(n)+10)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(evs)) != n {
			t.Errorf("%s holds %d events, %d were acknowledged", s, len(evs), n)
			continue
		}
		for i, e := range evs {
			if e.Version != int64(i+1) || all[e.ID].version != e.Version || all[e.ID].stream != s {
				t.Errorf("%s: event %s at version %d, acknowledged at %s version %d", s, e.ID, e.Version, all[e.ID].stream, all[e.ID].version)
				break
			}
		}
		if v, err := l.StreamVersion(context.Background(), s); err != nil || v != n {
			t.Errorf("StreamVersion(%s) = %d, %v; want %d", s, v, err, n)
		}
	}
}

// appendUntilAcked appends evs to s until the log acknowledges them,
// choosing expected versions that are sometimes wrong, and sometimes
// cancelling an append midway (a simulated timeout), after which the same
// batch is sent again.
func appendUntilAcked(ctx context.Context, l events.Log, rng *rand.Rand, s string, evs []events.Event, known map[string]int64, st *tortureStats) (events.AppendResult, error) {
	inDoubt := false
	conflicts := 0
	for {
		if err := ctx.Err(); err != nil {
			return events.AppendResult{}, err
		}
		var exp events.ExpectedVersion
		switch r := rng.Float64(); {
		case conflicts >= 3 || r < 0.45:
			exp = events.Any
		case r < 0.9:
			exp = events.Exact(known[s]) // stale when another writer got there first
		default:
			exp = events.Exact(known[s] + 1 + rng.Int64N(3)) // wrong on purpose
		}
		actx, acancel := context.WithCancel(ctx)
		simulated := rng.Float64() < 0.02
		var timer *time.Timer
		if simulated {
			// Anywhere in an append of typical length, commit included.
			window := max(2*time.Duration(st.latency.Load()), time.Millisecond)
			timer = time.AfterFunc(time.Duration(rng.Int64N(int64(window))), acancel)
		}
		began := time.Now()
		res, err := l.Append(actx, s, exp, evs)
		if timer != nil {
			timer.Stop()
		}
		if err == nil && !simulated {
			// An exponential moving average of append latency.
			old := st.latency.Load()
			st.latency.Store(old + (int64(time.Since(began))-old)/16)
		}
		cancelled := actx.Err() != nil && ctx.Err() == nil
		acancel()
		var ce *events.ConflictError
		switch {
		case err == nil:
			st.appends.Add(1)
			if res.Duplicates != 0 && (!inDoubt || res.Duplicates != len(evs)) {
				return res, fmt.Errorf("append of new events %s..%s reported %d duplicates (in doubt: %v)", evs[0].ID, evs[len(evs)-1].ID, res.Duplicates, inDoubt)
			}
			if inDoubt {
				if res.Duplicates == len(evs) {
					st.inDoubtCommitted.Add(1)
				} else {
					st.inDoubtNot.Add(1)
				}
			}
			if len(res.Versions) != len(evs) || len(res.Positions) != len(evs) {
				return res, fmt.Errorf("append result %+v for %d events", res, len(evs))
			}
			known[s] = max(known[s], res.Versions[len(evs)-1])
			return res, nil
		case errors.As(err, &ce):
			st.conflicts.Add(1)
			conflicts++
			known[s] = ce.Actual
		case cancelled:
			// The append may or may not have happened: send it again.
			st.cancels.Add(1)
			inDoubt = true
		case errors.Is(err, events.ErrConflict):
			// The store gave up retrying a serialization failure: a
			// conflict without a version, safe to retry.
			st.retriedGaveUp.Add(1)
		default:
			return events.AppendResult{}, fmt.Errorf("append to %s (expected %s, in doubt %v): %w", s, exp, inDoubt, err)
		}
	}
}
