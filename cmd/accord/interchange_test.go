package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/accord-dev/accord/events"
)

func logEvents(t *testing.T, db string, args ...string) []events.WireEvent {
	t.Helper()
	out, errs, code := cli(t, "", append([]string{"--db", db, "log", "--output", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("log: %s", errs)
	}
	var evs []events.WireEvent
	jsonOf(t, out, &evs)
	return evs
}

func TestImportPLOVER(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "p.db")
	sample := filepath.Join("..", "..", "interchange", "testdata", "polecat_sample.jsonl")
	// The sample has bad records: by default nothing is imported.
	out, errs, code := cli(t, "", "--db", db, "import", "--format", "plover", sample)
	if code != 2 || !strings.Contains(errs, "line") || !strings.Contains(out, "generic") {
		t.Fatalf("default import of a file with bad records: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if n := len(logEvents(t, db)); n != 0 {
		t.Fatalf("%d events written by a rejected import", n)
	}
	// --skip-invalid imports the good records and counts every outcome.
	out, errs, code = cli(t, "", "--db", db, "import", "--format", "plover", "--skip-invalid", sample)
	if code != 0 {
		t.Fatalf("skip-invalid import: exit %d: %s", code, errs)
	}
	for _, want := range []string{"mapped", "generic", "bad", "skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	evs := logEvents(t, db)
	types := map[string]int{}
	for _, e := range evs {
		types[e.Type]++
	}
	if types["political_event"] == 0 || types["agreement_signed"] == 0 || len(types) < 4 {
		t.Errorf("imported types: %v", types)
	}
}

func TestImportCAMEOSignature(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "c.db")
	csv := "SQLDATE,Actor1Code,Actor1CountryCode,Actor2Code,Actor2CountryCode,EventCode,GoldsteinScale,SOURCEURL\n" +
		"20230111,JPNGOV,JPN,GBRGOV,GBR,057,8.0,https://www.example.gov.uk/news/uk-and-japan-sign-reciprocal-access-agreement\n"
	p := writeFile(t, "sign.csv", csv)
	if _, errs, code := cli(t, "", "--db", db, "import", "--format", "cameo-csv", p); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	evs := logEvents(t, db)
	if len(evs) != 1 || evs[0].Type != "agreement_signed" || evs[0].OccurredAt != "2023-01-11" || !strings.HasPrefix(evs[0].Stream, "agreement/gbr-jpn-") {
		t.Fatalf("057 Japan–UK row became %+v", evs)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	src := "sqlite:" + filepath.Join(t.TempDir(), "src.db")
	if _, errs, code := cli(t, "", "--db", src, "import", "--bundled"); code != 0 {
		t.Fatal(errs)
	}
	want := logEvents(t, src)
	for _, format := range []string{"plover", "cameo-csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "export."+format)
			if _, errs, code := cli(t, "", "--db", src, "export", "--format", format, "--out", file); code != 0 {
				t.Fatalf("export: %s", errs)
			}
			if st, err := os.Stat(file); err != nil || st.Size() == 0 {
				t.Fatalf("export file: %v", err)
			}
			dst := "sqlite:" + filepath.Join(t.TempDir(), "dst.db")
			args := []string{"--db", dst, "import", file}
			if format != "jsonl" {
				args = append(args, "--format", format)
			}
			if _, errs, code := cli(t, "", args...); code != 0 {
				t.Fatalf("import: %s", errs)
			}
			got := logEvents(t, dst)
			key := func(e events.WireEvent) string {
				d, _ := json.Marshal(e.Data)
				return strings.Join([]string{e.ID, e.Type, e.Stream, e.OccurredAt, e.ReportedAt, e.Confidence, string(d)}, "|")
			}
			var a, b []string
			for _, e := range want {
				a = append(a, key(e))
			}
			for _, e := range got {
				b = append(b, key(e))
			}
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) {
				t.Errorf("round trip through %s changed the events: %d vs %d", format, len(a), len(b))
				for i := range min(len(a), len(b)) {
					if a[i] != b[i] {
						t.Errorf("first difference:\n  %s\n  %s", a[i], b[i])
						break
					}
				}
			}
		})
	}
}
