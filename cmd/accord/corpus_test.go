package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/internal/badcorpus"
	"github.com/accord-dev/accord/store"
)

// cliCase is one file of testdata/bad/cli: a command line (without --db,
// which the test puts first; a case may give its own, which wins), what it
// reads on stdin, and the exit code and error substrings it must produce.
type cliCase struct {
	Args  []string `json:"args"`
	Stdin string   `json:"stdin"`
	Exit  int      `json:"exit"`
	Error []string `json:"error"`
}

func loadCLICases(t *testing.T) map[string]cliCase {
	t.Helper()
	files, err := filepath.Glob("testdata/bad/cli/*.json")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]cliCase{}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var c cliCase
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(c.Args) == 0 || c.Exit == 0 || len(c.Error) == 0 {
			t.Fatalf("%s: a CLI case needs args, a non-zero exit and error substrings", p)
		}
		out["cli/"+filepath.Base(p)] = c
	}
	return out
}

// TestBadInputCorpus runs every malformed input of the corpora through the
// CLI, in-process, against a store holding the bundled history, on SQLite
// and PostgreSQL:
//
//   - testdata/bad/cli: bad command lines (flags, arguments, stdin);
//   - testdata/bad/import: files that only the import as a whole rejects;
//   - testdata/bad/scenario: scenario files, as `accord scenario save`
//     (or `scenario run` for run-*.yaml);
//   - events/testdata/bad/jsonl: `accord import FILE`;
//   - events/testdata/bad/http: request bodies, as `accord append` on stdin;
//   - interchange/testdata/bad: `accord import --format plover|cameo-csv`.
//
// Each must exit with the expected code, print an error naming the problem,
// and write nothing: the log's head is unchanged afterwards.
func TestBadInputCorpus(t *testing.T) {
	type input struct {
		name  string
		args  []string
		stdin string
		exit  int
		want  []string
	}
	var inputs []input
	for name, c := range loadCLICases(t) {
		inputs = append(inputs, input{name, c.Args, c.Stdin, c.Exit, c.Error})
	}
	load := func(dir string) []badcorpus.Case {
		cases, err := badcorpus.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return cases
	}
	for _, c := range load("testdata/bad/import") {
		inputs = append(inputs, input{"import/" + c.Name, []string{"import", c.Path}, "", c.Want.Exit, c.Want.Errors})
	}
	// Scenario files: saved (which checks them and would append them to
	// the log), or, for "run-" files whose problem shows only when the
	// model runs, run.
	for _, c := range load("testdata/bad/scenario") {
		verb := "save"
		if strings.HasPrefix(filepath.Base(c.Name), "run-") {
			verb = "run"
		}
		inputs = append(inputs, input{"scenario/" + c.Name, []string{"scenario", verb, c.Path}, "", c.Want.Exit, c.Want.Errors})
	}
	// The CLI words an empty stdin its own way.
	cliWording := map[string][]string{
		"http/empty-body.json":      {"give the event with --type"},
		"http/whitespace-body.json": {"give the event with --type"},
	}
	for _, c := range load("../../events/testdata/bad") {
		switch {
		case strings.HasPrefix(c.Name, "jsonl/"):
			inputs = append(inputs, input{"events/" + c.Name, []string{"import", c.Path}, "", c.Want.Exit, c.Want.Errors})
		case strings.HasPrefix(c.Name, "http/"):
			want := c.Want.Errors
			if w, ok := cliWording[c.Name]; ok {
				want = w
			}
			inputs = append(inputs, input{"events/" + c.Name, []string{"append"}, string(c.Input), c.Want.Exit, want})
		}
	}
	for _, c := range load("../../interchange/testdata/bad") {
		format := "plover"
		if strings.HasPrefix(c.Name, "cameo/") {
			format = "cameo-csv"
		}
		inputs = append(inputs, input{"interchange/" + c.Name, []string{"import", "--format", format, c.Path}, "", c.Want.Exit, c.Want.Errors})
	}
	slices.SortFunc(inputs, func(a, b input) int { return strings.Compare(a.name, b.name) })
	if len(inputs) < 40 {
		t.Fatalf("%d bad inputs; want at least 40", len(inputs))
	}

	for backend, newDB := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			db := newDB(t)
			if _, errs, code := cli(t, "", "--db", db, "import", "--bundled"); code != 0 {
				t.Fatalf("import --bundled: exit %d: %s", code, errs)
			}
			s, err := store.Open(context.Background(), db, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			head := func() int64 {
				h, err := s.Head(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			before := head()
			for _, in := range inputs {
				t.Run(in.name, func(t *testing.T) {
					args := append([]string{"--db", db}, in.args...)
					out, errs, code := cli(t, in.stdin, args...)
					if code != in.exit {
						t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, in.exit, out, errs)
					}
					for _, w := range in.want {
						if !strings.Contains(errs, w) {
							t.Errorf("stderr does not name %q:\n%s", w, errs)
						}
					}
					if !strings.HasPrefix(errs, "accord: ") {
						t.Errorf("stderr is not one 'accord: ...' error: %q", errs)
					}
					if h := head(); h != before {
						t.Fatalf("the log's head moved from %d to %d: a bad input wrote events", before, h)
					}
				})
			}
			// The store still answers and holds exactly the bundled history.
			if n := countEvents(t, db); int64(n) != before {
				t.Errorf("%d events after the bad inputs, want %d", n, before)
			}
		})
	}
}

// TestBadInputErrorsAreInvalid checks the exit codes the corpus relies on:
// every kind of error has its documented code.
func TestBadInputErrorsAreInvalid(t *testing.T) {
	for k, want := range map[events.Kind]int{events.KindInvalid: 2, events.KindConflict: 3, events.KindNotFound: 4, events.KindUnavailable: 5, events.KindInternal: 1} {
		if got := k.ExitCode(); got != want {
			t.Errorf("%s exits %d, want %d", k, got, want)
		}
	}
}
