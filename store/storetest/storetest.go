// Package storetest is the one conformance suite for events.Log
// implementations: every store backend runs Run in its tests.
//
// The suite checks the contract documented on events.Log: round trips of
// every field, versions and positions, optimistic concurrency, atomicity,
// idempotent retries, reads and paging, store-set RecordedAt, concurrent
// writers, and a catch-up torture test (many writers, one reader following
// the log; zero missed, zero duplicated). The size of the catch-up test is
// read from ACCORD_CATCHUP_EVENTS (default 5000).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

// EnvCatchUpEvents names the environment variable with the number of
// events the catch-up test appends.
const EnvCatchUpEvents = "ACCORD_CATCHUP_EVENTS"

// DefaultCatchUpEvents is the catch-up size when EnvCatchUpEvents is unset.
const DefaultCatchUpEvents = 5000

// Run runs the conformance suite as subtests of t. newLog must return an
// empty log for the subtest it is given, and arrange (with t.Cleanup) for
// it to be closed. The Import subtest runs when the log also has the
// Import method of store.Store, and is skipped otherwise.
func Run(t *testing.T, newLog func(t *testing.T) events.Log) {
	tests := []struct {
		name string
		fn   func(*testing.T, events.Log)
	}{
		{"RoundTrip", testRoundTrip},
		{"DerivedID", testDerivedID},
		{"VersionsAndPositions", testVersionsAndPositions},
		{"ExpectedVersion", testExpectedVersion},
		{"Conflict", testConflict},
		{"Invalid", testInvalid},
		{"Atomicity", testAtomicity},
		{"IdempotentRetry", testIdempotentRetry},
		{"PartialDuplicate", testPartialDuplicate},
		{"ReadStream", testReadStream},
		{"ReadAll", testReadAll},
		{"ScanAll", testScanAll},
		{"HeadAndStreamVersion", testHeadAndStreamVersion},
		{"RecordedAt", testRecordedAt},
		{"ConcurrentSameStream", testConcurrentSameStream},
		{"ConcurrentIdempotent", testConcurrentIdempotent},
		{"CatchUp", testCatchUp},
		{"Import", testImport},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newLog(t))
		})
	}
}

func mustAppend(t *testing.T, l events.Log, stream string, exp events.ExpectedVersion, evs []events.Event) events.AppendResult {
	t.Helper()
	res, err := l.Append(t.Context(), stream, exp, evs)
	if err != nil {
		t.Fatalf("Append(%s, %s, %d events): %v", stream, exp, len(evs), err)
	}
	if len(res.Positions) != len(evs) || len(res.Versions) != len(evs) {
		t.Fatalf("Append(%s): %d positions and %d versions for %d events", stream, len(res.Positions), len(res.Versions), len(evs))
	}
	return res
}

func mustReadAll(t *testing.T, l events.Log, after int64, limit int) []events.Event {
	t.Helper()
	evs, err := l.ReadAll(t.Context(), after, limit)
	if err != nil {
		t.Fatalf("ReadAll(%d, %d): %v", after, limit, err)
	}
	return evs
}

func mustReadStream(t *testing.T, l events.Log, stream string, from int64, limit int) []events.Event {
	t.Helper()
	evs, err := l.ReadStream(t.Context(), stream, from, limit)
	if err != nil {
		t.Fatalf("ReadStream(%s, %d, %d): %v", stream, from, limit, err)
	}
	return evs
}

func mustHead(t *testing.T, l events.Log) int64 {
	t.Helper()
	h, err := l.Head(t.Context())
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	return h
}

func mustStreamVersion(t *testing.T, l events.Log, stream string) int64 {
	t.Helper()
	v, err := l.StreamVersion(t.Context(), stream)
	if err != nil {
		t.Fatalf("StreamVersion(%s): %v", stream, err)
	}
	return v
}

// readEverything reads the whole log in pages.
func readEverything(t *testing.T, l events.Log) []events.Event {
	t.Helper()
	var all []events.Event
	var after int64
	for {
		page := mustReadAll(t, l, after, 1000)
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Position
	}
}

