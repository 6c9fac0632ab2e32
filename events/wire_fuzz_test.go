package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
)

// Fuzz targets for the event decoder and validator (ParseWire) and the JSON
// lines reader (ReadLines). Run one with, e.g.,
//
//	go test ./events -run '^$' -fuzz '^FuzzParseWire$' -fuzztime 10m -parallel 1
//
// Plain `go test` runs the seed corpus: the lines below, the bundled history,
// every file of testdata/bad, and the regression inputs in testdata/fuzz.

// fuzzSeeds returns JSON lines to start from: valid events of many types
// (the bundled history), the malformed corpus and a few hand-made edge cases.
func fuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	var seeds [][]byte
	for line := range bytes.SplitSeq(dataset.HistoryJSONL(), []byte("\n")) {
		if line = bytes.TrimSpace(line); len(line) > 0 && line[0] != '#' {
			seeds = append(seeds, line)
		}
	}
	// A sample of the history is enough; the fuzzer mutates from there.
	if len(seeds) > 40 {
		step := len(seeds) / 40
		var sample [][]byte
		for i := 0; i < len(seeds); i += step {
			sample = append(sample, seeds[i])
		}
		seeds = sample
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "*", "*"))
	for _, p := range files {
		if strings.HasSuffix(p, ".want") {
			continue
		}
		if b, err := os.ReadFile(p); err == nil && len(b) < 4096 {
			seeds = append(seeds, b)
		}
	}
	seeds = append(seeds,
		[]byte(goodLine),
		[]byte(`{}`),
		[]byte(`null`),
		[]byte(`[]`),
		[]byte(`{"type":"leadership_changed","occurred_at":"2022-10-25","reported_at":"2022-10-25T10:00:00Z","data":{"country":"GBR","office":"prime_minister","to":"Rishi Sunak","from":"Liz Truss"},"source":{"publication":"BBC","url":"https://www.bbc.co.uk/news","date":"2022-10"},"confidence":"confirmed","analyst":"a","correlation_id":"c-1","causation_id":"c:2"}`),
		[]byte(`{"type":"event_corrected","stream":"agreement/gbr-jpn-raa","occurred_at":"2023","data":{"target":"x-1","occurred_at":"2023-01-11"},"source":{"publication":"p","title":"t","date":"2023"},"confidence":"rumoured"}`),
		[]byte(`{"type":"political_event","occurred_at":"2022-05-05","data":{"country":"JPN","cameo":"036","goldstein":-1e308},"source":{"publication":"p","title":"t","date":"2022"},"confidence":"reported"}`),
	)
	return seeds
}

// checkInvalid fails unless err is an ErrInvalid *FieldError with a
// non-empty problem: bad input must always be reported as the user's error
// (exit code 2, HTTP 400), never as an internal one.
func checkInvalid(t *testing.T, err error, input []byte) {
	t.Helper()
	if !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("error is not ErrInvalid: %v\ninput: %q", err, input)
	}
	if k := events.KindOf(err); k.ExitCode() != 2 || k.HTTPStatus() != 400 {
		t.Fatalf("error kind %s maps to exit %d / HTTP %d", k, k.ExitCode(), k.HTTPStatus())
	}
	var fe *events.FieldError
	if !errors.As(err, &fe) || fe.Problem == "" {
		t.Fatalf("error is not a *FieldError with a problem: %T %v\ninput: %q", err, err, input)
	}
}

// FuzzParseWire: for any input, ParseWire either returns an ErrInvalid
// field error, or a valid, normalized event whose wire form (ToWire, as
// `accord log --output json` and exports write it) parses back to the very
// same event, with the same id, and validates again.
func FuzzParseWire(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	c := events.NewCodec()
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := events.ParseWire(c, line)
		if err != nil {
			checkInvalid(t, err, line)
			return
		}
		if e.ID == "" || e.Stream == "" || e.Type == "" || e.Data == nil || e.OccurredAt.IsZero() || e.ReportedAt.IsZero() {
			t.Fatalf("accepted event is not normalized: %+v", e)
		}
		if err := events.Validate(&e); err != nil {
			t.Fatalf("accepted event does not validate: %v", err)
		}
		w, err := events.ToWire(c, &e)
		if err != nil {
			t.Fatalf("ToWire: %v", err)
		}
		b := wireBytes(t, c, &e)
		e2, err := events.ParseWire(c, b)
		if err != nil {
			t.Fatalf("re-encoded event does not parse: %v\ninput:      %q\nre-encoded: %s", err, line, b)
		}
		// The same event: equal wire forms (an empty list and no list are
		// the same value), with reflect.DeepEqual for the rest.
		if b2 := wireBytes(t, c, &e2); !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the event:\n got %s\nwant %s\ninput: %q", b2, b, line)
		}
		e.Data, e2.Data = nil, nil
		if !reflect.DeepEqual(e, e2) {
			t.Fatalf("round trip changed the envelope:\n got %#v\nwant %#v\ninput:      %q\nre-encoded: %s", e2, e, line, b)
		}
		// The derived id depends on the content only, so the re-encoded
		// event without its id gets the same one back.
		w.ID = ""
		b, _ = json.Marshal(w)
		e3, err := events.ParseWire(c, b)
		if err != nil {
			t.Fatalf("re-encoded event without its id does not parse: %v\n%s", err, b)
		}
		if d, _ := events.DeriveID(c, &e3); e3.ID != d {
			t.Fatalf("derived id %s, DeriveID says %s", e3.ID, d)
		}
	})
}

