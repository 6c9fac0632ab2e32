package runner_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/readmodel"
	"github.com/accord-dev/accord/runner"
	"github.com/accord-dev/accord/store"
	"github.com/accord-dev/accord/store/pgtest"
)

var clock = func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }

func openStore(t *testing.T, backend string) store.Store {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "rm.db")
	if backend == "postgres" {
		dsn = pgtest.NewDatabase(t)
	}
	s, err := store.Open(context.Background(), dsn, events.NewCodec())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := readmodel.Migrate(context.Background(), s.DB(), s.Backend()); err != nil {
		t.Fatal(err)
	}
	return s
}

func history(t *testing.T) []events.Event {
	t.Helper()
	evs, err := dataset.History(events.NewCodec())
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func importEvents(t *testing.T, s store.Store, evs []events.Event) {
	t.Helper()
	if _, err := s.Import(context.Background(), evs, nil); err != nil {
		t.Fatal(err)
	}
}

// replay runs every projection to the head with the given page size and
// commit hook, through the watermill runner.
func replay(t *testing.T, s store.Store, pageSize int, beforeCommit func(context.Context) error) []*readmodel.Projector {
	t.Helper()
	var ps []*readmodel.Projector
	for _, n := range readmodel.Names() {
		p, err := readmodel.NewProjector(readmodel.ProjectorConfig{Name: n, DB: s.DB(), Clock: clock, BeforeCommit: beforeCommit})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := runner.Run(ctx, runner.Config{Log: s, Projectors: ps, UntilHead: true, PageSize: pageSize, MaxRetries: 10}); err != nil {
		t.Fatal(err)
	}
	return ps
}

// dump returns every read-model table as sorted text rows, with values
// normalized across drivers (dates as YYYY-MM-DD, booleans as 0/1).
func dump(t *testing.T, s store.Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, n := range readmodel.Names() {
		for _, table := range readmodel.Tables(n) {
			rows, err := s.DB().Queryx("SELECT * FROM " + table)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				vals, err := rows.SliceScan()
				if err != nil {
					t.Fatal(err)
				}
				cells := make([]string, len(vals))
				for i, v := range vals {
					cells[i] = normalize(v)
				}
				out[table] = append(out[table], strings.Join(cells, "|"))
			}
			rows.Close()
			slices.Sort(out[table])
		}
	}
	return out
}

func normalize(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.Format("2006-01-02")
	case bool:
		if x {
			return "1"
		}
		return "0"
	case []byte:
		return string(x)
	case float64:
		return fmt.Sprintf("%.6f", x)
	}
	return fmt.Sprint(v)
}

func diffDumps(t *testing.T, what string, a, b map[string][]string) {
	t.Helper()
	for table, rows := range a {
		if !slices.Equal(rows, b[table]) {
			t.Errorf("%s: table %s differs:\n  %d rows: %.300v\n  %d rows: %.300v", what, table, len(rows), rows, len(b[table]), b[table])
		}
	}
	if len(a) != len(b) {
		t.Errorf("%s: %d tables vs %d", what, len(a), len(b))
	}
}

func TestReadModelsIdenticalOnBothBackends(t *testing.T) {
	evs := history(t)
	dumps := map[string]map[string][]string{}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			s := openStore(t, backend)
			importEvents(t, s, evs)
			ps := replay(t, s, 40, nil)
			head, _ := s.Head(context.Background())
			for _, p := range ps {
				if p.Position() != head {
					t.Errorf("%s at %d, head %d", p.Name(), p.Position(), head)
				}
			}
			d := dump(t, s)
			if len(d["rm_agreements"]) < 25 || len(d["rm_network_nodes"]) < 5 || len(d["rm_timeline"]) < 150 {
				t.Fatalf("read models look empty: %d agreements, %d nodes, %d timeline rows", len(d["rm_agreements"]), len(d["rm_network_nodes"]), len(d["rm_timeline"]))
			}
			dumps[backend] = d
		})
	}
	if dumps["sqlite"] != nil && dumps["postgres"] != nil {
		diffDumps(t, "sqlite vs postgres", dumps["sqlite"], dumps["postgres"])
	}
}

// TestFailureBeforeCommitNeitherDoubleAppliesNorSkips injects a failure
// into every third commit: the runner retries, and the tables end equal to
// a clean rebuild's.
func TestFailureBeforeCommitNeitherDoubleAppliesNorSkips(t *testing.T) {
	evs := history(t)
	clean := openStore(t, "sqlite")
	importEvents(t, clean, evs)
	replay(t, clean, 1000, nil)
	want := dump(t, clean)

	s := openStore(t, "sqlite")
	importEvents(t, s, evs)
	calls, failures := 0, 0
	replay(t, s, 7, func(context.Context) error {
		calls++
		if calls%3 == 0 {
			failures++
			return errors.New("injected failure before commit")
		}
		return nil
	})
	if failures == 0 {
		t.Fatal("no failure was injected")
	}
	diffDumps(t, "after injected failures", want, dump(t, s))
	cps, err := readmodel.Checkpoints(context.Background(), s.DB())
	if err != nil {
		t.Fatal(err)
	}
	for n, pos := range cps {
		if pos != int64(len(evs)) {
			t.Errorf("%s checkpoint %d, want %d", n, pos, len(evs))
		}
	}
}

// TestIncrementalEqualsRebuild imports the history in three parts, running
// the projections after each (as a restarted runner resuming from its
// checkpoints would), and compares with one clean rebuild.
func TestIncrementalEqualsRebuild(t *testing.T) {
	evs := history(t)
	clean := openStore(t, "sqlite")
	importEvents(t, clean, evs)
	replay(t, clean, 1000, nil)
	want := dump(t, clean)

	s := openStore(t, "sqlite")
	third := len(evs) / 3
	for _, part := range [][]events.Event{evs[:third], evs[third : 2*third], evs[2*third:]} {
		importEvents(t, s, part)
		replay(t, s, 13, nil)
	}
	diffDumps(t, "incremental vs rebuild", want, dump(t, s))
}