// sameEvent reports the differences between a stored event and what was
// appended (want has the store-set fields of the stored one, or zero).
func sameEvent(t *testing.T, got, want events.Event) {
	t.Helper()
	var diffs []string
	check := func(field string, ok bool, g, w any) {
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s: got %v, want %v", field, g, w))
		}
	}
	check("ID", got.ID == want.ID, got.ID, want.ID)
	check("Stream", got.Stream == want.Stream, got.Stream, want.Stream)
	check("Type", got.Type == want.Type, got.Type, want.Type)
	check("SchemaVersion", got.SchemaVersion == want.SchemaVersion, got.SchemaVersion, want.SchemaVersion)
	check("OccurredAt", sameDate(got.OccurredAt, want.OccurredAt), got.OccurredAt, want.OccurredAt)
	check("OccurredAt.Precision", got.OccurredAt.Precision == want.OccurredAt.Precision, got.OccurredAt.Precision, want.OccurredAt.Precision)
	check("ReportedAt", sameDate(got.ReportedAt, want.ReportedAt), got.ReportedAt, want.ReportedAt)
	check("Source.Publication", got.Source.Publication == want.Source.Publication, got.Source.Publication, want.Source.Publication)
	check("Source.Title", got.Source.Title == want.Source.Title, got.Source.Title, want.Source.Title)
	check("Source.URL", got.Source.URL == want.Source.URL, got.Source.URL, want.Source.URL)
	check("Source.Date", sameDate(got.Source.Date, want.Source.Date), got.Source.Date, want.Source.Date)
	check("Confidence", got.Confidence == want.Confidence, got.Confidence, want.Confidence)
	check("Analyst", got.Analyst == want.Analyst, got.Analyst, want.Analyst)
	check("CorrelationID", got.CorrelationID == want.CorrelationID, got.CorrelationID, want.CorrelationID)
	check("CausationID", got.CausationID == want.CausationID, got.CausationID, want.CausationID)
	check("Data", reflect.DeepEqual(got.Data, want.Data), fmt.Sprintf("%#v", got.Data), fmt.Sprintf("%#v", want.Data))
	if want.Version != 0 {
		check("Version", got.Version == want.Version, got.Version, want.Version)
	}
	if want.Position != 0 {
		check("Position", got.Position == want.Position, got.Position, want.Position)
	}
	if len(diffs) > 0 {
		t.Errorf("event %s (position %d) differs:\n  %s", want.ID, got.Position, strings.Join(diffs, "\n  "))
	}
}

// sameDate compares dates by value: the same first day (any location) and
// precision.
func sameDate(a, b events.Date) bool {
	return a.Precision == b.Precision && a.Day.Equal(b.Day) && (a.IsZero() || a.Day.Location() == time.UTC)
}

func normalized(t *testing.T, e events.Event) events.Event {
	t.Helper()
	if err := events.Normalize(events.NewCodec(), &e); err != nil {
		t.Fatalf("test event %s is invalid: %v", e.ID, err)
	}
	return e
}

func testRoundTrip(t *testing.T, l events.Log) {
	stream := AgreementStream("gbr-jpn-raa")
	goldstein, intensity := -4.5, 7.25
	full := []events.Event{{
		ID:            "round-trip-1",
		Stream:        stream,
		Type:          events.TypeAgreementSigned,
		SchemaVersion: 1,
		Data: &events.AgreementSigned{
			AgreementRef: events.AgreementRef{Agreement: "gbr-jpn-raa", Parties: []string{"GBR", "JPN"}, Kind: "raa", Title: "UK–Japan Reciprocal Access Agreement"},
			Location:     "Tokyo", Signatories: []string{"Rishi Sunak", "Fumio Kishida"},
		},
		OccurredAt: events.MustDate("2023-01"),
		ReportedAt: events.MustDate("2023-01-11"),
		Source: events.Source{Publication: "GOV.UK", Title: "UK and Japan sign \"landmark\" defence agreement",
			URL: "https://www.gov.uk/government/news/example?a=1&b=2", Date: events.MustDate("2023")},
		Confidence:    events.Rumoured,
		Analyst:       "Analyst Ñ. O'Brien",
		CorrelationID: "corr-42",
		CausationID:   "cause:41",
	}, {
		ID:     "round-trip-2",
		Stream: stream,
		Data: &events.ExpectationReported{Agreement: "gbr-jpn-raa", ExpectedType: events.TypeEnteredIntoForce,
			ExpectedBy: events.MustDate("2023-10"), SaidBy: "Japanese officials", Summary: "multi\nline\ttext, ünïcödé 日本"},
		OccurredAt: events.MustDate("2023-03-03"),
		Source:     events.Source{Publication: "NHK", URL: "https://www3.nhk.or.jp/x", Date: events.MustDate("2023-03")},
		Confidence: events.Reported,
	}, {
		ID:     "round-trip-3",
		Stream: stream,
		Data: &events.PoliticalEvent{Country: "JPN", Actors: []string{"JPN", "GBR"}, Recipients: []string{"AUS"},
			Agreement: "gbr-jpn-raa", CAMEO: "057", PloverEvent: "AGREE", PloverMode: "sign", PloverContext: []string{"military"},
			Goldstein: &goldstein, Intensity: &intensity, Text: "text", OriginalID: "ev-1", Origin: "plover"},
		OccurredAt: events.MustDate("2023"),
		Source:     events.Source{Publication: "PLOVER", Title: "import", Date: events.MustDate("2023-12-31")},
		Confidence: events.Confirmed,
	}}
	// PoliticalEvent derives its stream from Country, so it goes in a
	// country stream.
	full[2].Stream = CountryStream("JPN")

	res := mustAppend(t, l, stream, events.NoStream, full[:2])
	res2 := mustAppend(t, l, CountryStream("JPN"), events.NoStream, full[2:])
	want := make([]events.Event, len(full))
	for i := range full {
		want[i] = normalized(t, full[i])
	}
	want[0].Position, want[0].Version = res.Positions[0], res.Versions[0]
	want[1].Position, want[1].Version = res.Positions[1], res.Versions[1]
	want[2].Position, want[2].Version = res2.Positions[0], res2.Versions[0]
	if want[1].ReportedAt != want[1].OccurredAt {
		t.Fatalf("Normalize did not default ReportedAt")
	}

	got := mustReadAll(t, l, 0, 10)
	if len(got) != 3 {
		t.Fatalf("ReadAll: %d events, want 3", len(got))
	}
	for i := range got {
		sameEvent(t, got[i], want[i])
		if got[i].RecordedAt.IsZero() {
			t.Errorf("event %d: RecordedAt not set", i)
		}
	}
	gs := mustReadStream(t, l, stream, 1, 10)
	if len(gs) != 2 {
		t.Fatalf("ReadStream: %d events, want 2", len(gs))
	}
	for i := range gs {
		sameEvent(t, gs[i], want[i])
	}
	// The caller's events are not modified.
	if full[0].Position != 0 || full[0].Version != 0 || !full[0].RecordedAt.IsZero() || !full[1].ReportedAt.IsZero() {
		t.Errorf("Append modified the caller's events: %+v", full[0])
	}
}

