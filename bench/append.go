package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accord-dev/accord/events"
)

// AppendStats is what RunWriters measured.
type AppendStats struct {
	// Events appended (N), in Appends successful appends.
	Events, Appends int
	// Conflicts counts appends that found the stream at another version
	// than expected (each was retried after a re-read).
	Conflicts int
	// Elapsed is the time from the first append to the last one's return.
	Elapsed time.Duration
	// Latencies of every Append call (conflicts included), sorted.
	Latencies []time.Duration
}

func (st AppendStats) result() Result {
	res := measured(st.Events, st.Elapsed)
	res.Conflicts, res.Appends = ptr(st.Conflicts), ptr(st.Appends)
	res.P50ms, res.P99ms = latencies(st.Latencies)
	return res
}

// Appended is one successful append, for a Hook.
type Appended struct {
	Events    []events.Event
	Positions []int64
	// Returned is when Append returned.
	Returned time.Time
}

// RunWriters runs the append workload of p on t: p.Writers goroutines
// append batches of 1..p.Batch events to uniformly chosen streams of w,
// with the version w has seen as the expected version, re-reading the
// version and retrying (the same events) on a conflict, until p.Events
// events are in. hook, when not nil, is called (from the writers'
// goroutines, concurrently) after each successful append. The first error
// stops every writer and is returned.
func RunWriters(ctx context.Context, p Params, w *Workload, t Target, hook func(Appended)) (AppendStats, error) {
	p = p.WithDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		remaining atomic.Int64
		wg        sync.WaitGroup
		mu        sync.Mutex
		firstErr  error
		stats     AppendStats
	)
	remaining.Store(int64(p.Events))
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	start := time.Now()
	for wi := range p.Writers {
		wg.Go(func() {
			r := newRand(p.Seed, uint64(wi)+1)
			ids := NewIDs(p.Seed, wi)
			var (
				lat                          = make([]time.Duration, 0, p.Events/p.Writers/(p.Batch/2+1)+16)
				nEvents, nAppends, nConflict int
			)
			defer func() {
				mu.Lock()
				stats.Events += nEvents
				stats.Appends += nAppends
				stats.Conflicts += nConflict
				stats.Latencies = append(stats.Latencies, lat...)
				mu.Unlock()
			}()
			for ctx.Err() == nil {
				k := int64(1 + r.IntN(p.Batch))
				left := remaining.Add(-k)
				if left < 0 {
					if k += left; k <= 0 {
						return
					}
				}
				si := r.IntN(w.Len())
				stream := w.Stream(si)
				expected := w.Seen(si)
				evs := w.Events(si, expected, int(k), ids, wi)
				for {
					t0 := time.Now()
					pos, v, conflict, err := t.Append(ctx, stream, expected, evs)
					t1 := time.Now()
					if err != nil {
						fail(fmt.Errorf("writer %d: %w", wi, err))
						return
					}
					lat = append(lat, t1.Sub(t0))
					if !conflict {
						w.See(si, v)
						nEvents += len(evs)
						nAppends++
						if hook != nil {
							hook(Appended{Events: evs, Positions: pos, Returned: t1})
						}
						break
					}
					nConflict++
					if expected, err = t.Version(ctx, stream); err != nil {
						fail(fmt.Errorf("writer %d: re-read %s: %w", wi, stream, err))
						return
					}
					w.See(si, expected)
					// The same events (ids) again, after the version read.
				}
			}
		})
	}
	wg.Wait()
	stats.Elapsed = time.Since(start)
	if firstErr != nil {
		return stats, firstErr
	}
	if stats.Events != p.Events {
		return stats, fmt.Errorf("appended %d events, want %d", stats.Events, p.Events)
	}
	slices.Sort(stats.Latencies)
	return stats, nil
}
