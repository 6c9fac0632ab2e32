// Package bench is accord's throughput benchmark: the workload and the
// phases behind `accord bench`, usable from Go benchmarks too.
//
// # Workload
//
// W concurrent writers each repeatedly append a batch of 1..B events (about
// 300 bytes of JSON data each, agreement lifecycle events) to a uniformly
// chosen stream of S, with the expected version set to the version last
// seen for that stream (the writers share what they have seen; see
// Workload), re-reading the stream's version and retrying on a conflict,
// until N events are in. Every event has a unique id.
//
// # Phases
//
//   - append: the workload on accord's event log (store.Open); reports the
//     conflicts and the per-append latency (p50, p99).
//   - append-plain, append-watermill: the same workload on the stores accord
//     is compared with (see PlainTarget and WatermillTarget), each in a
//     database of its own. With Config.Compare they run before append, and
//     the append line carries accord's speed-ups over them.
//   - replay: read the whole log in global order (ReadAll pages), decode
//     every event (the store does) and fold it through the agreements
//     projection; ok when every event came back once, in order, and
//     folded, and every stream's agreement is in the projection.
//   - tail: a fresh log; one catch-up reader follows it from the start
//     (ReadAll after the last position seen) while the W writers append N
//     events; reports missed and duplicated events and the lag from an
//     append's return to the reader seeing its events (p99).
//   - asof: queries of one agreement's state at a random date, answered as
//     the server answers them (accord serve keeps a projections.Set
//     current and checks the log's head before each query): the log is
//     folded into a Set once (build_s), then each query costs a head
//     check and the Set's answer (p50, p99). The same queries are also
//     answered from the store alone, reading the agreement's stream and
//     its parties' country streams (ReadStream) and folding them
//     (store_p50_ms, store_p99_ms); the two answers must agree.
//   - branch: branch creation (scenarios.NewBranch with five edits) over
//     the log read into memory: time and memory per branch.
//   - montecarlo: Monte Carlo forecasts (scenarios.Prepare and Simulate,
//     the default model) of when ten agreements of the log enter into
//     force: runs per second.
//
// append, replay, asof, branch and montecarlo share one log: when append is
// not run, the log is filled with the workload first (not measured). Each
// Run creates fresh databases (PostgreSQL: CREATE DATABASE with a unique
// name on the server of Config.DB, "accord_bench_..."; SQLite: files in a
// new directory next to the given path) and drops them at the end. Before
// each phase that writes or reads a log, PostgreSQL is asked for a
// CHECKPOINT, so that the dirty pages of the phases before it (a plain
// store's 200,000 rows, say) are not written out during its commits.
//
// Every result also has the CPU time per event of this process and, for a
// PostgreSQL server on the same machine, of its backends: a measure of
// cost that does not depend on what else the machine runs.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store"
	"github.com/accord-dev/accord/store/postgres"
)

// The phase names.
const (
	PhaseAppend          = "append"
	PhaseAppendPlain     = "append-plain"
	PhaseAppendWatermill = "append-watermill"
	PhaseReplay          = "replay"
	PhaseTail            = "tail"
	PhaseAsOf            = "asof"
	PhaseBranch          = "branch"
	PhaseMonteCarlo      = "montecarlo"
)

// Phases returns every phase name, in the order of the documentation.
func Phases() []string {
	return []string{PhaseAppend, PhaseAppendPlain, PhaseAppendWatermill, PhaseReplay, PhaseTail, PhaseAsOf, PhaseBranch, PhaseMonteCarlo}
}

// Params are the workload's parameters.
type Params struct {
	// Events is N, the number of events appended (default 200000).
	Events int
	// Streams is S, the number of streams (default 2000).
	Streams int
	// Writers is W, the number of concurrent writers (default 8).
	Writers int
	// Batch is B, the largest number of events per append (default 10).
	Batch int
	// Seed makes the run reproducible (default 1).
	Seed uint64
}

// The defaults of Params.
const (
	DefaultEvents  = 200000
	DefaultStreams = 2000
	DefaultWriters = 8
	DefaultBatch   = 10
	DefaultSeed    = 1
)