func testDerivedID(t *testing.T, l events.Log) {
	g := NewGen("derived")
	stream := AgreementStream("aus-jpn-raa")
	e := g.Event(stream)
	e.ID = ""
	e.Stream = "" // derived from data
	want := normalized(t, e)
	if want.ID == "" {
		t.Fatal("Normalize derived no id")
	}
	r1 := mustAppend(t, l, stream, events.Any, []events.Event{e})
	got := mustReadStream(t, l, stream, 1, 10)
	if len(got) != 1 || got[0].ID != want.ID || got[0].Stream != stream {
		t.Fatalf("stored %+v, want id %s in %s", got, want.ID, stream)
	}
	// The same fact again (no id) is a duplicate, not a second event.
	r2 := mustAppend(t, l, stream, events.Any, []events.Event{e})
	if r2.Duplicates != 1 || r2.Positions[0] != r1.Positions[0] || r2.Versions[0] != r1.Versions[0] {
		t.Errorf("re-append of a content-identified event: %+v, want duplicate of %+v", r2, r1)
	}
	if h := mustHead(t, l); h != 1 {
		t.Errorf("Head = %d, want 1", h)
	}
}

func testVersionsAndPositions(t *testing.T, l events.Log) {
	g := NewGen("vp")
	streams := []string{AgreementStream("a-one"), CountryStream("GBR"), AgreementStream("a-two")}
	want := map[string]int64{}
	var pos int64
	for i := range 12 {
		s := streams[i%len(streams)]
		k := 1 + i%3
		res := mustAppend(t, l, s, events.Exact(want[s]), g.Events(s, k))
		for j := range k {
			pos++
			want[s]++
			if res.Positions[j] != pos || res.Versions[j] != want[s] {
				t.Fatalf("append %d event %d: position %d version %d, want %d and %d", i, j, res.Positions[j], res.Versions[j], pos, want[s])
			}
		}
		if res.Duplicates != 0 {
			t.Errorf("Duplicates = %d for new events", res.Duplicates)
		}
	}
	all := readEverything(t, l)
	if int64(len(all)) != pos {
		t.Fatalf("log has %d events, want %d", len(all), pos)
	}
	next := map[string]int64{}
	for i, e := range all {
		if e.Position != int64(i+1) {
			t.Fatalf("event %d has position %d: positions must be 1..n without gaps", i, e.Position)
		}
		next[e.Stream]++
		if e.Version != next[e.Stream] {
			t.Fatalf("event at %d in %s has version %d, want %d", e.Position, e.Stream, e.Version, next[e.Stream])
		}
	}
	for _, s := range streams {
		evs := mustReadStream(t, l, s, 1, 100)
		for i, e := range evs {
			if e.Version != int64(i+1) {
				t.Fatalf("%s: versions not contiguous from 1: %d at index %d", s, e.Version, i)
			}
		}
		if int64(len(evs)) != want[s] {
			t.Errorf("%s: %d events, want %d", s, len(evs), want[s])
		}
	}
}

func testExpectedVersion(t *testing.T, l events.Log) {
	g := NewGen("ev")
	s := AgreementStream("ev")
	mustAppend(t, l, s, events.NoStream, g.Events(s, 2))
	mustAppend(t, l, s, events.Exact(2), g.Events(s, 1))
	mustAppend(t, l, s, events.Any, g.Events(s, 2))
	mustAppend(t, l, s, events.Exact(5), g.Events(s, 1))
	other := CountryStream("AUS")
	mustAppend(t, l, other, events.Any, g.Events(other, 1)) // Any on a new stream
	if v := mustStreamVersion(t, l, s); v != 6 {
		t.Errorf("StreamVersion = %d, want 6", v)
	}
	if v := mustStreamVersion(t, l, other); v != 1 {
		t.Errorf("StreamVersion(%s) = %d, want 1", other, v)
	}
}

