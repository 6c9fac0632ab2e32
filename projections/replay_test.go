package projections_test

import (
	"math/rand/v2"
	"reflect"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/accord-dev/accord/bench"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// The replay of `accord bench --phase replay`: the benchmark's workload
// (bench.NewWorkload(2000, 1)) folded through one fresh Agreements, then
// one At(Cut{}).

// replayStreams is the number of agreement streams of the benchmark
// workload.
const replayStreams = 2000

// replayPage is how many events workloadLog hands over at a time, as the
// replay reads them.
const replayPage = bench.ReplayPage

// workloadLog generates the first n events of the benchmark's log, in
// pages of replayPage: batches of 1 to 10 events (bench.DefaultBatch) for
// uniformly chosen streams, as the benchmark's writers append them, with
// Position, Version, Type and RecordedAt set as the store returns them.
// Each page is handed to emit and not used afterwards.
func workloadLog(n int, emit func(page []events.Event)) {
	w := bench.NewWorkload(replayStreams, 1)
	ids := bench.NewIDs(1, 0)
	r := rand.New(rand.NewPCG(1, 2))
	versions := make([]int64, w.Len())
	recorded := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	page := make([]events.Event, 0, replayPage)
	var pos int64
	for int(pos) < n {
		k := min(1+r.IntN(bench.DefaultBatch), n-int(pos))
		si := r.IntN(w.Len())
		for j, e := range w.Events(si, versions[si], k, ids, 0) {
			pos++
			e.Position, e.Version = pos, versions[si]+int64(j)+1
			e.Type = e.Data.EventType()
			e.RecordedAt = recorded.Add(time.Duration(pos) * time.Millisecond)
			page = append(page, e)
			if len(page) == replayPage {
				emit(page)
				page = make([]events.Event, 0, replayPage)
			}
		}
		versions[si] += int64(k)
	}
	if len(page) > 0 {
		emit(page)
	}
}

// replay folds pages through a fresh Agreements and asks for every state,
// as bench.Replay does, and returns the time that took. With warm, each
// page is read through before it is folded (untimed), as the replay's
// decoder has just written it.
func replay(tb testing.TB, pages [][]events.Event, warm bool) (time.Duration, int) {
	p := projections.NewAgreements(nil)
	var fold time.Duration
	for _, page := range pages {
		if warm {
			touch(reflect.ValueOf(page))
		}
		fold += applyPage(tb, p, page)
	}
	start := time.Now()
	n := len(p.At(projections.Cut{}))
	return fold + time.Since(start), n
}

// applyPage applies the events of page to p and returns the time that
// took.
func applyPage(tb testing.TB, p *projections.Agreements, page []events.Event) time.Duration {
	start := time.Now()
	for i := range page {
		if err := p.Apply(&page[i]); err != nil {
			tb.Fatal(err)
		}
	}
	return time.Since(start)
}

// touch reads every string reachable from v.
func touch(v reflect.Value) (sum int) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		for i := 0; i < len(s); i++ {
			sum += int(s[i])
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			sum += touch(v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			sum += touch(v.Field(i))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			sum += touch(v.Elem())
		}
	}
	return sum
}

// BenchmarkReplayWorkload times the fold of the replay (every Apply and
// the final At(Cut{})) for 100,000 and 1,000,000 events of the benchmark
// workload, generated beforehand: ns/event, which should not grow with the
// log. Each page is read through before it is folded, as the replay's
// decoder has just written it, and the previous fold's projection is
// collected before the next one starts, outside the time measured.
func BenchmarkReplayWorkload(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run("events="+strconv.Itoa(n), func(b *testing.B) {
			var pages [][]events.Event
			workloadLog(n, func(page []events.Event) { pages = append(pages, page) })
			b.ReportAllocs()
			var fold time.Duration
			for b.Loop() {
				runtime.GC()
				d, got := replay(b, pages, true)
				if got != replayStreams {
					b.Fatalf("%d agreements, want %d", got, replayStreams)
				}
				fold += d
			}
			b.ReportMetric(float64(fold.Nanoseconds())/float64(n)/float64(b.N), "ns/event")
		})
	}
}

// TestReplayWorkloadMemory replays ACCORD_REPLAY_EVENTS events (skipped when
// unset; 1000000 for the design target) of the benchmark workload, page by
// page as the benchmark does, and reports the live heap of the projection
// and what a collection costs with it live. It fails when the heap exceeds
// 100 MB.
func TestReplayWorkloadMemory(t *testing.T) {
	n, before := projections.ReplayMemoryStart(t)
	p := projections.NewAgreements(nil)
	var fold time.Duration
	workloadLog(n, func(page []events.Event) { fold += applyPage(t, p, page) })
	start := time.Now()
	states := p.At(projections.Cut{})
	fold += time.Since(start)
	if len(states) != replayStreams {
		t.Fatalf("%d agreements, want %d", len(states), replayStreams)
	}
	states = nil
	after := projections.HeapInUse()
	gcStart := time.Now()
	runtime.GC()
	gc := time.Since(gcStart)
	heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	const mb = 1 << 20
	t.Logf("%d events: fold %v (%.0f ns/event, with the collections the fold caused); live heap %.1f MB (%.0f B/event), %d heap objects; a collection with it live takes %v",
		n, fold.Round(time.Millisecond), float64(fold.Nanoseconds())/float64(n), heap/mb, heap/float64(n),
		after.HeapObjects-before.HeapObjects, gc.Round(time.Microsecond))
	if heap/mb > 100 {
		t.Errorf("live heap %.1f MB, over the 100 MB budget", heap/mb)
	}
	runtime.KeepAlive(p)
}