// WithDefaults returns p with its zero fields set to the defaults.
func (p Params) WithDefaults() Params {
	if p.Events == 0 {
		p.Events = DefaultEvents
	}
	if p.Streams == 0 {
		p.Streams = DefaultStreams
	}
	if p.Writers == 0 {
		p.Writers = DefaultWriters
	}
	if p.Batch == 0 {
		p.Batch = DefaultBatch
	}
	if p.Seed == 0 {
		p.Seed = DefaultSeed
	}
	return p
}

// Validate reports parameters out of range, wrapping events.ErrInvalid.
func (p Params) Validate() error {
	var errs []error
	if p.Events < 1 {
		errs = append(errs, fmt.Errorf("events %d must be 1 or more", p.Events))
	}
	if p.Streams < 1 {
		errs = append(errs, fmt.Errorf("streams %d must be 1 or more", p.Streams))
	}
	if p.Writers < 1 || p.Writers > 256 {
		errs = append(errs, fmt.Errorf("writers %d must be 1 to 256", p.Writers))
	}
	if p.Batch < 1 || p.Batch > 1000 {
		errs = append(errs, fmt.Errorf("batch %d must be 1 to 1000", p.Batch))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bench: %w: %w", err, events.ErrInvalid)
	}
	return nil
}

// Config configures Run.
type Config struct {
	Params
	// DB is a PostgreSQL server URL (postgres://...; the databases are
	// created on that server) or a SQLite path (sqlite:PATH or a plain
	// path; the files are created in a new directory next to it).
	DB string
	// Phases to run, in order (see Phases).
	Phases []string
	// Compare runs append-plain and append-watermill before append (where
	// the backend supports them) and reports accord's speed-ups.
	Compare bool
	// Queries is the number of as-of queries (default 1000).
	Queries int
	// Codec decodes and encodes payloads (default events.NewCodec()).
	Codec *events.Codec
	// Progress, when not nil, receives one line per step (for a terminal).
	Progress io.Writer
	// Name is part of the names of the run's databases
	// ("accord_<name>_log_<random>"); lower-case letters, digits and _,
	// default "bench".
	Name string
}

// Result is one phase's outcome, one JSON line of `accord bench --output
// json`. The fields after EventsPerS are set only by the phases they
// belong to.
type Result struct {
	Phase      string  `json:"phase"`
	Events     int     `json:"events"`
	Seconds    float64 `json:"seconds"`
	EventsPerS float64 `json:"events_per_s"`

	// append and the compared stores
	Conflicts *int     `json:"conflicts,omitempty"`
	P50ms     *float64 `json:"p50_ms,omitempty"` // also asof
	P99ms     *float64 `json:"p99_ms,omitempty"` // also asof
	Appends   *int     `json:"appends,omitempty"`
	// accord's group-commit writer (PostgreSQL): transactions, events per
	// transaction, and batches written on the locked path
	Batches        *int     `json:"batches,omitempty"`
	EventsPerBatch *float64 `json:"events_per_batch,omitempty"`
	Rewritten      *int     `json:"rewritten,omitempty"`
	PreReads       *int     `json:"pre_reads,omitempty"` // reads of stream versions before planning
	// the mean time of the writer's statement (sent to answered) and of a
	// whole batch cycle (the phase's time divided by its batches); their
	// difference is the client's part of the cycle
	WriteMsPerBatch *float64 `json:"write_ms_per_batch,omitempty"`
	CycleMsPerBatch *float64 `json:"cycle_ms_per_batch,omitempty"`
	// accord's append rate divided by the compared stores' (with Compare)
	SpeedupPlain     *float64 `json:"speedup_vs_plain,omitempty"`
	SpeedupWatermill *float64 `json:"speedup_vs_watermill,omitempty"`

	// replay
	OK *bool `json:"ok,omitempty"`
	// peak resident memory of the process during the phase, and the live
	// heap at its end (the projection's state)
	RSSMB      *float64 `json:"rss_mb,omitempty"`
	LiveHeapMB *float64 `json:"live_heap_mb,omitempty"`

	// tail
	Missed     *int     `json:"missed,omitempty"`
	Duplicated *int     `json:"duplicated,omitempty"`
	LagP50ms   *float64 `json:"lag_p50_ms,omitempty"`
	LagP99ms   *float64 `json:"lag_p99_ms,omitempty"`

	// asof: p50_ms and p99_ms are the query as the server answers it
	// (the live projection); store_p50_ms and store_p99_ms the same
	// queries answered from the store alone (read the streams, fold);
	// build_s the time to fold the log into the projection first.
	Queries    *int     `json:"queries,omitempty"`
	StoreP50ms *float64 `json:"store_p50_ms,omitempty"`
	StoreP99ms *float64 `json:"store_p99_ms,omitempty"`
	BuildS     *float64 `json:"build_s,omitempty"`

	// branch
	NsPerBranch    *float64 `json:"ns_per_branch,omitempty"`
	BytesPerBranch *float64 `json:"bytes_per_branch,omitempty"`
	// montecarlo
	RunsPerS *float64 `json:"runs_per_s,omitempty"`

	// CPU time per event of this process (the workload and the store's
	// client side) and of the database's server processes (PostgreSQL on
	// this machine only), in microseconds: a measure of cost that does not
	// depend on what else the machine runs.
	ClientCPU *float64 `json:"client_cpu_us_per_event,omitempty"`
	ServerCPU *float64 `json:"server_cpu_us_per_event,omitempty"`

	Backend string `json:"backend,omitempty"`
	Error   string `json:"error,omitempty"`
}