func testConflict(t *testing.T, l events.Log) {
	g := NewGen("cf")
	s := AgreementStream("cf")
	mustAppend(t, l, s, events.NoStream, g.Events(s, 3))
	cases := []struct {
		name     string
		stream   string
		expected events.ExpectedVersion
		actual   int64
	}{
		{"exact behind", s, events.Exact(2), 3},
		{"exact ahead", s, events.Exact(5), 3},
		{"no stream on existing", s, events.NoStream, 3},
		{"exact on missing stream", AgreementStream("cf-missing"), events.Exact(2), 0},
	}
	for _, c := range cases {
		head := mustHead(t, l)
		_, err := l.Append(t.Context(), c.stream, c.expected, g.Events(c.stream, 2))
		var ce *events.ConflictError
		if !errors.As(err, &ce) || !errors.Is(err, events.ErrConflict) {
			t.Errorf("%s: err = %v, want a *events.ConflictError", c.name, err)
			continue
		}
		if ce.Stream != c.stream || ce.Expected != c.expected || ce.Actual != c.actual {
			t.Errorf("%s: conflict %+v, want stream %s expected %s actual %d", c.name, *ce, c.stream, c.expected, c.actual)
		}
		msg := err.Error()
		if !strings.Contains(msg, "expected version "+c.expected.String()) || !strings.Contains(msg, fmt.Sprintf("actual version %d", c.actual)) {
			t.Errorf("%s: message %q does not name expected %s and actual %d", c.name, msg, c.expected, c.actual)
		}
		if h := mustHead(t, l); h != head {
			t.Errorf("%s: a conflicting append moved the head from %d to %d", c.name, head, h)
		}
	}
	if v := mustStreamVersion(t, l, s); v != 3 {
		t.Errorf("StreamVersion = %d after conflicts, want 3", v)
	}
}

func testInvalid(t *testing.T, l events.Log) {
	g := NewGen("inv")
	s := AgreementStream("inv")
	other := AgreementStream("inv-other")
	noSource := g.Event(s)
	noSource.Source = events.Source{}
	dupIDs := g.Events(s, 2)
	dupIDs[1].ID = dupIDs[0].ID
	cases := []struct {
		name     string
		stream   string
		expected events.ExpectedVersion
		evs      []events.Event
	}{
		{"empty batch", s, events.Any, nil},
		{"stream mismatch", s, events.Any, []events.Event{g.Event(other)}},
		{"invalid event", s, events.Any, []events.Event{noSource}},
		{"same id twice", s, events.Any, dupIDs},
		{"bad expected version", s, events.ExpectedVersion(-7), g.Events(s, 1)},
	}
	for _, c := range cases {
		_, err := l.Append(t.Context(), c.stream, c.expected, c.evs)
		if !errors.Is(err, events.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", c.name, err)
		}
	}
	if _, err := l.ReadAll(t.Context(), 0, 0); !errors.Is(err, events.ErrInvalid) {
		t.Errorf("ReadAll limit 0: err = %v, want ErrInvalid", err)
	}
	if _, err := l.ReadStream(t.Context(), s, 1, -1); !errors.Is(err, events.ErrInvalid) {
		t.Errorf("ReadStream limit -1: err = %v, want ErrInvalid", err)
	}
	if h := mustHead(t, l); h != 0 {
		t.Errorf("invalid appends wrote: Head = %d", h)
	}
}

func testAtomicity(t *testing.T, l events.Log) {
	g := NewGen("atom")
	s := AgreementStream("atom")
	mustAppend(t, l, s, events.NoStream, g.Events(s, 2))
	// A batch whose last event belongs to another stream writes nothing.
	bad := append(g.Events(s, 3), g.Event(AgreementStream("atom-other")))
	if _, err := l.Append(t.Context(), s, events.Exact(2), bad); !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("batch with a stream mismatch: err = %v, want ErrInvalid", err)
	}
	// A batch whose middle event is invalid writes nothing.
	bad = g.Events(s, 3)
	bad[1].Confidence = "certain"
	if _, err := l.Append(t.Context(), s, events.Exact(2), bad); !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("batch with an invalid event: err = %v, want ErrInvalid", err)
	}
	if h := mustHead(t, l); h != 2 {
		t.Errorf("Head = %d after failed batches, want 2", h)
	}
	if v := mustStreamVersion(t, l, s); v != 2 {
		t.Errorf("StreamVersion = %d after failed batches, want 2", v)
	}
	for _, e := range bad {
		if e.Position != 0 || e.Version != 0 {
			t.Errorf("failed append modified the caller's event %s", e.ID)
		}
	}
	// The good events of the failed batches can still be appended.
	mustAppend(t, l, s, events.Exact(2), bad[:1])
	if n := len(readEverything(t, l)); n != 3 {
		t.Errorf("log has %d events, want 3", n)
	}
}

func testIdempotentRetry(t *testing.T, l events.Log) {
	g := NewGen("idem")
	s := AgreementStream("idem")
	mustAppend(t, l, s, events.NoStream, g.Events(s, 2))
	batch := g.Events(s, 3)
	first := mustAppend(t, l, s, events.Exact(2), batch)
	mustAppend(t, l, s, events.Exact(5), g.Events(s, 1))
	head := mustHead(t, l)
	// A retry with a now-wrong expected version, with Any and with the
	// original expected version: all return the original result.
	for _, exp := range []events.ExpectedVersion{events.Exact(2), events.Any, events.NoStream, events.Exact(99)} {
		again, err := l.Append(t.Context(), s, exp, batch)
		if err != nil {
			t.Fatalf("retry with expected %s: %v", exp, err)
		}
		if again.Duplicates != len(batch) || !reflect.DeepEqual(again.Positions, first.Positions) || !reflect.DeepEqual(again.Versions, first.Versions) {
			t.Errorf("retry with expected %s: %+v, want the original %+v with Duplicates=%d", exp, again, first, len(batch))
		}
	}
	if h := mustHead(t, l); h != head {
		t.Errorf("retries moved the head from %d to %d", head, h)
	}
	if v := mustStreamVersion(t, l, s); v != 6 {
		t.Errorf("StreamVersion = %d, want 6", v)
	}
}

