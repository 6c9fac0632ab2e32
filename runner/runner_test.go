package runner_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/readmodel"
	"github.com/accord-dev/accord/readmodel/rmtest"
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
			d := rmtest.Dump(t, s)
			if len(d["rm_agreements"]) < 25 || len(d["rm_network_nodes"]) < 5 || len(d["rm_timeline"]) < 150 {
				t.Fatalf("read models look empty: %d agreements, %d nodes, %d timeline rows", len(d["rm_agreements"]), len(d["rm_network_nodes"]), len(d["rm_timeline"]))
			}
			dumps[backend] = d
		})
	}
	if dumps["sqlite"] != nil && dumps["postgres"] != nil {
		rmtest.Diff(t, "sqlite vs postgres", dumps["sqlite"], dumps["postgres"])
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
	want := rmtest.Dump(t, clean)

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
	rmtest.Diff(t, "after injected failures", want, rmtest.Dump(t, s))
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
	want := rmtest.Dump(t, clean)

	s := openStore(t, "sqlite")
	third := len(evs) / 3
	for _, part := range [][]events.Event{evs[:third], evs[third : 2*third], evs[2*third:]} {
		importEvents(t, s, part)
		replay(t, s, 13, nil)
	}
	rmtest.Diff(t, "incremental vs rebuild", want, rmtest.Dump(t, s))
}
