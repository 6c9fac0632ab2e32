package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
	"github.com/accord-dev/accord/store"
)

// ReplayPage is how many events the replay reads per ReadAll call.
const ReplayPage = 5000

// ReplayStats is what Replay measured.
type ReplayStats struct {
	// Events read, decoded and folded.
	Events int
	// Agreements in the projection at the end.
	Agreements int
	Elapsed    time.Duration
	// LiveHeap is the heap in use after the replay (with the projection,
	// before it is dropped), after a collection.
	LiveHeap uint64
	// OK is true when the events came back at positions 1..Events, each
	// once and in order, and every one folded.
	OK bool
	// Problem says what was not OK.
	Problem string
}

// Replay reads the whole log in global order (pages of ReplayPage, the
// next page read while the current one is folded), folds every event
// through a fresh agreements projection and asks it for every agreement's
// current state (which is when the projection folds). want is the number
// of events the log should hold (0: don't check).
func Replay(ctx context.Context, log events.Log, codec *events.Codec, want int) (ReplayStats, error) {
	if sc, ok := log.(store.Scanner); ok {
		return replayScan(ctx, sc, codec, want)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan []events.Event, 2)
	var readErr error
	start := time.Now()
	go func() {
		defer close(pages)
		var after int64
		for {
			page, err := log.ReadAll(ctx, after, ReplayPage)
			if err != nil {
				readErr = err
				return
			}
			if len(page) == 0 {
				return
			}
			after = page[len(page)-1].Position
			select {
			case pages <- page:
			case <-ctx.Done():
				return
			}
		}
	}()
	p := projections.NewAgreements(codec)
	st := ReplayStats{OK: true}
	var last int64
	for page := range pages {
		for i := range page {
			e := &page[i]
			if e.Position != last+1 && st.OK {
				st.OK, st.Problem = false, fmt.Sprintf("position %d follows %d", e.Position, last)
			}
			last = e.Position
			if err := p.Apply(e); err != nil && st.OK {
				st.OK, st.Problem = false, fmt.Sprintf("event %d: %v", e.Position, err)
			}
		}
		st.Events += len(page)
	}
	if readErr != nil {
		return st, readErr
	}
	return finishReplay(st, p, start, want), nil
}

// replayScan is Replay on a store that scans (store.Scanner): each event is
// folded as soon as it is read and decoded, with no page of events in
// between.
func replayScan(ctx context.Context, sc store.Scanner, codec *events.Codec, want int) (ReplayStats, error) {
	start := time.Now()
	p := projections.NewAgreements(codec)
	st := ReplayStats{OK: true}
	var last int64
	fold := func(e *events.Event) error {
		if e.Position != last+1 && st.OK {
			st.OK, st.Problem = false, fmt.Sprintf("position %d follows %d", e.Position, last)
		}
		last = e.Position
		if err := p.Apply(e); err != nil && st.OK {
			st.OK, st.Problem = false, fmt.Sprintf("event %d: %v", e.Position, err)
		}
		return nil
	}
	for {
		n, err := sc.ScanAll(ctx, last, ReplayPage, fold)
		if err != nil {
			return st, err
		}
		st.Events += n
		if n < ReplayPage {
			break
		}
	}
	return finishReplay(st, p, start, want), nil
}

// finishReplay asks p for every agreement's state (which is when the
// projection folds), and completes st: the time since start, the live heap
// with p in it, and whether want events were read.
func finishReplay(st ReplayStats, p *projections.Agreements, start time.Time, want int) ReplayStats {
	st.Agreements = len(p.At(projections.Cut{}))
	st.Elapsed = time.Since(start)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st.LiveHeap = ms.HeapAlloc
	runtime.KeepAlive(p)
	if want > 0 && st.Events != want && st.OK {
		st.OK, st.Problem = false, fmt.Sprintf("read %d events, want %d", st.Events, want)
	}
	return st
}