func ptr[T any](v T) *T { return &v }

// ParsePhases splits a comma-separated list of phases, checking the names.
func ParsePhases(s string) ([]string, error) {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !slices.Contains(Phases(), p) {
			return nil, fmt.Errorf("bench: unknown phase %q (known: %s): %w", p, strings.Join(Phases(), ", "), events.ErrInvalid)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: no phase given: %w", events.ErrInvalid)
	}
	return out, nil
}

// Run runs cfg's phases, calling emit with each phase's result as soon as
// it is known. A phase that cannot run on the backend, or is not
// implemented, gives a Result with Error set; an error return means the
// run failed (a database error, a broken invariant) and stops it. The
// databases Run created are dropped before it returns.
func Run(ctx context.Context, cfg Config, emit func(Result) error) (err error) {
	cfg.Params = cfg.Params.WithDefaults()
	if err := cfg.Params.Validate(); err != nil {
		return err
	}
	if cfg.Queries == 0 {
		cfg.Queries = 1000
	}
	if cfg.Codec == nil {
		cfg.Codec = events.NewCodec()
	}
	if len(cfg.Phases) == 0 {
		return fmt.Errorf("bench: no phase given: %w", events.ErrInvalid)
	}
	if cfg.Name == "" {
		cfg.Name = "bench"
	}
	if !validName(cfg.Name) {
		return fmt.Errorf("bench: name %q: want 1 to 20 lower-case letters, digits and _: %w", cfg.Name, events.ErrInvalid)
	}
	env, err := newEnv(ctx, cfg.DB, cfg.Name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := env.cleanup(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	r := &runner{cfg: cfg, env: env, emit: emit, w: NewWorkload(cfg.Streams, cfg.Seed)}
	defer r.close()
	phases := cfg.Phases
	if cfg.Compare && slices.Contains(phases, PhaseAppend) {
		// The compared stores run first so that the append line can carry
		// the ratios.
		var pre []string
		for _, p := range []string{PhaseAppendPlain, PhaseAppendWatermill} {
			if !slices.Contains(phases, p) {
				pre = append(pre, p)
			}
		}
		i := slices.Index(phases, PhaseAppend)
		phases = slices.Concat(phases[:i], pre, phases[i:])
	}
	for _, p := range phases {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := r.phase(ctx, p)
		if err != nil {
			return fmt.Errorf("bench: %s: %w", p, err)
		}
		res.Phase = p
		res.Backend = env.backend
		if err := emit(res); err != nil {
			return err
		}
	}
	return nil
}

// runner holds what the phases of one Run share.
type runner struct {
	cfg  Config
	env  *env
	emit func(Result) error
	w    *Workload

	main      store.Store // the log of append, replay and asof
	mainDSN   string
	mainCount int            // events in main
	memLog    []events.Event // main in memory, for the scenario phases
	rates     map[string]float64
}

func (r *runner) close() {
	if r.main != nil {
		r.main.Close()
	}
}

func (r *runner) progress(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, "bench: "+format+"\n", args...)
	}
}