func testPartialDuplicate(t *testing.T, l events.Log) {
	g := NewGen("part")
	s := AgreementStream("part")
	batch := g.Events(s, 2)
	mustAppend(t, l, s, events.NoStream, batch)
	mixed := []events.Event{batch[1], g.Event(s)}
	_, err := l.Append(t.Context(), s, events.Any, mixed)
	if !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("partial duplicate: err = %v, want ErrInvalid", err)
	}
	if h := mustHead(t, l); h != 2 {
		t.Errorf("partial duplicate wrote: Head = %d, want 2", h)
	}
}

func testReadStream(t *testing.T, l events.Log) {
	g := NewGen("rs")
	s := AgreementStream("rs")
	other := CountryStream("PHL")
	for range 5 {
		mustAppend(t, l, s, events.Any, g.Events(s, 2))
		mustAppend(t, l, other, events.Any, g.Events(other, 1))
	}
	check := func(from int64, limit int, want ...int64) {
		t.Helper()
		got := mustReadStream(t, l, s, from, limit)
		var vs []int64
		for _, e := range got {
			if e.Stream != s {
				t.Errorf("ReadStream(%s) returned an event of %s", s, e.Stream)
			}
			vs = append(vs, e.Version)
		}
		if !reflect.DeepEqual(vs, want) {
			t.Errorf("ReadStream(from %d, limit %d) versions %v, want %v", from, limit, vs, want)
		}
	}
	check(1, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	check(4, 3, 4, 5, 6)
	check(9, 10, 9, 10)
	check(10, 1, 10)
	check(0, 2, 1, 2)
	check(11, 5)
	if got := mustReadStream(t, l, AgreementStream("rs-unknown"), 1, 10); got == nil || len(got) != 0 {
		t.Errorf("unknown stream: %v, want an empty, non-nil slice", got)
	}
}

// scanner is the streaming read of the stores (store.Scanner).
type scanner interface {
	ScanAll(ctx context.Context, after int64, limit int, fn func(*events.Event) error) (int, error)
}

// testScanAll checks that ScanAll hands over exactly what ReadAll returns,
// page by page, that the event it passes may be copied but not kept, that
// fn's error stops it, and that a bad limit is invalid.
func testScanAll(t *testing.T, l events.Log) {
	sc, ok := l.(scanner)
	if !ok {
		t.Skip("the log has no ScanAll")
	}
	g := NewGen("sa")
	streams := []string{AgreementStream("sa-a"), CountryStream("FRA")}
	for i := range 8 {
		s := streams[i%2]
		mustAppend(t, l, s, events.Any, g.Events(s, 1+i%3))
	}
	want := readEverything(t, l)
	for _, page := range []int{1, 4, len(want) + 1} {
		var got []events.Event
		var after int64
		for {
			n, err := sc.ScanAll(t.Context(), after, page, func(e *events.Event) error {
				got = append(got, *e)
				after = e.Position
				return nil
			})
			if err != nil {
				t.Fatalf("ScanAll(%d, %d): %v", after, page, err)
			}
			if n > page {
				t.Fatalf("ScanAll(%d, %d) handed over %d events", after, page, n)
			}
			if n == 0 {
				break
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ScanAll by %d differs from ReadAll:\n got %+v\nwant %+v", page, got, want)
		}
	}
	stop := errors.New("stop")
	n, err := sc.ScanAll(t.Context(), 0, 100, func(e *events.Event) error {
		if e.Position == 3 {
			return stop
		}
		return nil
	})
	if n != 3 || !errors.Is(err, stop) {
		t.Errorf("ScanAll stopped by fn: %d events, %v; want 3 and fn's error", n, err)
	}
	if _, err := sc.ScanAll(t.Context(), 0, 0, func(*events.Event) error { return nil }); !errors.Is(err, events.ErrInvalid) {
		t.Errorf("ScanAll with limit 0: %v, want ErrInvalid", err)
	}
}

func testReadAll(t *testing.T, l events.Log) {
	g := NewGen("ra")
	if got := mustReadAll(t, l, 0, 10); got == nil || len(got) != 0 {
		t.Errorf("ReadAll on an empty log: %v, want an empty, non-nil slice", got)
	}
	streams := []string{AgreementStream("ra-a"), AgreementStream("ra-b"), CountryStream("ITA")}
	var ids []string
	for i := range 10 {
		s := streams[i%3]
		evs := g.Events(s, 1+i%4)
		mustAppend(t, l, s, events.Any, evs)
		for _, e := range evs {
			ids = append(ids, e.ID)
		}
	}
	for _, page := range []int{1, 3, 7, len(ids), len(ids) + 5} {
		var got []string
		var after int64
		for calls := 0; ; calls++ {
			evs := mustReadAll(t, l, after, page)
			if len(evs) > page {
				t.Fatalf("ReadAll(%d, %d) returned %d events", after, page, len(evs))
			}
			if len(evs) == 0 {
				break
			}
			for _, e := range evs {
				if e.Position != after+1 {
					t.Fatalf("page %d: position %d after %d", page, e.Position, after)
				}
				after = e.Position
				got = append(got, e.ID)
			}
			if calls > len(ids)+1 {
				t.Fatal("paging does not end")
			}
		}
		if !reflect.DeepEqual(got, ids) {
			t.Errorf("paging by %d: ids %v, want %v", page, got, ids)
		}
	}
	if got := mustReadAll(t, l, 5, 3); len(got) != 3 || got[0].Position != 6 {
		t.Errorf("ReadAll(5, 3) = %d events from %d", len(got), got[0].Position)
	}
	if got := mustReadAll(t, l, int64(len(ids)), 10); len(got) != 0 {
		t.Errorf("ReadAll(head) returned %d events", len(got))
	}
}

func testHeadAndStreamVersion(t *testing.T, l events.Log) {
	g := NewGen("hd")
	s := AgreementStream("hd")
	if h := mustHead(t, l); h != 0 {
		t.Errorf("Head of an empty log = %d", h)
	}
	if v := mustStreamVersion(t, l, s); v != 0 {
		t.Errorf("StreamVersion of a missing stream = %d", v)
	}
	mustAppend(t, l, s, events.NoStream, g.Events(s, 3))
	mustAppend(t, l, CountryStream("GBR"), events.NoStream, g.Events(CountryStream("GBR"), 2))
	if h := mustHead(t, l); h != 5 {
		t.Errorf("Head = %d, want 5", h)
	}
	if v := mustStreamVersion(t, l, s); v != 3 {
		t.Errorf("StreamVersion = %d, want 3", v)
	}
	if v := mustStreamVersion(t, l, CountryStream("GBR")); v != 2 {
		t.Errorf("StreamVersion(GBR) = %d, want 2", v)
	}
}

func testRecordedAt(t *testing.T, l events.Log) {
	g := NewGen("rec")
	s := AgreementStream("rec")
	client := time.Date(1999, 1, 2, 3, 4, 5, 6, time.UTC)
	before := time.Now().UTC().Truncate(time.Microsecond)
	for range 5 {
		evs := g.Events(s, 2)
		for i := range evs {
			evs[i].RecordedAt = client
			evs[i].Position, evs[i].Version = 77, 77
		}
		mustAppend(t, l, s, events.Any, evs)
	}
	after := time.Now().UTC().Add(time.Second)
	all := readEverything(t, l)
	for i, e := range all {
		if e.RecordedAt.Equal(client) || e.Position == 77 || e.Version == 77 {
			t.Errorf("event %d kept a client-set store field: %+v", e.Position, e)
		}
		if e.RecordedAt.Before(before) || e.RecordedAt.After(after) {
			t.Errorf("event %d RecordedAt %s is not between %s and %s", e.Position, e.RecordedAt, before, after)
		}
		if e.RecordedAt.Location() != time.UTC {
			t.Errorf("event %d RecordedAt %s is not in UTC", e.Position, e.RecordedAt)
		}
		if e.RecordedAt.Nanosecond()%1000 != 0 {
			t.Errorf("event %d RecordedAt %s is not truncated to microseconds", e.Position, e.RecordedAt)
		}
		if i > 0 && e.RecordedAt.Before(all[i-1].RecordedAt) {
			t.Errorf("RecordedAt decreases from %s at %d to %s at %d", all[i-1].RecordedAt, i, e.RecordedAt, e.Position)
		}
	}
}

func testConcurrentSameStream(t *testing.T, l events.Log) {
	const writers, rounds = 8, 10
	g := NewGen("css")
	s := AgreementStream("css")
	for round := range rounds {
		var (
			wg        sync.WaitGroup
			start     = make(chan struct{})
			wins      atomic.Int32
			conflicts atomic.Int32
			errs      = make(chan error, writers)
		)
		for range writers {
			ev := g.Event(s)
			wg.Go(func() {
				<-start
				_, err := l.Append(context.Background(), s, events.Exact(int64(round)), []events.Event{ev})
				var ce *events.ConflictError
				switch {
				case err == nil:
					wins.Add(1)
				case errors.As(err, &ce) && ce.Actual == int64(round+1) && ce.Expected == events.Exact(int64(round)):
					conflicts.Add(1)
				default:
					errs <- err
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: unexpected error: %v", round, err)
		}
		if wins.Load() != 1 || conflicts.Load() != writers-1 {
			t.Fatalf("round %d: %d appends won and %d conflicted, want 1 and %d", round, wins.Load(), conflicts.Load(), writers-1)
		}
	}
	evs := mustReadStream(t, l, s, 1, 100)
	if len(evs) != rounds {
		t.Fatalf("stream has %d events, want %d", len(evs), rounds)
	}
	for i, e := range evs {
		if e.Version != int64(i+1) || e.Position != int64(i+1) {
			t.Errorf("event %d: version %d position %d", i, e.Version, e.Position)
		}
	}
}

func testConcurrentIdempotent(t *testing.T, l events.Log) {
	const writers, rounds = 8, 5
	g := NewGen("cid")
	s := AgreementStream("cid")
	for round := range rounds {
		batch := g.Events(s, 3)
		results := make([]events.AppendResult, writers)
		errs := make([]error, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				results[w], errs[w] = l.Append(context.Background(), s, events.Any, batch)
			})
		}
		close(start)
		wg.Wait()
		fresh := 0
		for w := range writers {
			if errs[w] != nil {
				t.Fatalf("round %d writer %d: %v", round, w, errs[w])
			}
			if results[w].Duplicates == 0 {
				fresh++
			} else if results[w].Duplicates != len(batch) {
				t.Errorf("round %d writer %d: Duplicates = %d", round, w, results[w].Duplicates)
			}
			if !reflect.DeepEqual(results[w].Positions, results[0].Positions) || !reflect.DeepEqual(results[w].Versions, results[0].Versions) {
				t.Errorf("round %d: writers got different positions: %+v and %+v", round, results[w], results[0])
			}
		}
		if fresh != 1 {
			t.Errorf("round %d: %d writers wrote the batch, want exactly 1", round, fresh)
		}
	}
	if h := mustHead(t, l); h != 3*rounds {
		t.Errorf("Head = %d, want %d", h, 3*rounds)
	}
}

// catchUpEvents reads EnvCatchUpEvents.
func catchUpEvents(t *testing.T) int {
	v := os.Getenv(EnvCatchUpEvents)
	if v == "" {
		return DefaultCatchUpEvents
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q is not a positive number", EnvCatchUpEvents, v)
	}
	return n
}

// testCatchUp is the gap-free torture test: writers append concurrently to
// random streams while a reader follows the log with ReadAll(last, page).
// A store that hands out positions before commit order loses events here
// (a row committed late behind the reader's last position).
func testCatchUp(t *testing.T, l events.Log) {
	const (
		writers  = 8
		streams  = 40
		pageSize = 500
		maxBatch = 4
	)
	total := catchUpEvents(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	var (
		remaining atomic.Int64
		appends   atomic.Int64
		written   = make([]map[string]int64, writers) // per writer: id -> position
		wg        sync.WaitGroup
		failed    atomic.Bool
		firstErr  = make(chan error, writers+1)
	)
	remaining.Store(int64(total))
	fail := func(err error) {
		if failed.CompareAndSwap(false, true) {
			firstErr <- err
			cancel()
		}
	}
	begin := time.Now()
	for w := range writers {
		written[w] = map[string]int64{}
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			g := NewGen(fmt.Sprintf("cu%d", w))
			for ctx.Err() == nil {
				k := int64(1 + rng.IntN(maxBatch))
				left := remaining.Add(-k)
				if left < 0 {
					k += left // take only what was left
					if k <= 0 {
						return
					}
				}
				var s string
				if i := rng.IntN(streams); i%2 == 0 {
					s = AgreementStream(fmt.Sprintf("cu-%d", i))
				} else {
					s = CountryStream(fmt.Sprintf("C%c%c", 'A'+byte(i%26), 'A'+byte(i/26)))
				}
				evs := g.Events(s, int(k))
				res, err := l.Append(ctx, s, events.Any, evs)
				if err != nil {
					fail(fmt.Errorf("writer %d: %w", w, err))
					return
				}
				appends.Add(1)
				for i, e := range evs {
					written[w][e.ID] = res.Positions[i]
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := make(map[string]int, total)
	var (
		last        int64
		jumps       int
		writersDone bool
		reads       int
	)
	for !failed.Load() {
		if !writersDone {
			select {
			case <-done:
				writersDone = true // read once more after this: it sees everything
			default:
			}
		}
		page, err := l.ReadAll(ctx, last, pageSize)
		reads++
		if err != nil {
			fail(fmt.Errorf("reader: %w", err))
			break
		}
		for _, e := range page {
			if e.Position != last+1 {
				jumps++
				if jumps <= 5 {
					t.Logf("reader: position %d follows %d", e.Position, last)
				}
			}
			if e.Position <= last {
				t.Errorf("reader: position %d after %d: not increasing", e.Position, last)
			}
			last = e.Position
			seen[e.ID]++
		}
		if len(page) == 0 {
			if writersDone {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	cancel()
	<-done
	close(firstErr)
	if err := <-firstErr; err != nil {
		t.Fatalf("catch-up: %v", err)
	}
	elapsed := time.Since(begin)

	var missed, duplicated, misplaced, unknown int
	all := map[string]int64{}
	for _, m := range written {
		for id, pos := range m {
			all[id] = pos
		}
	}
	for id := range all {
		switch c := seen[id]; {
		case c == 0:
			missed++
		case c > 1:
			duplicated += c - 1
		}
	}
	for id := range seen {
		if _, ok := all[id]; !ok {
			unknown++
		}
	}
	// The positions the writers were given are exactly 1..total.
	posSeen := make([]bool, total+1)
	for _, pos := range all {
		if pos < 1 || pos > int64(total) || posSeen[pos] {
			misplaced++
			continue
		}
		posSeen[pos] = true
	}
	t.Logf("catch-up: %d events, %d appends, %d writers, %d reads in %s (%.0f events/s): missed=%d duplicated=%d",
		len(all), appends.Load(), writers, reads, elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds(), missed, duplicated)
	if len(all) != total {
		t.Errorf("writers wrote %d events, want %d", len(all), total)
	}
	if missed != 0 || duplicated != 0 || unknown != 0 || jumps != 0 || misplaced != 0 {
		t.Errorf("catch-up: missed=%d duplicated=%d unknown=%d position jumps=%d misplaced positions=%d, want all 0",
			missed, duplicated, unknown, jumps, misplaced)
	}
	if h := mustHead(t, l); h != int64(total) {
		t.Errorf("Head = %d, want %d", h, total)
	}
	// RecordedAt never decreases in position order.
	all2 := readEverything(t, l)
	for i := 1; i < len(all2); i++ {
		if all2[i].RecordedAt.Before(all2[i-1].RecordedAt) {
			t.Errorf("RecordedAt decreases at position %d: %s < %s", all2[i].Position, all2[i].RecordedAt, all2[i-1].RecordedAt)
			break
		}
	}
}

// importer is the Import method of store.Store.
type importer interface {
	Import(ctx context.Context, evs []events.Event, progress func(done int)) (logcore.ImportResult, error)
}

func testImport(t *testing.T, l events.Log) {
	im, ok := l.(importer)
	if !ok {
		t.Skip("the log has no Import method")
	}
	g := NewGen("imp")
	a, b, c := AgreementStream("imp-a"), AgreementStream("imp-b"), CountryStream("FRA")
	// b already has events: the import continues its versions.
	mustAppend(t, l, b, events.NoStream, g.Events(b, 2))

	var in []events.Event
	for i := range 30 {
		e := g.Event([]string{a, b, c}[i%3])
		if i%4 == 0 {
			e.Stream = "" // derived from data
		}
		in = append(in, e)
	}
	in = append(in, in[7]) // the same event twice in the input
	var calls []int
	res, err := im.Import(t.Context(), in, func(done int) { calls = append(calls, done) })
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if res.Appended != 30 || res.Duplicates != 1 {
		t.Errorf("Import = %+v, want 30 appended, 1 duplicate", res)
	}
	if len(calls) == 0 || calls[len(calls)-1] != len(in) {
		t.Errorf("progress calls %v, want the last to be %d", calls, len(in))
	}
	all := readEverything(t, l)
	if len(all) != 32 {
		t.Fatalf("log has %d events, want 32", len(all))
	}
	next := map[string]int64{}
	for i, e := range all {
		if e.Position != int64(i+1) {
			t.Fatalf("positions not gap-free: %d at %d", e.Position, i)
		}
		next[e.Stream]++
		if e.Version != next[e.Stream] {
			t.Errorf("%s: version %d, want %d", e.Stream, e.Version, next[e.Stream])
		}
		if i >= 2 && e.ID != in[i-2].ID {
			t.Errorf("position %d holds %s, want input event %s (input order)", e.Position, e.ID, in[i-2].ID)
		}
	}

	// Importing the same input again appends nothing.
	res, err = im.Import(t.Context(), in, nil)
	if err != nil || res.Appended != 0 || res.Duplicates != len(in) {
		t.Errorf("re-import = %+v, %v; want 0 appended, %d duplicates", res, err, len(in))
	}
	// Old and new events mixed: only the new ones are appended.
	mixed := append(in[:5:5], g.Events(c, 3)...)
	res, err = im.Import(t.Context(), mixed, nil)
	if err != nil || res.Appended != 3 || res.Duplicates != 5 {
		t.Errorf("mixed import = %+v, %v; want 3 appended, 5 duplicates", res, err)
	}
	// An invalid event fails the whole import.
	bad := g.Events(a, 4)
	bad[3].Source = events.Source{}
	if _, err := im.Import(t.Context(), bad, nil); !errors.Is(err, events.ErrInvalid) || !strings.Contains(err.Error(), "input event 4") {
		t.Errorf("import with an invalid event: err = %v, want ErrInvalid naming input event 4", err)
	}
	if _, err := im.Import(t.Context(), nil, nil); !errors.Is(err, events.ErrInvalid) {
		t.Errorf("empty import: err = %v, want ErrInvalid", err)
	}
	if h := mustHead(t, l); h != 35 {
		t.Fatalf("Head = %d, want 35", h)
	}

	// A large import goes in chunks, still all in order.
	big := make([]events.Event, 0, 2*logcore.ImportChunk+7)
	for i := range cap(big) {
		big = append(big, g.Event([]string{a, b, c}[i%3]))
	}
	calls = nil
	res, err = im.Import(t.Context(), big, func(done int) { calls = append(calls, done) })
	if err != nil || res.Appended != len(big) {
		t.Fatalf("large import = %+v, %v", res, err)
	}
	if len(calls) != 3 || calls[2] != len(big) {
		t.Errorf("large import progress %v, want 3 calls ending at %d", calls, len(big))
	}
	got := mustReadAll(t, l, 35, len(big)+1)
	if len(got) != len(big) || got[0].ID != big[0].ID || got[len(got)-1].ID != big[len(big)-1].ID || got[len(got)-1].Position != int64(35+len(big)) {
		t.Errorf("large import stored %d events", len(got))
	}
}