func (r *runner) replayPhase(ctx context.Context) (Result, error) {
	s, err := r.filledLog(ctx)
	if err != nil {
		return Result{}, err
	}
	r.progress("replay: %d events", r.mainCount)
	r.env.settle(ctx)
	// Measure the replay's memory, not what earlier phases left: return
	// the free heap to the OS first.
	debug.FreeOSMemory()
	resetPeakRSS()
	cpu := r.env.startCPU(ctx, r.mainDSN)
	st, err := Replay(ctx, s, r.cfg.Codec, r.mainCount)
	if err != nil {
		return Result{}, err
	}
	ok := st.OK
	want := 0
	for i := range r.w.Len() {
		if r.w.Seen(i) > 0 {
			want++
		}
	}
	if ok && st.Agreements != want {
		ok, st.Problem = false, fmt.Sprintf("%d agreements in the projection, want %d", st.Agreements, want)
	}
	if !ok {
		r.progress("replay: not ok: %s", st.Problem)
	}
	res := measured(st.Events, st.Elapsed)
	res.OK = ptr(ok)
	if mb, ok := peakRSSMB(); ok {
		res.RSSMB = ptr(round(mb, 1))
	}
	res.LiveHeapMB = ptr(round(float64(st.LiveHeap)/(1<<20), 1))
	cpu.stop(ctx, &res)
	if !ok {
		res.Error = st.Problem
	}
	return res, nil
}

// resetPeakRSS resets the process's peak resident set size (Linux; a no-op
// elsewhere), so that peakRSSMB measures from now.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB returns the process's peak resident set size in MiB since the
// last resetPeakRSS (Linux: VmHWM).
func peakRSSMB() (float64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, err := strconv.ParseFloat(f[0], 64)
				return kb / 1024, err == nil
			}
		}
	}
	return 0, false
}

// TailStats is what Tail measured.
type TailStats struct {
	// Events written by the writers; Read by the reader (duplicates
	// included).
	Events, Read int
	// Missed counts written events the reader never saw; Duplicated, the
	// extra times it saw an event; Unknown, events it saw that no writer
	// reported.
	Missed, Duplicated, Unknown int
	// Lags from an append's return to the reader having its events
	// (negative lags, when the reader was faster than the return, count
	// as 0), sorted.
	Lags    []time.Duration
	Elapsed time.Duration
}

// TailPage is how many events the tail reader reads per ReadAll call.
const TailPage = 1000

// Tail runs the append workload of p on log (which must be empty) while one
// reader follows it from the start with ReadAll, and checks that the reader
// saw every written event exactly once.
func Tail(ctx context.Context, log events.Log, p Params, w *Workload) (TailStats, error) {
	p = p.WithDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	returned := make([]atomic.Int64, p.Events+1) // by position: unix nanos of the append's return
	var (
		idsMu   sync.Mutex
		written = make(map[string]int64, p.Events)
	)
	hook := func(a Appended) {
		at := a.Returned.UnixNano()
		idsMu.Lock()
		for i := range a.Events {
			written[a.Events[i].ID] = a.Positions[i]
		}
		idsMu.Unlock()
		for _, pos := range a.Positions {
			if pos > 0 && pos < int64(len(returned)) {
				returned[pos].Store(at)
			}
		}
	}
	var (
		wst  AppendStats
		werr error
		done = make(chan struct{})
	)
	start := time.Now()
	go func() {
		defer close(done)
		wst, werr = RunWriters(ctx, p, w, LogTarget{Log: log}, hook)
		if werr != nil {
			cancel()
		}
	}()
	seenAt := make([]int64, p.Events+1)
	seen := make(map[string]int, p.Events)
	var (
		st          TailStats
		last        int64
		writersDone bool
		rerr        error
	)
	for {
		if !writersDone {
			select {
			case <-done:
				writersDone = true // one more read after this sees everything
			default:
			}
		}
		page, err := log.ReadAll(ctx, last, TailPage)
		if err != nil {
			rerr = err
			break
		}
		now := time.Now().UnixNano()
		for i := range page {
			e := &page[i]
			if e.Position <= last {
				return st, fmt.Errorf("tail: position %d after %d", e.Position, last)
			}
			last = e.Position
			seen[e.ID]++
			if e.Position < int64(len(seenAt)) && seenAt[e.Position] == 0 {
				seenAt[e.Position] = now
			}
		}
		st.Read += len(page)
		if len(page) == 0 {
			if writersDone {
				break
			}
			time.Sleep(500 * time.Microsecond)
		}
	}
	cancel()
	<-done
	st.Elapsed = time.Since(start)
	if werr != nil {
		return st, werr
	}
	if rerr != nil {
		return st, rerr
	}
	st.Events = wst.Events
	for id := range written {
		switch c := seen[id]; {
		case c == 0:
			st.Missed++
		case c > 1:
			st.Duplicated += c - 1
		}
	}
	for id := range seen {
		if _, ok := written[id]; !ok {
			st.Unknown++
		}
	}
	st.Lags = make([]time.Duration, 0, len(seenAt))
	for pos := 1; pos < len(seenAt); pos++ {
		r := returned[pos].Load()
		if r == 0 || seenAt[pos] == 0 {
			continue
		}
		st.Lags = append(st.Lags, time.Duration(max(0, seenAt[pos]-r)))
	}
	slices.Sort(st.Lags)
	return st, nil
}

