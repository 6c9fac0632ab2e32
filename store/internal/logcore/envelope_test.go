package logcore_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

// genDate draws a zero Date or a Date of any precision between 1 CE and 9999.
func genDate(t *rapid.T, label string) events.Date {
	p := events.Precision(rapid.IntRange(0, 3).Draw(t, label+"_precision"))
	if p == events.PrecisionNone {
		return events.Date{}
	}
	day := time.Date(rapid.IntRange(1, 9999).Draw(t, label+"_year"), time.Month(rapid.IntRange(1, 12).Draw(t, label+"_month")),
		rapid.IntRange(1, 28).Draw(t, label+"_day"), 0, 0, 0, 0, time.UTC)
	return events.Date{Day: day, Precision: p}
}

// genEnvelope draws an event with every envelope field set at random (any
// bytes in the texts, empty ones included).
func genEnvelope(t *rapid.T) events.Event {
	text := func(label string) string { return rapid.StringN(0, 80, -1).Draw(t, label) }
	return events.Event{
		ID:            text("id"),
		Stream:        text("stream"),
		Version:       rapid.Int64Range(1, 1<<50).Draw(t, "version"),
		Position:      rapid.Int64Range(1, 1<<62).Draw(t, "position"),
		Type:          text("type"),
		SchemaVersion: rapid.IntRange(0, 1000).Draw(t, "schema_version"),
		OccurredAt:    genDate(t, "occurred"),
		ReportedAt:    genDate(t, "reported"),
		RecordedAt:    time.UnixMicro(rapid.Int64Range(-1<<50, 1<<52).Draw(t, "recorded")).UTC(),
		Source: events.Source{Publication: text("publication"), Title: text("title"), URL: text("url"),
			Date: genDate(t, "source_date")},
		Confidence:    events.Confidence(text("confidence")),
		Analyst:       text("analyst"),
		CorrelationID: text("correlation"),
		CausationID:   text("causation"),
	}
}

// TestEnvelopeRoundTrip: ParseEnvelope(AppendEnvelope(e)) is e, for any
// envelope, also when one Interner serves many events, and the size bound
// holds.
func TestEnvelopeRoundTrip(t *testing.T) {
	var in logcore.Interner
	rapid.Check(t, func(t *rapid.T) {
		e := genEnvelope(t)
		b := logcore.AppendEnvelope(nil, &e)
		if len(b) > logcore.EnvelopeSize(&e) {
			t.Fatalf("envelope of %d bytes, bound %d", len(b), logcore.EnvelopeSize(&e))
		}
		var got events.Event
		if err := logcore.ParseEnvelope(b, &in, &got); err != nil {
			t.Fatalf("parse: %v", err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
		}
	})
}

// TestEnvelopeDamaged: every truncation of an envelope, a trailing byte, an
// unknown format and a bad precision are errors, never a panic or a
// silently wrong event.
func TestEnvelopeDamaged(t *testing.T) {
	e := events.Event{ID: "id-1", Stream: "agreement/a-b", Type: "agreement_signed", Version: 3, Position: 9,
		OccurredAt: events.Date{Day: time.Date(2023, 1, 11, 0, 0, 0, 0, time.UTC), Precision: events.PrecisionDay},
		RecordedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), Source: events.Source{Publication: "Kyodo"},
		Confidence: events.Confirmed}
	good := logcore.AppendEnvelope(nil, &e)
	var in logcore.Interner
	var got events.Event
	if err := logcore.ParseEnvelope(good, &in, &got); err != nil || !reflect.DeepEqual(got, e) {
		t.Fatalf("good envelope: %+v, %v", got, err)
	}
	for n := range len(good) {
		if err := logcore.ParseEnvelope(good[:n], &in, &got); err == nil {
			t.Errorf("truncated to %d of %d bytes: no error", n, len(good))
		}
	}
	bad := [][]byte{
		append(bytes.Clone(good), 0),
		append([]byte{2}, good[1:]...),
	}
	// The occurred_at precision byte follows the format byte and three
	// one-byte uvarints (9, 3, 0).
	prec := bytes.Clone(good)
	prec[4] = 7
	bad = append(bad, prec)
	for i, b := range bad {
		if err := logcore.ParseEnvelope(b, &in, &got); err == nil {
			t.Errorf("bad envelope %d: no error", i)
		}
	}
}

// FuzzParseEnvelope: any bytes parse or fail without panicking, and what
// parses writes back to the same bytes.
func FuzzParseEnvelope(f *testing.F) {
	e := events.Event{ID: "id-1", Stream: "agreement/a-b", Type: "agreement_signed", Version: 3, Position: 9,
		RecordedAt: time.Unix(1700000000, 0).UTC(), Confidence: events.Confirmed}
	f.Add(logcore.AppendEnvelope(nil, &e))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var in logcore.Interner
		var got events.Event
		if err := logcore.ParseEnvelope(b, &in, &got); err != nil {
			return
		}
		if again := logcore.AppendEnvelope(nil, &got); !bytes.Equal(again, b) {
			// Non-minimal varints parse too; what parses must encode
			// to an envelope that parses to the same event.
			var got2 events.Event
			if err := logcore.ParseEnvelope(again, &in, &got2); err != nil || !reflect.DeepEqual(got, got2) {
				t.Fatalf("re-encoded envelope differs: %+v vs %+v (%v)", got, got2, err)
			}
		}
	})
}

// BenchmarkParseEnvelope parses the envelope of a typical event (the read
// path's per-row work besides the payload).
func BenchmarkParseEnvelope(b *testing.B) {
	day := events.Date{Day: time.Date(2022, 11, 30, 0, 0, 0, 0, time.UTC), Precision: events.PrecisionDay}
	e := events.Event{ID: "0000a1b2-0003-8000-8000-719cccf0011f", Stream: "agreement/aax-bcx-raa-1234", Type: "talks_round_held",
		Version: 42, Position: 123456, SchemaVersion: 1, OccurredAt: day, ReportedAt: day,
		RecordedAt: time.Date(2026, 11, 26, 22, 41, 41, 123456000, time.UTC),
		Source: events.Source{Publication: "Kyodo News", Title: "Talks on the defence pact move ahead",
			URL: "https://news.example.com/asia/defence/aax-bcx-raa-1234", Date: day}, Confidence: events.Confirmed}
	env := logcore.AppendEnvelope(nil, &e)
	var in logcore.Interner
	var got events.Event
	b.ReportAllocs()
	for b.Loop() {
		if err := logcore.ParseEnvelope(env, &in, &got); err != nil {
			b.Fatal(err)
		}
	}
}
