package reliability

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/readmodel"
	"github.com/accord-dev/accord/readmodel/rmtest"
	"github.com/accord-dev/accord/runner"
	"github.com/accord-dev/accord/store"
	"github.com/accord-dev/accord/store/pgtest"
	"github.com/accord-dev/accord/store/storetest"
)

// The fault tests' settings.
const (
	// EnvFaultSeconds names the variable with how long the faults last
	// (default 4 seconds).
	EnvFaultSeconds = "ACCORD_FAULT_SECONDS"
	// EnvFaultRestart, set to 1, enables TestFaultsServerRestart, which
	// restarts the whole PostgreSQL server (pg_ctlcluster ... restart) and
	// so disturbs everything else that uses it.
	EnvFaultRestart = "ACCORD_FAULT_RESTART"
)

// faultRun is a workload of appenders, a tail reader and a supervised
// projection runner on one PostgreSQL database, under some fault.
type faultRun struct {
	t     *testing.T
	dsn   string
	s     store.Store
	acked sync.Map // id -> ack

	appends, unavailable, otherErrs, inDoubtCommitted atomic.Int64
	errSamples                                        sync.Map // first message per kind
	runnerRestarts                                    atomic.Int64
	runnerErrs                                        sync.Map
}

// newFaultRun opens a fresh database with the read-model tables.
func newFaultRun(t *testing.T) *faultRun {
	pgtest.Require(t)
	dsn := pgtest.NewDatabase(t)
	s := openStore(t, dsn)
	if err := readmodel.Migrate(context.Background(), s.DB(), s.Backend()); err != nil {
		t.Fatal(err)
	}
	return &faultRun{t: t, dsn: dsn, s: s}
}

// appendLoop appends batches to random streams until stop is closed,
// retrying a failed batch, same ids, until it is acknowledged: the log must
// neither lose an acknowledged batch nor store a retried one twice.
func (f *faultRun) appendLoop(w int, stop <-chan struct{}) error {
	rng := rand.New(rand.NewPCG(uint64(w), 99))
	gen := storetest.NewGen(fmt.Sprintf("f%d", w))
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		s := storetest.AgreementStream(fmt.Sprintf("fault-%d", rng.IntN(20)))
		evs := gen.Events(s, 1+rng.IntN(4))
		inDoubt := false
		for attempt := 0; ; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			res, err := f.s.Append(ctx, s, events.Any, evs)
			cancel()
			if err == nil {
				if res.Duplicates != 0 && (!inDoubt || res.Duplicates != len(evs)) {
					return fmt.Errorf("append of new events reported %d duplicates (in doubt: %v)", res.Duplicates, inDoubt)
				}
				if res.Duplicates == len(evs) {
					f.inDoubtCommitted.Add(1)
				}
				f.appends.Add(1)
				for i, e := range evs {
					f.acked.Store(e.ID, ack{stream: s, position: res.Positions[i], version: res.Versions[i]})
				}
				break
			}
			kind := events.KindOf(err)
			if kind == events.KindUnavailable {
				f.unavailable.Add(1)
			} else {
				f.otherErrs.Add(1)
			}
			f.errSamples.LoadOrStore(kind.String(), err.Error())
			if kind == events.KindInvalid {
				return fmt.Errorf("append failed as invalid: %w", err)
			}
			if attempt > 2000 {
				return fmt.Errorf("append still failing after %d attempts: %w", attempt, err)
			}
			inDoubt = true
			time.Sleep(time.Duration(5+rng.IntN(20)) * time.Millisecond)
		}
	}
}

