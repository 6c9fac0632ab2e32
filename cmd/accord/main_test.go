package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/pgtest"
)

// cli runs accord in-process and returns stdout, stderr and the exit code.
func cli(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(string) string { return "" },
		Now:    func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) },
		Codec:  events.NewCodec(),
	}
	code := m.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

// backends returns a fresh store DSN per backend for the test.
func backends(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "a.db") },
		"postgres": func(t *testing.T) string { return pgtest.NewDatabase(t) },
	}
}

const line1 = `{"type":"talks_opened","occurred_at":"2021-10","data":{"agreement":"gbr-jpn-raa","parties":["GBR","JPN"],"kind":"raa","title":"UK–Japan Reciprocal Access Agreement"},"source":{"publication":"GOV.UK","title":"UK and Japan open talks","date":"2021-10"},"confidence":"reported"}`
const line2 = `{"type":"agreed_in_principle","occurred_at":"2022-05-05","data":{"agreement":"gbr-jpn-raa"},"source":{"publication":"Ministry of Foreign Affairs of Japan","title":"Japan-UK Summit Meeting","date":"2022-05-05"},"confidence":"confirmed"}`
const badDateLine = `{"type":"agreement_signed","occurred_at":"2022-02-30","data":{"agreement":"gbr-jpn-raa"},"source":{"publication":"GOV.UK","title":"signed","date":"2023-01-11"},"confidence":"confirmed"}`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func countEvents(t *testing.T, db string) int {
	t.Helper()
	out, errs, code := cli(t, "", "--db", db, "log", "--output", "json")
	if code != 0 {
		t.Fatalf("log: exit %d: %s", code, errs)
	}
	var evs []events.WireEvent
	if err := json.Unmarshal([]byte(out), &evs); err != nil {
		t.Fatalf("log json: %v\n%s", err, out)
	}
	return len(evs)
}

func TestImportAcceptance(t *testing.T) {
	for name, newDB := range backends(t) {
		t.Run(name, func(t *testing.T) {
			db := newDB(t)
			good := writeFile(t, "good.jsonl", line1+"\n"+line2+"\n")

			// The same two-line file twice leaves exactly two events.
			for i := 0; i < 2; i++ {
				out, errs, code := cli(t, "", "--db", db, "import", good)
				if code != 0 {
					t.Fatalf("import %d: exit %d: %s", i, code, errs)
				}
				if i == 1 && !strings.Contains(out, "imported 0 events") {
					t.Errorf("second import: %s", out)
				}
			}
			if n := countEvents(t, db); n != 2 {
				t.Fatalf("after importing twice: %d events, want 2", n)
			}

			// A third line with an impossible date: non-zero, names line 3, nothing written.
			bad := writeFile(t, "bad.jsonl", strings.Replace(line1, "2021-10\"", "2021-11\"", 1)+"\n"+line2+"\n"+badDateLine+"\n")
			_, errs, code := cli(t, "", "--db", db, "import", bad)
			if code != 2 {
				t.Errorf("bad import exit %d, want 2", code)
			}
			if !strings.Contains(errs, "line 3") || !strings.Contains(errs, "occurred_at") || !strings.Contains(errs, "2022-02-30") {
				t.Errorf("bad import error does not name line 3 and the field: %s", errs)
			}
			if n := countEvents(t, db); n != 2 {
				t.Errorf("after a rejected import: %d events, want 2", n)
			}

			rejected := map[string]struct{ line, field string }{
				"unknown type":  {strings.Replace(line2, "agreed_in_principle", "agreed_in_principal", 1), "field type"},
				"missing field": {strings.Replace(line2, `"occurred_at":"2022-05-05",`, "", 1), "field occurred_at"},
				"data mismatch": {strings.Replace(line2, `"agreement":"gbr-jpn-raa"`, `"agreement":42`, 1), "field data.agreement"},
				"no parties":    {strings.Replace(line2, "gbr-jpn-raa", "gbr-jpn-xyz", 1), "data.parties"},
			}
			for what, tc := range rejected {
				p := writeFile(t, "r.jsonl", tc.line+"\n")
				_, errs, code := cli(t, "", "--db", db, "import", p)
				if code == 0 || !strings.Contains(errs, tc.field) {
					t.Errorf("%s: exit %d, error %q does not name %q", what, code, errs, tc.field)
				}
			}
			if n := countEvents(t, db); n != 2 {
				t.Errorf("after rejected imports: %d events, want 2", n)
			}
		})
	}
}

