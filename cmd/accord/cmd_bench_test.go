package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/store/pgtest"
)

// TestBenchAcceptance runs the acceptance command of `accord bench` at a
// small size: one JSON line per phase with the fields of the issue, the
// compared stores first, 0 missed and 0 duplicated in the tail phase.
func TestBenchAcceptance(t *testing.T) {
	dbs := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "b.db")}
	if pgReachable(t) {
		dbs["postgres"] = pgtest.ServerURL()
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := cli(t, "", "bench", "--db", db, "--phase", "append,replay,tail", "--output", "json",
				"--events", "800", "--streams", "20", "--writers", "4", "--batch", "5", "--seed", "3")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			var phases []string
			byPhase := map[string]map[string]any{}
			for _, l := range lines {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("not a JSON line: %q", l)
				}
				p, _ := m["phase"].(string)
				phases = append(phases, p)
				byPhase[p] = m
			}
			if strings.Join(phases, ",") != "append-plain,append-watermill,append,replay,tail" {
				t.Fatalf("phases %v", phases)
			}
			need := map[string][]string{
				"append":       {"conflicts", "p50_ms", "p99_ms", "speedup_vs_plain"},
				"append-plain": {"conflicts", "p50_ms", "p99_ms"},
				"replay":       {"ok"},
				"tail":         {"missed", "duplicated", "lag_p99_ms"},
			}
			if name == "postgres" {
				need["append-watermill"] = []string{"conflicts", "p50_ms", "p99_ms"}
				need["append"] = append(need["append"], "speedup_vs_watermill")
			}
			for p, fields := range need {
				m := byPhase[p]
				for _, f := range append([]string{"events", "seconds", "events_per_s"}, fields...) {
					if _, ok := m[f]; !ok {
						t.Errorf("%s: no %s in %v", p, f, m)
					}
				}
				if e, ok := m["error"]; ok {
					t.Errorf("%s: error %v", p, e)
				}
			}
			if byPhase["replay"]["ok"] != true || byPhase["tail"]["missed"] != 0.0 || byPhase["tail"]["duplicated"] != 0.0 ||
				byPhase["append"]["events"] != 800.0 {
				t.Errorf("results: %v", byPhase)
			}
		})
	}
	if _, errOut, code := cli(t, "", "bench", "--db", dbs["sqlite"], "--phase", "append,bogus"); code != 2 || !strings.Contains(errOut, "bogus") {
		t.Errorf("unknown phase: exit %d, %q", code, errOut)
	}
	if _, _, code := cli(t, "", "bench", "--db", dbs["sqlite"], "--events", "0"); code != 2 {
		t.Errorf("--events 0: exit %d, want 2", code)
	}
}

// pgReachable reports whether the test server answers; with CI=true it
// must (pgtest.Require fails the test otherwise).
func pgReachable(t *testing.T) bool {
	ok := false
	t.Run("pg", func(t *testing.T) {
		pgtest.Require(t)
		ok = true
	})
	return ok
}