// superviseRunner runs the projection runner, following the log, until ctx
// ends; when Run returns with an error (a dropped connection), it starts it
// again after a short pause, as accord serve does. The runner then resumes
// from its checkpoints.
func (f *faultRun) superviseRunner(ctx context.Context) {
	for ctx.Err() == nil {
		var ps []*readmodel.Projector
		for _, n := range readmodel.Names() {
			p, err := readmodel.NewProjector(readmodel.ProjectorConfig{Name: n, DB: f.s.DB()})
			if err != nil {
				f.t.Error(err)
				return
			}
			ps = append(ps, p)
		}
		err := runner.Run(ctx, runner.Config{Log: f.s, Projectors: ps, PageSize: 200, Poll: 20 * time.Millisecond})
		if ctx.Err() != nil {
			return
		}
		f.runnerRestarts.Add(1)
		if err != nil {
			f.runnerErrs.LoadOrStore(events.KindOf(err).String(), err.Error())
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tail follows the log from after position last until stop is closed and
// it has read up to the head, retrying failed reads; it returns the ids in
// the order read and the number of position gaps.
func (f *faultRun) tail(last int64, stop <-chan struct{}, lag *lagStats) ([]string, int, error) {
	var (
		ids     []string
		gaps    int
		stopped bool
		fails   int
	)
	for {
		if !stopped {
			select {
			case <-stop:
				stopped = true
			default:
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		page, err := f.s.ReadAll(ctx, last, 500)
		cancel()
		if err != nil {
			if fails++; fails > 2000 {
				return ids, gaps, fmt.Errorf("reader: %w", err)
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		now := time.Now()
		for _, e := range page {
			if e.Position != last+1 {
				gaps++
			}
			last = e.Position
			ids = append(ids, e.ID)
			if lag != nil {
				lag.seen(e.ID, now)
			}
		}
		if len(page) == 0 {
			if stopped {
				return ids, gaps, nil
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
}

// verify checks the log against the acknowledgements and the tail reader:
// every acknowledged event once, where it was acknowledged, nothing else,
// no gap; and then that the projections catch up with the head by
// themselves and equal a clean rebuild.
func (f *faultRun) verify(read []string, gaps int, stopRunner func(), runnerDone <-chan struct{}) {
	t := f.t
	ctx := context.Background()
	all := readAll(t, f.s, 0)
	want := map[string]ack{}
	f.acked.Range(func(k, v any) bool { want[k.(string)] = v.(ack); return true })
	var missed, duplicated, unknown, misplaced int
	count := map[string]int{}
	for _, id := range read {
		count[id]++
	}
	for id := range want {
		switch count[id] {
		case 0:
			missed++
		case 1:
		default:
			duplicated += count[id] - 1
		}
	}
	for id := range count {
		if _, ok := want[id]; !ok {
			unknown++
		}
	}
	for i, e := range all {
		if a, ok := want[e.ID]; !ok || a.position != e.Position || a.version != e.Version || e.Position != int64(i+1) {
			misplaced++
		}
	}
	if len(all) != len(want) || missed+duplicated+unknown+misplaced+gaps != 0 {
		t.Errorf("log %d events, %d acknowledged; reader: missed=%d duplicated=%d unknown=%d gaps=%d; misplaced in the log: %d",
			len(all), len(want), missed, duplicated, unknown, gaps, misplaced)
	}
	// The runner catches up by itself.
	head := int64(len(all))
	began := time.Now()
	for {
		cps, err := readmodel.Checkpoints(ctx, f.s.DB())
		if err == nil && slices.Min(mapValues(cps)) == head {
			break
		}
		if time.Since(began) > time.Minute {
			t.Fatalf("the projection runner did not catch up with the head %d within a minute after the faults: %v (%v)", head, cps, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	caughtUp := time.Since(began)
	stopRunner()
	<-runnerDone
	got := rmtest.Dump(t, f.s)
	rebuild(t, f.s)
	rmtest.Diff(t, "runner under faults vs clean rebuild", rmtest.Dump(t, f.s), got)
	var samples []string
	f.errSamples.Range(func(k, v any) bool { samples = append(samples, fmt.Sprintf("%s: %.160s", k, v)); return true })
	f.runnerErrs.Range(func(k, v any) bool { samples = append(samples, fmt.Sprintf("runner %s: %.160s", k, v)); return true })
	sort.Strings(samples)
	t.Logf("faults: %d events in %d appends; %d append errors said unavailable, %d other; %d retried appends had committed before the fault; runner restarted %d times and caught up %s after the faults ended; missed=%d duplicated=%d\n  %s",
		len(all), f.appends.Load(), f.unavailable.Load(), f.otherErrs.Load(), f.inDoubtCommitted.Load(), f.runnerRestarts.Load(),
		caughtUp.Round(time.Millisecond), missed, duplicated, strings.Join(samples, "\n  "))
	if n := f.otherErrs.Load(); n > 0 {
		t.Errorf("%d append errors were not classified as unavailable (a dropped connection must say so, exit code 5 / HTTP 503)", n)
	}
}

func mapValues(m map[string]int64) []int64 {
	out := make([]int64, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// rebuild resets every projection and replays the log in-process.
func rebuild(t *testing.T, s store.Store) {
	t.Helper()
	var ps []*readmodel.Projector
	for _, n := range readmodel.Names() {
		p, err := readmodel.NewProjector(readmodel.ProjectorConfig{Name: n, DB: s.DB()})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Reset(context.Background()); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := runner.Run(ctx, runner.Config{Log: s, Projectors: ps, UntilHead: true}); err != nil {
		t.Fatalf("clean rebuild: %v", err)
	}
}

// terminator kills every connection to database name (but its own) with
// pg_terminate_backend at random intervals until stop is closed.
func terminator(t *testing.T, name string, every func() time.Duration, stop <-chan struct{}, killed *atomic.Int64) {
	admin, err := sql.Open("postgres", pgtest.ServerURL())
	if err != nil {
		t.Error(err)
		return
	}
	defer admin.Close()
	round := 0
	for {
		select {
		case <-stop:
			return
		case <-time.After(every()):
		}
		// In turn: every connection; only busy ones (running a statement
		// or in a transaction); only appenders that are busy (their last
		// statement writes events or the head, or commits). Busy ones are
		// polled for until there are some: idle connections are dropped
		// between statements, busy ones in the middle of an append, a
		// commit or a read.
		q := `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`
		round++
		busy := round%3 != 0
		if busy {
			q += ` AND state <> 'idle'`
		}
		if round%3 == 2 {
			q += ` AND (query ILIKE '%insert into events%' OR query ILIKE '%log_head%' OR query ILIKE 'commit%')`
		}
		for range 50 {
			var n int64
			if err := admin.QueryRow(q, name).Scan(&n); err != nil {
				t.Errorf("pg_terminate_backend: %v", err)
				return
			}
			killed.Add(n)
			if n > 0 || !busy {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func dbName(t *testing.T, dsn string) string {
	t.Helper()
	i := strings.LastIndex(dsn, "/")
	name, _, _ := strings.Cut(dsn[i+1:], "?")
	if name == "" {
		t.Fatalf("no database name in %s", dsn)
	}
	return name
}

// runFaults runs the workload for d while fault runs, then verifies.
func runFaults(t *testing.T, f *faultRun, d time.Duration, fault func(stop <-chan struct{})) {
	runnerCtx, stopRunner := context.WithCancel(context.Background())
	runnerDone := make(chan struct{})
	go func() { defer close(runnerDone); f.superviseRunner(runnerCtx) }()
	defer func() { stopRunner(); <-runnerDone }()

	stopWriters, stopFault, stopReader := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Go(func() {
			if err := f.appendLoop(w, stopWriters); err != nil {
				errs <- fmt.Errorf("writer %d: %w", w, err)
			}
		})
	}
	var read []string
	var gaps int
	var readErr error
	readerDone := make(chan struct{})
	go func() { defer close(readerDone); read, gaps, readErr = f.tail(0, stopReader, nil) }()
	faultDone := make(chan struct{})
	go func() { defer close(faultDone); fault(stopFault) }()

	time.Sleep(d)
	close(stopFault)
	<-faultDone
	time.Sleep(200 * time.Millisecond) // a little fault-free writing
	close(stopWriters)
	wg.Wait()
	close(stopReader)
	<-readerDone
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if readErr != nil {
		t.Fatal(readErr)
	}
	if t.Failed() {
		t.FailNow()
	}
	f.verify(read, gaps, stopRunner, runnerDone)
}

// TestFaultsTerminateConnections terminates every connection of the
// store's database (appenders, the tail reader, the projection runner)
// with pg_terminate_backend every 10 to 150 ms while four writers append
// and the runner follows the log. Appenders must get an error that says
// the store is unavailable (exit 5, HTTP 503), or succeed; retrying a
// failed batch with the same ids must never store it twice, even when the
// connection dropped after the commit; no acknowledged event may be lost;
// the reader misses nothing; and the runner, restarted when it fails,
// catches up by itself to read models equal to a clean rebuild.
func TestFaultsTerminateConnections(t *testing.T) {
	f := newFaultRun(t)
	var killed atomic.Int64
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	var mu sync.Mutex
	every := func() time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return time.Duration(10+rng.IntN(140)) * time.Millisecond
	}
	d := time.Duration(envInt(t, EnvFaultSeconds, 4)) * time.Second
	runFaults(t, f, d, func(stop <-chan struct{}) { terminator(t, dbName(t, f.dsn), every, stop, &killed) })
	t.Logf("faults: %d connections terminated", killed.Load())
	if killed.Load() == 0 {
		t.Error("no connection was terminated")
	}
}

// TestFaultsServerRestart restarts the whole PostgreSQL server
// (pg_ctlcluster <version> main restart) while four writers append and the
// runner follows the log; the same guarantees as under
// pg_terminate_backend. It disturbs every other user of the server, so it
// runs only with ACCORD_FAULT_RESTART=1.
func TestFaultsServerRestart(t *testing.T) {
	if os.Getenv(EnvFaultRestart) != "1" {
		t.Skipf("restarts the PostgreSQL server; set %s=1 to run it", EnvFaultRestart)
	}
	versions, _ := filepath.Glob("/etc/postgresql/*/main")
	if len(versions) == 0 {
		t.Fatal("no /etc/postgresql/*/main: cannot restart the server with pg_ctlcluster")
	}
	version := filepath.Base(filepath.Dir(versions[len(versions)-1]))
	f := newFaultRun(t)
	var downFor time.Duration
	runFaults(t, f, 3*time.Second, func(stop <-chan struct{}) {
		time.Sleep(time.Second)
		began := time.Now()
		out, err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast").CombinedOutput()
		if err != nil {
			t.Errorf("pg_ctlcluster restart: %v\n%s", err, out)
		}
		downFor = time.Since(began)
		<-stop
	})
	t.Logf("faults: server restarted (pg_ctlcluster took %s)", downFor.Round(time.Millisecond))
}

// lagStats measures, per event, the time from its acknowledgement to a
// reader seeing it.
type lagStats struct {
	mu     sync.Mutex
	acked  map[string]time.Time
	delays []time.Duration
}

func (l *lagStats) ack(id string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked[id] = at
}

func (l *lagStats) seen(id string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a, ok := l.acked[id]; ok {
		l.delays = append(l.delays, max(at.Sub(a), 0))
		delete(l.acked, id)
	}
}

func (l *lagStats) summary() (p50, p99, maxd time.Duration, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := slices.Clone(l.delays)
	slices.Sort(d)
	if len(d) == 0 {
		return 0, 0, 0, 0
	}
	return d[len(d)/2], d[len(d)*99/100], d[len(d)-1], len(d)
}

// TestFaultsLongTransaction holds a transaction open elsewhere in the
// cluster (BEGIN; SELECT txid_current() in another database, and a
// REPEATABLE READ snapshot in the store's own database) while a writer
// appends and a reader follows the log, and measures the delay from each
// acknowledgement to the reader seeing the event, against a baseline
// without the open transaction. Readers must miss nothing; the delay is
// reported (the store orders events with a row lock, not a transaction-id
// watermark, so an open transaction should not delay them).
func TestFaultsLongTransaction(t *testing.T) {
	pgtest.Require(t)
	dsn := pgtest.NewDatabase(t)
	other := pgtest.NewDatabase(t)
	s := openStore(t, dsn)
	round := 0
	measure := func(what string) (time.Duration, time.Duration, time.Duration) {
		round++
		lag := &lagStats{acked: map[string]time.Time{}}
		f := &faultRun{t: t, dsn: dsn, s: s}
		start := readAll(t, s, 0)
		stop := make(chan struct{})
		var read []string
		var gaps int
		var rerr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			var last int64
			if len(start) > 0 {
				last = start[len(start)-1].Position
			}
			read, gaps, rerr = f.tail(last, stop, lag)
		}()
		gen := storetest.NewGen(fmt.Sprintf("lt%d", round))
		var ids []string
		end := time.Now().Add(1500 * time.Millisecond)
		for time.Now().Before(end) {
			st := storetest.AgreementStream("long-tx")
			evs := gen.Events(st, 1)
			if _, err := s.Append(context.Background(), st, events.Any, evs); err != nil {
				t.Fatal(err)
			}
			lag.ack(evs[0].ID, time.Now())
			ids = append(ids, evs[0].ID)
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		close(stop)
		<-done
		if rerr != nil {
			t.Fatal(rerr)
		}
		if !slices.Equal(read, ids) || gaps != 0 {
			t.Errorf("%s: the reader read %d events (gaps %d), %d were appended", what, len(read), gaps, len(ids))
		}
		p50, p99, mx, n := lag.summary()
		t.Logf("long transaction: %s: %d events, delay from acknowledgement to read p50 %s, p99 %s, max %s", what, n, p50, p99, mx)
		return p50, p99, mx
	}
	_, _, baseMax := measure("baseline")

	// A transaction with an xid, held open in another database.
	odb, err := sql.Open("postgres", other)
	if err != nil {
		t.Fatal(err)
	}
	defer odb.Close()
	otx, err := odb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer otx.Rollback()
	var xid int64
	if err := otx.QueryRow(`SELECT txid_current()`).Scan(&xid); err != nil {
		t.Fatal(err)
	}
	_, _, otherMax := measure("open transaction in another database")

	// A snapshot held open in the store's own database as well.
	sdb, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	stx, err := sdb.BeginTx(context.Background(), &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	defer stx.Rollback()
	var n int64
	if err := stx.QueryRow(`SELECT count(*), txid_current() FROM events`).Scan(&n, &xid); err != nil {
		t.Fatal(err)
	}
	_, _, sameMax := measure("open transactions in another database and in the store's")
	if limit := baseMax + time.Second; otherMax > limit || sameMax > limit {
		t.Errorf("an open transaction delayed readers by up to %s (baseline max %s)", max(otherMax, sameMax), baseMax)
	}
}