func (r *runner) phase(ctx context.Context, p string) (Result, error) {
	if p != PhaseReplay && p != PhaseAsOf && p != PhaseBranch && p != PhaseMonteCarlo {
		r.env.settle(ctx)
	}
	switch p {
	case PhaseAppend:
		return r.appendPhase(ctx)
	case PhaseAppendPlain, PhaseAppendWatermill:
		return r.comparePhase(ctx, p)
	case PhaseReplay:
		return r.replayPhase(ctx)
	case PhaseTail:
		return r.tailPhase(ctx)
	case PhaseAsOf:
		return r.asOfPhase(ctx)
	case PhaseBranch:
		return r.branchPhase(ctx)
	case PhaseMonteCarlo:
		return r.monteCarloPhase(ctx)
	}
	return Result{}, fmt.Errorf("unknown phase %q: %w", p, events.ErrInvalid)
}

// mainLog returns the shared log, opening it in a fresh database on first
// use.
func (r *runner) mainLog(ctx context.Context) (store.Store, error) {
	if r.main != nil {
		return r.main, nil
	}
	dsn, err := r.env.newDatabase(ctx, "log")
	if err != nil {
		return nil, err
	}
	s, err := store.Open(ctx, dsn, r.cfg.Codec)
	if err != nil {
		return nil, err
	}
	r.main, r.mainDSN = s, dsn
	return s, nil
}

// filledLog returns the shared log with the workload's N events in it,
// appending them (unmeasured) if the append phase has not run.
func (r *runner) filledLog(ctx context.Context) (store.Store, error) {
	s, err := r.mainLog(ctx)
	if err != nil {
		return nil, err
	}
	if r.mainCount == 0 {
		r.progress("filling the log with %d events", r.cfg.Events)
		r.w.Reset()
		st, err := RunWriters(ctx, r.cfg.Params, r.w, LogTarget{Log: s}, nil)
		if err != nil {
			return nil, err
		}
		r.mainCount = st.Events
	}
	return s, nil
}

func (r *runner) appendPhase(ctx context.Context) (Result, error) {
	s, err := r.mainLog(ctx)
	if err != nil {
		return Result{}, err
	}
	if r.mainCount > 0 {
		return Result{}, errors.New("the append phase can run once per run")
	}
	r.progress("append: %d events, %d streams, %d writers, batches of 1..%d", r.cfg.Events, r.cfg.Streams, r.cfg.Writers, r.cfg.Batch)
	r.w.Reset()
	before := writerCounts(s)
	cpu := r.env.startCPU(ctx, r.mainDSN)
	st, err := RunWriters(ctx, r.cfg.Params, r.w, LogTarget{Log: s}, nil)
	if err != nil {
		return Result{}, err
	}
	r.mainCount = st.Events
	res := st.result()
	cpu.stop(ctx, &res)
	writerCounts(s).since(before, &res)
	if v, ok := r.rates[PhaseAppendPlain]; ok && v > 0 {
		res.SpeedupPlain = ptr(round(res.EventsPerS/v, 2))
	}
	if v, ok := r.rates[PhaseAppendWatermill]; ok && v > 0 {
		res.SpeedupWatermill = ptr(round(res.EventsPerS/v, 2))
	}
	return res, nil
}

// counts are a PostgreSQL log's writer counters (see postgres.WriterStats).
type counts struct {
	ok                                        bool
	batches, events, failed, locked, preReads int64
	writes, writeNanos                        int64
}