func (r *runner) tailPhase(ctx context.Context) (Result, error) {
	dsn, err := r.env.newDatabase(ctx, "tail")
	if err != nil {
		return Result{}, err
	}
	s, err := store.Open(ctx, dsn, r.cfg.Codec)
	if err != nil {
		return Result{}, err
	}
	defer s.Close()
	r.progress("tail: %d events, %d writers, one reader", r.cfg.Events, r.cfg.Writers)
	cpu := r.env.startCPU(ctx, dsn)
	st, err := Tail(ctx, s, r.cfg.Params, NewWorkload(r.cfg.Streams, r.cfg.Seed))
	if err != nil {
		return Result{}, err
	}
	res := measured(st.Events, st.Elapsed)
	res.Missed, res.Duplicated = ptr(st.Missed), ptr(st.Duplicated)
	res.LagP50ms, res.LagP99ms = latencies(st.Lags)
	if st.Unknown > 0 {
		res.Error = fmt.Sprintf("the reader saw %d events no writer wrote", st.Unknown)
	}
	cpu.stop(ctx, &res)
	return res, nil
}

// AsOfStats is what AsOf measured.
type AsOfStats struct {
	Queries int
	// Events read and folded by the queries from the store (the cold
	// path), over all queries.
	Events  int
	Elapsed time.Duration
	// Latencies of the queries as the server answers them (sorted): a
	// projections.Set kept current over the log, checked against the
	// log's head before each query, as httpapi's LiveSet does.
	Latencies []time.Duration
	// Cold are the latencies of the same queries answered from the store
	// alone (sorted): read the agreement's stream and its parties'
	// country streams, fold them, ask for the state.
	Cold []time.Duration
	// Build is the time to fold the log into the Set before the queries.
	Build time.Duration
	// Found counts the queries whose agreement had a state at the date
	// (the same on both paths, or AsOf fails).
	Found int
}

// AsOf runs queries as-of queries on log, which holds the workload of w
// with n events: each picks a stream of w and a day in the log's valid-time
// range at random (from seed) and asks for the agreement's state as of
// that day, answered twice: as the server answers it (from a
// projections.Set folded over the whole log first, after a check of the
// log's head, which a live server makes before each query to fold what
// came since), and from the store alone (the streams read and folded).
// The two answers must agree.
func AsOf(ctx context.Context, log events.Log, codec *events.Codec, w *Workload, n, queries int, seed uint64) (AsOfStats, error) {
	r := newRand(seed, 0xa50f)
	first, last := w.DateRange(n)
	days := int(last.Sub(first).Hours()/24) + 1
	st := AsOfStats{Queries: queries, Latencies: make([]time.Duration, 0, queries), Cold: make([]time.Duration, 0, queries)}
	start := time.Now()
	set, head, err := foldLog(ctx, log, codec)
	if err != nil {
		return st, err
	}
	st.Build = time.Since(start)
	start = time.Now()
	for range queries {
		si := r.IntN(w.Len())
		at := first.AddDate(0, 0, r.IntN(days))
		id, _ := w.Agreement(si)
		t0 := time.Now()
		h, err := log.Head(ctx)
		if err != nil {
			return st, err
		}
		if h != head {
			return st, fmt.Errorf("as-of: the log moved from %d to %d during the queries", head, h)
		}
		served, found := set.Agreements.Get(id, projections.Cut{AsOf: at})
		st.Latencies = append(st.Latencies, time.Since(t0))
		t0 = time.Now()
		k, cold, coldFound, err := asOfQuery(ctx, log, codec, w, si, at)
		if err != nil {
			return st, err
		}
		st.Cold = append(st.Cold, time.Since(t0))
		st.Events += k
		if found != coldFound || found && served.Stage != cold.Stage {
			return st, fmt.Errorf("as-of %s at %s: the live projection says %v/%s, the store %v/%s", id, at.Format(time.DateOnly), found, served.Stage, coldFound, cold.Stage)
		}
		if found {
			st.Found++
		}
	}
	st.Elapsed = time.Since(start)
	slices.Sort(st.Latencies)
	slices.Sort(st.Cold)
	return st, nil
}