func TestBundledLogAcceptance(t *testing.T) {
	for name, newDB := range backends(t) {
		t.Run(name, func(t *testing.T) {
			db := newDB(t)
			if _, errs, code := cli(t, "", "--db", db, "import", "--bundled"); code != 0 {
				t.Fatalf("import --bundled: exit %d: %s", code, errs)
			}
			out, errs, code := cli(t, "", "--db", db, "log", "--stream", "agreement/gbr-jpn-raa", "--output", "json")
			if code != 0 {
				t.Fatalf("log: exit %d: %s", code, errs)
			}
			var evs []events.WireEvent
			if err := json.Unmarshal([]byte(out), &evs); err != nil {
				t.Fatal(err)
			}
			if len(evs) < 5 {
				t.Fatalf("gbr-jpn-raa has %d events", len(evs))
			}
			types := map[string]bool{}
			for i, e := range evs {
				if e.Version != int64(i+1) {
					t.Errorf("event %d has version %d", i, e.Version)
				}
				if e.Source == nil || e.Source.Publication == "" {
					t.Errorf("event %d has no source", i)
				}
				types[e.Type] = true
			}
			for _, want := range []string{"agreed_in_principle", "agreement_signed", "entered_into_force"} {
				if !types[want] {
					t.Errorf("gbr-jpn-raa lacks %s", want)
				}
			}
			// Importing the bundled history again changes nothing.
			n := countEvents(t, db)
			cli(t, "", "--db", db, "import", "--bundled")
			if m := countEvents(t, db); m != n {
				t.Errorf("re-import: %d events, was %d", m, n)
			}
		})
	}
}

func TestDemoNamesTheAgreement(t *testing.T) {
	out, errs, code := cli(t, "", "demo")
	if code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "gbr-jpn-raa") {
		t.Errorf("demo output does not name gbr-jpn-raa:\n%s", out)
	}
}

func TestAppendAndConflict(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	args := []string{"--db", db, "append", "--type", "talks_opened", "--occurred-at", "2021-10",
		"--data", `{"agreement":"gbr-jpn-raa","parties":["GBR","JPN"]}`, "--source-publication", "GOV.UK",
		"--source-title", "talks", "--source-date", "2021-10", "--confidence", "reported", "--expected-version", "0"}
	if out, errs, code := cli(t, "", args...); code != 0 || !strings.Contains(out, "version 1") {
		t.Fatalf("append: exit %d: %s %s", code, out, errs)
	}
	// Same content again: a no-op, not a conflict (the id is derived from content).
	if out, _, code := cli(t, "", args...); code != 0 || !strings.Contains(out, "already in the log") {
		t.Errorf("repeat append: exit %d: %s", code, out)
	}
	// A different event expecting a new stream conflicts.
	_, errs, code := cli(t, line2, "--db", db, "append", "--expected-version", "0")
	if code != 3 || !strings.Contains(errs, "expected version 0") || !strings.Contains(errs, "actual version 1") {
		t.Errorf("conflict: exit %d: %s", code, errs)
	}
	// From stdin with the right version.
	if _, errs, code := cli(t, line2, "--db", db, "append", "--expected-version", "1"); code != 0 {
		t.Errorf("stdin append: exit %d: %s", code, errs)
	}
	// Bad flags are invalid input (exit 2).
	if _, _, code := cli(t, "", "--db", db, "log", "--from", "2022-13-01"); code != 2 {
		t.Errorf("bad --from: exit %d", code)
	}
	if _, _, code := cli(t, "", "--db", db, "log", "--bogus"); code != 2 {
		t.Errorf("unknown flag: exit %d", code)
	}
}
