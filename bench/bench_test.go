package bench_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/accord-dev/accord/bench"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
	"github.com/accord-dev/accord/store"
	"github.com/accord-dev/accord/store/pgtest"
)

// small is the workload of the tests: quick, yet with conflicts (few
// streams) and several batches per writer.
var small = bench.Params{Events: 2000, Streams: 40, Writers: 6, Batch: 10, Seed: 7}

func runAll(t *testing.T, db, name string, phases []string) map[string]bench.Result {
	t.Helper()
	got := map[string]bench.Result{}
	var order []string
	err := bench.Run(t.Context(), bench.Config{Params: small, DB: db, Phases: phases, Compare: true, Queries: 50, Name: name},
		func(r bench.Result) error {
			got[r.Phase] = r
			order = append(order, r.Phase)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("phases in order: %v", order)
	return got
}

// check verifies the fields every phase reports and the invariants of the
// run.
func check(t *testing.T, got map[string]bench.Result, want []string) {
	t.Helper()
	for _, p := range want {
		r, ok := got[p]
		if !ok {
			t.Errorf("no %s line", p)
			continue
		}
		if r.Error != "" {
			t.Errorf("%s: error %q", p, r.Error)
			continue
		}
		if r.Events <= 0 || r.Seconds <= 0 || r.EventsPerS <= 0 {
			t.Errorf("%s: events %d seconds %v events/s %v", p, r.Events, r.Seconds, r.EventsPerS)
		}
	}
	if r, ok := got["append"]; ok && (r.Conflicts == nil || r.P50ms == nil || r.P99ms == nil || r.Events != small.Events) {
		t.Errorf("append: %+v", r)
	}
	if r, ok := got["replay"]; ok && (r.OK == nil || !*r.OK || r.Events != small.Events) {
		t.Errorf("replay: %+v", r)
	}
	if r, ok := got["tail"]; ok && (r.Missed == nil || *r.Missed != 0 || r.Duplicated == nil || *r.Duplicated != 0 || r.LagP99ms == nil) {
		t.Errorf("tail: %+v", r)
	}
	if r, ok := got["asof"]; ok && (r.P50ms == nil || r.P99ms == nil || r.Queries == nil || *r.Queries != 50) {
		t.Errorf("asof: %+v", r)
	}
	if r, ok := got["branch"]; ok && (r.NsPerBranch == nil || r.BytesPerBranch == nil) {
		t.Errorf("branch: %+v", r)
	}
	if r, ok := got["montecarlo"]; ok && r.RunsPerS == nil {
		t.Errorf("montecarlo: %+v", r)
	}
}

func TestRunSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	got := runAll(t, "sqlite:"+filepath.Join(dir, "bench.db"), "", bench.Phases())
	check(t, got, []string{"append", "append-plain", "replay", "tail", "asof", "branch", "montecarlo"})
	if r := got["append-watermill"]; r.Error == "" {
		t.Errorf("append-watermill on SQLite: %+v, want an error", r)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

func TestRunPostgres(t *testing.T) {
	t.Parallel()
	pgtest.Require(t)
	server := pgtest.ServerURL()
	name := fmt.Sprintf("test%d", os.Getpid())
	got := runAll(t, server, name, []string{"append", "replay", "tail", "asof"})
	check(t, got, []string{"append", "append-plain", "append-watermill", "replay", "tail", "asof"})
	if r := got["append"]; r.SpeedupPlain == nil || r.SpeedupWatermill == nil {
		t.Errorf("append: no speed-ups: %+v", r)
	}
	// The writer's statement is part of a batch's cycle, never more.
	if r := got["append"]; r.WriteMsPerBatch == nil || r.CycleMsPerBatch == nil ||
		*r.WriteMsPerBatch <= 0 || *r.WriteMsPerBatch > *r.CycleMsPerBatch {
		t.Errorf("append: write and cycle times per batch: %+v", r)
	}
	// The run's databases are gone.
	db, err := sql.Open("postgres", server)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_database WHERE datname LIKE 'accord_' || $1 || '_%'`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d accord_%s_ databases left behind", n, name)
	}
}

func TestParsePhases(t *testing.T) {
	if p, err := bench.ParsePhases("append, replay,tail"); err != nil || strings.Join(p, ",") != "append,replay,tail" {
		t.Errorf("ParsePhases = %v, %v", p, err)
	}
	for _, bad := range []string{"", "append,bogus", ","} {
		if _, err := bench.ParsePhases(bad); err == nil {
			t.Errorf("ParsePhases(%q): no error", bad)
		}
	}
	if err := (bench.Params{Events: 0, Streams: 1, Writers: 1, Batch: 1}).Validate(); err == nil {
		t.Error("Validate accepted 0 events")
	}
}

// benchEvents is the size of the logs of the store benchmarks:
// ACCORD_BENCH_EVENTS, default 20000 (`accord bench` measures at full size).
func benchEvents(b *testing.B) int {
	if v := os.Getenv("ACCORD_BENCH_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			b.Fatalf("ACCORD_BENCH_EVENTS=%q: want a number of at least 100", v)
		}
		return n
	}
	return 20000
}

// workloadEvents returns n events of the workload, in the order of a log
// (round robin over the streams).
func workloadEvents(n int) []events.Event {
	w := bench.NewWorkload(bench.DefaultStreams, 1)
	ids := bench.NewIDs(1, 0)
	out := make([]events.Event, 0, n)
	for v := int64(0); len(out) < n; v++ {
		for i := 0; i < w.Len() && len(out) < n; i++ {
			e := w.Events(i, v, 1, ids, 0)[0]
			if err := events.Normalize(events.NewCodec(), &e); err != nil {
				panic(err)
			}
			e.Position, e.Version = int64(len(out)+1), v+1
			out = append(out, e)
		}
	}
	return out
}

// BenchmarkCodec encodes and decodes (DecodeStored, the replay's path) the
// workload's payloads.
func BenchmarkCodec(b *testing.B) {
	c := events.NewCodec()
	evs := workloadEvents(1000)
	data := make([][]byte, len(evs))
	size := 0
	for i := range evs {
		d, err := c.Encode(evs[i].Data)
		if err != nil {
			b.Fatal(err)
		}
		data[i] = d
		size += len(d)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size / len(evs)))
		i := 0
		for b.Loop() {
			if _, err := c.Encode(evs[i%len(evs)].Data); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("decode-stored", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size / len(evs)))
		i := 0
		for b.Loop() {
			k := i % len(evs)
			if _, err := c.DecodeStored(evs[k].Type, 1, data[k]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkFold folds the workload's events through a fresh agreements
// projection and asks for every agreement's state (the replay's fold).
func BenchmarkFold(b *testing.B) {
	evs := workloadEvents(benchEvents(b))
	b.ReportAllocs()
	for b.Loop() {
		p := projections.NewAgreements(nil)
		for i := range evs {
			if err := p.Apply(&evs[i]); err != nil {
				b.Fatal(err)
			}
		}
		p.At(projections.Cut{})
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// stores returns the backends to benchmark: SQLite, and PostgreSQL when the
// test server answers (each call gets a fresh database).
func stores(b *testing.B) map[string]func(b *testing.B) string {
	out := map[string]func(b *testing.B) string{
		"sqlite": func(b *testing.B) string { return "sqlite:" + filepath.Join(b.TempDir(), "bench.db") },
	}
	if os.Getenv("CI") == "true" || pgReachable() {
		out["postgres"] = func(b *testing.B) string { return pgtest.NewDatabase(b) }
	}
	return out
}

func pgReachable() bool {
	db, err := sql.Open("postgres", pgtest.ServerURL())
	if err != nil {
		return false
	}
	defer db.Close()
	return db.Ping() == nil
}

func open(b *testing.B, dsn string) store.Store {
	s, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkAppend runs the append workload (8 writers, batches of 1..10,
// expected versions) on a fresh log: one op is one event, so ns/op is the
// time per event with group commit.
func BenchmarkAppend(b *testing.B) {
	for name, dsn := range stores(b) {
		b.Run(name, func(b *testing.B) {
			s := open(b, dsn(b))
			p := bench.Params{Events: b.N, Streams: bench.DefaultStreams, Writers: bench.DefaultWriters, Batch: bench.DefaultBatch, Seed: 1}
			b.ResetTimer()
			st, err := bench.RunWriters(context.Background(), p, bench.NewWorkload(p.Streams, p.Seed), bench.LogTarget{Log: s}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(st.Events)/st.Elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(st.Events)/float64(st.Appends), "events/append")
		})
	}
}

// BenchmarkReplay reads a log of ACCORD_BENCH_EVENTS events, decodes it
// and folds it through the agreements projection; one op is one replay.
func BenchmarkReplay(b *testing.B) {
	n := benchEvents(b)
	for name, dsn := range stores(b) {
		b.Run(fmt.Sprintf("%s/events=%d", name, n), func(b *testing.B) {
			s := open(b, dsn(b))
			p := bench.Params{Events: n, Seed: 1}
			if _, err := bench.RunWriters(context.Background(), p, bench.NewWorkload(bench.DefaultStreams, 1), bench.LogTarget{Log: s}, nil); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				st, err := bench.Replay(context.Background(), s, events.NewCodec(), n)
				if err != nil || !st.OK {
					b.Fatalf("replay: %+v, %v", st, err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// TestIDs checks the ids of the workload against their documented form,
// and that they are unique per writer and across writers.
func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for w := range 3 {
		ids := bench.NewIDs(7, w)
		ref := rand.New(rand.NewPCG(7, uint64(w)+1<<32))
		for n := 1; n <= 1000; n++ {
			id := ids.Next(w)
			want := fmt.Sprintf("%08x-%04x-8000-8000-%012x", n, w, ref.Uint64()&(1<<48-1))
			if id != want {
				t.Fatalf("writer %d, id %d: %q, want %q", w, n, id, want)
			}
			if seen[id] {
				t.Fatalf("id %q twice", id)
			}
			seen[id] = true
		}
	}
}
