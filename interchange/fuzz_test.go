package interchange_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/interchange"
)

// Fuzz targets for the import parsers. Run one with, e.g.,
//
//	go test ./interchange -run '^$' -fuzz '^FuzzReadPLOVER$' -fuzztime 10m -parallel 1
//
// Plain `go test` runs the seed corpus: the sample files, the malformed
// corpus in testdata/bad and the regression inputs in testdata/fuzz.

// seedFiles adds the sample files and the bad corpus of a format as seeds.
func seedFiles(f *testing.F, patterns ...string) {
	f.Helper()
	for _, pat := range patterns {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if strings.HasSuffix(p, ".want") {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
			// Each record alone too: short inputs mutate better.
			lines := bytes.Split(b, []byte("\n"))
			for i, l := range lines {
				if i > 6 {
					break
				}
				if strings.HasSuffix(p, "csv") || strings.HasSuffix(p, "tsv") {
					if i > 0 {
						f.Add(append(append(append([]byte{}, lines[0]...), '\n'), l...))
					}
				} else if len(l) > 0 {
					f.Add(l)
				}
			}
		}
	}
}

// checkResult asserts what holds for any input: Read fails only with
// ErrInvalid, every record is counted once under one outcome, every bad
// record says where and why, and every event is valid, normalized and has
// a unique id. Then, when there are events, an export of them in format f
// reads back to the same events, all restored.
func checkResult(t *testing.T, c *events.Codec, f interchange.Format, data []byte) {
	res, err := interchange.Read(c, f, bytes.NewReader(data), interchange.ReadOptions{})
	if err != nil {
		if !errors.Is(err, events.ErrInvalid) {
			t.Fatalf("Read error is not ErrInvalid: %v", err)
		}
		return
	}
	total := 0
	for k, n := range res.Counts {
		if n < 0 {
			t.Fatalf("count %s = %d", k, n)
		}
		total += n
	}
	if total != res.Records {
		t.Fatalf("counts %v add up to %d, not %d records", res.Counts, total, res.Records)
	}
	if len(res.Bad) != res.Counts[interchange.OutcomeBad] {
		t.Fatalf("%d bad records, count says %d", len(res.Bad), res.Counts[interchange.OutcomeBad])
	}
	if want := res.Records - res.Counts[interchange.OutcomeBad] - res.Counts[interchange.OutcomeDuplicate]; len(res.Events) != want {
		t.Fatalf("%d events for %d records that are neither bad nor duplicates (%v)", len(res.Events), want, res.Counts)
	}
	for _, b := range res.Bad {
		if b.Line < 1 || b.Reason == "" {
			t.Fatalf("bad record without line or reason: %+v", b)
		}
	}
	if err := res.Err(); (err != nil) != (len(res.Bad) > 0) || (err != nil && !errors.Is(err, events.ErrInvalid)) {
		t.Fatalf("Err() = %v with %d bad records", err, len(res.Bad))
	}
	ids := map[string]bool{}
	for i := range res.Events {
		e := &res.Events[i]
		if err := events.Validate(e); err != nil {
			t.Fatalf("event %d (%s) does not validate: %v", i, e.Type, err)
		}
		if e.ID == "" || e.Stream == "" || ids[e.ID] {
			t.Fatalf("event %d: id %q stream %q (duplicate id: %v)", i, e.ID, e.Stream, ids[e.ID])
		}
		ids[e.ID] = true
		// Every event survives the wire format that import uses.
		w, err := events.ToWire(c, e)
		if err != nil {
			t.Fatalf("event %d: ToWire: %v", i, err)
		}
		b, _ := json.Marshal(w)
		if _, err := events.ParseWire(c, b); err != nil {
			t.Fatalf("event %d does not parse back from its wire form: %v\n%s", i, err, b)
		}
	}
	if len(res.Events) == 0 {
		return
	}
	var out bytes.Buffer
	if err := interchange.Write(c, f, &out, res.Events); err != nil {
		t.Fatalf("Write: %v", err)
	}
	back, err := interchange.Read(c, f, bytes.NewReader(out.Bytes()), interchange.ReadOptions{})
	if err != nil {
		t.Fatalf("reading the export back: %v", err)
	}
	if len(back.Bad) > 0 || len(back.Events) != len(res.Events) {
		t.Fatalf("export read back: %d events of %d, bad: %v\nexport:\n%s", len(back.Events), len(res.Events), back.Bad, out.Bytes())
	}
	for i := range back.Events {
		if got, want := wireJSON(t, c, &back.Events[i]), wireJSON(t, c, &res.Events[i]); got != want {
			t.Fatalf("event %d changed in an export round trip:\n got %s\nwant %s", i, got, want)
		}
	}
}

func wireJSON(t *testing.T, c *events.Codec, e *events.Event) string {
	t.Helper()
	w, err := events.ToWire(c, e)
	if err != nil {
		t.Fatal(err)
	}
	w.Version, w.Position, w.RecordedAt = 0, 0, nil
	b, _ := json.Marshal(w)
	return string(b)
}

// FuzzReadPLOVER fuzzes the PLOVER (JSON lines) reader; see checkResult.
func FuzzReadPLOVER(f *testing.F) {
	seedFiles(f, "testdata/*.jsonl", "testdata/bad/plover/*")
	f.Add([]byte(`{"id":"x","date":"2022-05","actor":"JPN","recipient":["GBR"],"event":"AGREE","text":"agreed to sign"}`))
	f.Add([]byte(`{"id":"x","date":"2022","actor":{"code":"JPNGOV"},"event":"RETREAT","mode":"resign","text":"the prime minister resigned"}`))
	c := events.NewCodec()
	f.Fuzz(func(t *testing.T, data []byte) {
		checkResult(t, c, interchange.PLOVER, data)
	})
}

// FuzzReadCAMEOCSV fuzzes the CAMEO CSV/TSV reader (ICEWS and GDELT
// layouts); see checkResult.
func FuzzReadCAMEOCSV(f *testing.F) {
	seedFiles(f, "testdata/*.csv", "testdata/*.tsv", "testdata/bad/cameo/*")
	f.Add([]byte("Event Date,Source Country,Target Country,CAMEO Code,Event Text\n2023-01-11,Japan,United Kingdom,057,Sign formal agreement\n"))
	f.Add([]byte("SQLDATE\tActor1CountryCode\tActor2CountryCode\tEventCode\n20230111\tJPN\tGBR\t036\n"))
	c := events.NewCodec()
	f.Fuzz(func(t *testing.T, data []byte) {
		checkResult(t, c, interchange.CAMEOCSV, data)
	})
}
