package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/bench"
	"github.com/accord-dev/accord/events"
)

func (m *Main) benchCommand(g *globalFlags) *cobra.Command {
	var (
		phases     string
		p          bench.Params
		seed       uint64
		compare    bool
		queries    int
		cpuprofile string
		memprofile string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure append, replay, tail and as-of throughput on a fresh database",
		Long: `Run accord's throughput benchmark on fresh databases and print one result per
phase (with --output json, one JSON line per phase: phase, events, seconds,
events_per_s and the phase's own fields).

--db names where the databases go: a postgres:// server URL (each run creates
databases with unique names on that server and drops them at the end) or a
SQLite path (the files go in a new directory next to it, removed at the end).

The append workload: --writers concurrent writers each repeatedly append a
batch of 1..--batch events (about 300 bytes of JSON data each) to a uniformly
chosen stream of --streams, with the expected version set to the version last
seen for that stream (the writers share what they have seen), re-reading and
retrying on a conflict, until --events events are in.

Phases (comma-separated, run in order):
  append            the workload on accord's log: conflicts, p50_ms, p99_ms,
                    and the writer's batches, events_per_batch, rewritten,
                    pre_reads; write_ms_per_batch (the writer's statement,
                    sent to answered) against cycle_ms_per_batch (the
                    phase's time per batch)
  append-plain      the same on a plain table with UNIQUE(stream, version),
                    one multi-row INSERT per append
  append-watermill  the same with watermill-sql's publisher (PostgreSQL)
  replay            read the whole log, decode every event and fold it through
                    the agreements projection: ok, rss_mb, live_heap_mb
  tail              one catch-up reader follows a fresh log while the writers
                    append: missed, duplicated, lag_p99_ms
  asof              one agreement's state at a random date as the server
                    answers it, from the projection it keeps current (after
                    a check of the log's head): p50_ms, p99_ms; and from the
                    store alone (read its streams, fold): store_p50_ms,
                    store_p99_ms
  branch            scenario branch creation: ns_per_branch, bytes_per_branch
  montecarlo        Monte Carlo forecast runs: runs_per_s

With --compare (the default), append-plain and append-watermill run before
append and the append line carries speedup_vs_plain and speedup_vs_watermill.
Every line also has client_cpu_us_per_event (this process) and, for a
PostgreSQL server on this machine, server_cpu_us_per_event (its backends):
costs that do not depend on what else the machine is running. Before each
phase, PostgreSQL is asked for a CHECKPOINT (when the user may), so that one
phase's dirty pages do not slow the next.`,
		Example: `  accord bench --db postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable --phase append,replay,tail --output json
  accord bench --db sqlite:/tmp/bench.db --phase append,replay,tail,asof --events 100000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			format := g.output
			if format != "table" && format != "json" {
				return fmt.Errorf("%w: --output %q: bench prints table or json", events.ErrInvalid, format)
			}
			list, err := bench.ParsePhases(phases)
			if err != nil {
				return err
			}
			p.Seed = seed
			if p.Seed == 0 {
				return fmt.Errorf("%w: --seed must not be 0", events.ErrInvalid)
			}
			if err := p.Validate(); err != nil {
				return err
			}
			if queries < 1 {
				return fmt.Errorf("%w: --queries %d must be 1 or more", events.ErrInvalid, queries)
			}
			dsn, err := m.dsn(g)
			if err != nil {
				return err
			}
			if cpuprofile != "" {
				f, err := os.Create(cpuprofile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			if memprofile != "" {
				// Sample an allocation every 4 KiB on average (the default
				// is every 512 KiB).
				runtime.MemProfileRate = 4096
				defer func() {
					if werr := writeHeapProfile(memprofile); werr != nil {
						fmt.Fprintf(m.Stderr, "accord: bench: %v\n", werr)
					}
				}()
			}
			cfg := bench.Config{Params: p, DB: dsn, Phases: list, Compare: compare, Queries: queries, Codec: m.Codec}
			if m.stderrIsTerminal {
				cfg.Progress = m.Stderr
			}
			out := newBenchWriter(m.Stdout, format)
			err = bench.Run(ctx, cfg, out.write)
			if ferr := out.flush(); err == nil {
				err = ferr
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&phases, "phase", "append,replay,tail", "phases to run, comma-separated: "+strings.Join(bench.Phases(), ", "))
	f.IntVar(&p.Events, "events", bench.DefaultEvents, "events to append (N)")
	f.IntVar(&p.Streams, "streams", bench.DefaultStreams, "streams to append to (S)")
	f.IntVar(&p.Writers, "writers", bench.DefaultWriters, "concurrent writers (W)")
	f.IntVar(&p.Batch, "batch", bench.DefaultBatch, "largest batch: each append has 1..B events (B)")
	f.Uint64Var(&seed, "seed", bench.DefaultSeed, "random seed (X)")
	f.BoolVar(&compare, "compare", true, "also run append-plain and append-watermill before append and report the speed-ups")
	f.IntVar(&queries, "queries", 1000, "as-of queries")
	f.StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the run to this file")
	f.StringVar(&memprofile, "memprofile", "", "write an allocation profile of the run to this file (go tool pprof -sample_index=alloc_space)")
	return cmd
}

// writeHeapProfile writes the heap profile (allocations since the start,
// and what is live) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// benchWriter prints bench results: JSON lines as they come, or a table at
// the end.
type benchWriter struct {
	w      io.Writer
	format string
	rows   []bench.Result
}

func newBenchWriter(w io.Writer, format string) *benchWriter {
	return &benchWriter{w: w, format: format}
}

func (b *benchWriter) write(r bench.Result) error {
	if b.format == "json" {
		enc := json.NewEncoder(b.w)
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	}
	b.rows = append(b.rows, r)
	return nil
}

func (b *benchWriter) flush() error {
	if b.format == "json" || len(b.rows) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(b.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tEVENTS\tSECONDS\tEVENTS/S\tDETAILS")
	for _, r := range b.rows {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.0f\t%s\n", r.Phase, r.Events, r.Seconds, r.EventsPerS, benchDetails(r))
	}
	return tw.Flush()
}

// benchDetails renders a result's phase fields as "name=value" pairs, in
// the order of its JSON form.
func benchDetails(r bench.Result) string {
	b, err := json.Marshal(r)
	if err != nil {
		return err.Error()
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var out []string
	if _, err := dec.Token(); err != nil { // {
		return err.Error()
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			break
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			break
		}
		switch k {
		case "phase", "events", "seconds", "events_per_s", "backend":
			continue
		}
		val := string(v)
		if u, err := strconv.Unquote(val); err == nil {
			val = u
		}
		out = append(out, fmt.Sprint(k)+"="+val)
	}
	return strings.Join(out, " ")
}