func wireBytes(t *testing.T, c *events.Codec, e *events.Event) []byte {
	t.Helper()
	w, err := events.ToWire(c, e)
	if err != nil {
		t.Fatalf("ToWire: %v", err)
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatalf("marshal wire: %v", err)
	}
	return b
}

// FuzzReadLines: ReadLines accounts for every line that is not blank or a
// comment (an event or an error, in input order), every error is ErrInvalid
// and names its line, and the events are exactly what ParseWire gives for
// their lines.
func FuzzReadLines(f *testing.F) {
	seeds := fuzzSeeds(f)
	for i, s := range seeds {
		f.Add(s)
		if i+1 < len(seeds) {
			f.Add(bytes.Join([][]byte{s, []byte("# comment"), {}, seeds[i+1]}, []byte("\n")))
		}
	}
	f.Add([]byte("\n\n# only comments\n   \n"))
	f.Add([]byte("\r\n" + goodLine + "\r\n"))
	c := events.NewCodec()
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, errs := events.ReadLines(c, data, 0)
		// ReadLines skips a BOM; want holds the 1-based numbers of the
		// lines that count.
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		var want []int
		for i, line := range bytes.Split(data, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			want = append(want, i+1)
		}
		if len(evs)+len(errs) != len(want) {
			t.Fatalf("%d events + %d errors for %d lines", len(evs), len(errs), len(want))
		}
		lines := bytes.Split(data, []byte("\n"))
		ei := 0
		for _, err := range errs {
			checkInvalid(t, err, data)
			var fe *events.FieldError
			errors.As(err, &fe)
			if fe.Line < 1 || fe.Line > len(lines) {
				t.Fatalf("error names line %d of %d: %v", fe.Line, len(lines), err)
			}
		}
		for _, n := range want {
			e, err := events.ParseWire(c, bytes.TrimSpace(lines[n-1]))
			if err != nil {
				continue
			}
			if ei >= len(evs) {
				t.Fatalf("line %d parses alone but ReadLines returned only %d events", n, len(evs))
			}
			if !reflect.DeepEqual(e, evs[ei]) {
				t.Fatalf("line %d: ReadLines and ParseWire disagree", n)
			}
			ei++
		}
		if ei != len(evs) {
			t.Fatalf("ReadLines returned %d events, ParseWire accepts %d lines", len(evs), ei)
		}
		// With a limit, ReadLines stops at that many errors.
		if len(errs) > 1 {
			if _, lim := events.ReadLines(c, data, 1); len(lim) != 1 {
				t.Fatalf("max=1 gave %d errors", len(lim))
			}
		}
	})
}

// FuzzParseDate: a date that parses prints in a form that parses back to
// itself, and JSON round-trips it.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2022", "2022-05", "2022-05-31", "2022-02-30", "2022-13", "0000", "9999-12-31", "2022-10-25T23:30:00-05:00", "", "20x2", "-001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := events.ParseDate(s)
		if err != nil {
			return
		}
		if d.IsZero() {
			t.Fatalf("ParseDate(%q) gave the zero date without an error", s)
		}
		d2, err := events.ParseDate(d.String())
		if err != nil || d2 != d {
			t.Fatalf("ParseDate(%q) = %v; its String %q parses to %v, %v", s, d, d.String(), d2, err)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("marshal %v: %v", d, err)
		}
		var d3 events.Date
		if err := json.Unmarshal(b, &d3); err != nil || d3 != d {
			t.Fatalf("JSON round trip of %v: %s -> %v, %v", d, b, d3, err)
		}
	})
}