// writerCounts returns the writer counters of s, when it has them.
func writerCounts(s store.Store) counts {
	pl, ok := s.(*postgres.Log)
	if !ok {
		return counts{}
	}
	st := pl.Stats()
	return counts{ok: true, batches: st.Batches.Load(), events: st.Events.Load(), failed: st.Failed.Load(), locked: st.Locked.Load(),
		preReads: st.PreReads.Load(), writes: st.Writes.Load(), writeNanos: st.WriteNanos.Load()}
}

// since sets the writer fields of res from the counters' growth since
// before: batches, events per batch, batches written again.
func (c counts) since(before counts, res *Result) {
	if !c.ok || c.batches == before.batches {
		return
	}
	n := c.batches - before.batches
	res.Batches = ptr(int(n))
	res.EventsPerBatch = ptr(round(float64(c.events-before.events)/float64(n), 1))
	res.Rewritten = ptr(int(c.failed - before.failed + c.locked - before.locked))
	res.PreReads = ptr(int(c.preReads - before.preReads))
	if w := c.writes - before.writes; w > 0 {
		res.WriteMsPerBatch = ptr(round(float64(c.writeNanos-before.writeNanos)/float64(w)/1e6, 3))
	}
	if res.Seconds > 0 {
		res.CycleMsPerBatch = ptr(round(res.Seconds*1e3/float64(n), 3))
	}
}

// comparePhase runs the workload on a compared store in a fresh database.
func (r *runner) comparePhase(ctx context.Context, p string) (Result, error) {
	if p == PhaseAppendWatermill && r.env.backend != "postgres" {
		return Result{Error: "watermill-sql's PostgreSQL schema adapter needs a postgres:// database"}, nil
	}
	dsn, err := r.env.newDatabase(ctx, strings.TrimPrefix(p, "append-"))
	if err != nil {
		return Result{}, err
	}
	db, err := r.env.openDB(ctx, dsn)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	var t Target
	if p == PhaseAppendPlain {
		t, err = NewPlainTarget(ctx, db, r.env.backend, r.cfg.Codec)
	} else {
		var wt *WatermillTarget
		wt, err = NewWatermillTarget(ctx, db, r.cfg.Codec)
		if wt != nil {
			defer wt.Close()
		}
		t = wt
	}
	if err != nil {
		return Result{}, err
	}
	r.progress("%s: %d events", p, r.cfg.Events)
	w := NewWorkload(r.cfg.Streams, r.cfg.Seed)
	cpu := r.env.startCPU(ctx, dsn)
	st, err := RunWriters(ctx, r.cfg.Params, w, t, nil)
	if err != nil {
		return Result{}, err
	}
	res := st.result()
	cpu.stop(ctx, &res)
	if r.rates == nil {
		r.rates = map[string]float64{}
	}
	r.rates[p] = res.EventsPerS
	return res, nil
}

// validName reports whether s can be part of a database name.
func validName(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// measured returns the Result of n events in d: events, seconds,
// events_per_s.
func measured(n int, d time.Duration) Result {
	return Result{Events: n, Seconds: round(d.Seconds(), 3), EventsPerS: round(float64(n)/d.Seconds(), 0)}
}

// latencies returns the p50 and p99 of sorted ds in milliseconds.
func latencies(ds []time.Duration) (p50, p99 *float64) {
	return ptr(ms(percentile(ds, 50))), ptr(ms(percentile(ds, 99)))
}

// round rounds x to n decimals.
func round(x float64, n int) float64 {
	p := 1.0
	for range n {
		p *= 10
	}
	return float64(int64(x*p+0.5)) / p
}

// ms converts a duration to milliseconds with microsecond precision.
func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

// percentile returns the p-th percentile (0 < p <= 100) of sorted ds
// (nearest rank).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(float64(len(ds))*p/100+0.999999) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// newRand returns a PCG source for one purpose of the run.
func newRand(seed uint64, purpose uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, purpose))
}