// foldLog folds the whole log into a new projections.Set and returns it
// with the position of the last event.
func foldLog(ctx context.Context, log events.Log, codec *events.Codec) (*projections.Set, int64, error) {
	set := projections.NewSet(codec)
	var last int64
	apply := func(e *events.Event) error {
		last = e.Position
		return set.Apply(e)
	}
	for {
		var n int
		var err error
		if sc, ok := log.(store.Scanner); ok {
			n, err = sc.ScanAll(ctx, last, ReplayPage, apply)
		} else {
			var page []events.Event
			page, err = log.ReadAll(ctx, last, ReplayPage)
			for i := range page {
				if err == nil {
					err = apply(&page[i])
				}
			}
			n = len(page)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("as-of: fold the log: %w", err)
		}
		if n < ReplayPage {
			return set, last, nil
		}
	}
}

// asOfQuery answers one as-of query from the store alone and returns the
// number of events it folded, the agreement's state and whether it had
// one.
func asOfQuery(ctx context.Context, log events.Log, codec *events.Codec, w *Workload, si int, at time.Time) (int, projections.AgreementState, bool, error) {
	id, parties := w.Agreement(si)
	streams := append([]string{w.Stream(si)}, make([]string, len(parties))...)
	for i, c := range parties {
		streams[i+1] = events.CountryStream(c)
	}
	got := make([][]events.Event, len(streams))
	errs := make([]error, len(streams))
	var wg sync.WaitGroup
	for i, s := range streams {
		wg.Go(func() { got[i], errs[i] = readStream(ctx, log, s) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, projections.AgreementState{}, false, err
	}
	p := projections.NewAgreements(codec)
	n := 0
	for _, evs := range got {
		for i := range evs {
			if err := p.Apply(&evs[i]); err != nil {
				return 0, projections.AgreementState{}, false, fmt.Errorf("as-of: fold event %d: %w", evs[i].Position, err)
			}
		}
		n += len(evs)
	}
	st, found := p.Get(id, projections.Cut{AsOf: at})
	return n, st, found, nil
}

// readStream reads a whole stream.
func readStream(ctx context.Context, log events.Log, stream string) ([]events.Event, error) {
	const page = 10000
	var out []events.Event
	from := int64(1)
	for {
		evs, err := log.ReadStream(ctx, stream, from, page)
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
		if len(evs) < page {
			return out, nil
		}
		from = evs[len(evs)-1].Version + 1
	}
}

func (r *runner) asOfPhase(ctx context.Context) (Result, error) {
	s, err := r.filledLog(ctx)
	if err != nil {
		return Result{}, err
	}
	r.progress("asof: %d queries on %d events", r.cfg.Queries, r.mainCount)
	r.env.settle(ctx)
	cpu := r.env.startCPU(ctx, r.mainDSN)
	st, err := AsOf(ctx, s, r.cfg.Codec, r.w, r.mainCount, r.cfg.Queries, r.cfg.Seed)
	if err != nil {
		return Result{}, err
	}
	res := measured(st.Events, st.Elapsed)
	res.P50ms, res.P99ms = latencies(st.Latencies)
	res.StoreP50ms, res.StoreP99ms = latencies(st.Cold)
	res.BuildS = ptr(round(st.Build.Seconds(), 3))
	res.Queries = ptr(st.Queries)
	cpu.stop(ctx, &res)
	return res, nil
}
