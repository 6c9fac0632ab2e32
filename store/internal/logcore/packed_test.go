package logcore_test

import (
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

func TestParseTimestamp(t *testing.T) {
	want := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	for _, s := range []string{
		"2026-01-02 03:04:05.123456+00",
		"2026-01-02 12:04:05.123456+09",
		"2026-01-02 08:34:05.123456+05:30",
		"2026-01-01 23:34:05.123456-03:30",
		"2026-01-02 03:04:06.123456+00:00:01",
		"2026-01-02T03:04:05.123456Z",
		"2026-01-02 03:04:05.12345600+00",
	} {
		got, err := logcore.ParseTimestamp([]byte(s))
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s: %s, %v; want %s", s, got, err, want)
		}
	}
	if got, err := logcore.ParseTimestamp([]byte("2026-01-02 03:04:05+00")); err != nil || !got.Equal(want.Truncate(time.Second)) {
		t.Errorf("no fraction: %s, %v", got, err)
	}
	if got, err := logcore.ParseTimestamp([]byte("2026-01-02 03:04:05.5+00")); err != nil || got.Nanosecond() != 500000000 {
		t.Errorf("short fraction: %s, %v", got, err)
	}
	for _, bad := range []string{"", "2026-01-02", "2026-01-02 03:04:05.1x+00", "2026-13-02 03:04:05+0"} {
		if _, err := logcore.ParseTimestamp([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParsePacked(t *testing.T) {
	row := "7 3 1 19368 19369  5:id-01" + "13:agreement/a-b" + "16:agreement_signed" + "5:month" + "3:day" +
		"6:GOV.UK" + "0:" + "19:https://x.org/a b:c" + "0:" + "9:confirmed" + "0:" + "0:" + "2:c1" + "2026-01-02 03:04:05+00"
	var e events.Event
	var in logcore.Interner
	if err := logcore.ParsePacked([]byte(row), &in, &e); err != nil {
		t.Fatal(err)
	}
	if e.Position != 7 || e.Version != 3 || e.SchemaVersion != 1 || e.ID != "id-01" || e.Stream != "agreement/a-b" ||
		e.Type != "agreement_signed" || e.OccurredAt.String() != "2023-01" || e.ReportedAt.String() != "2023-01-12" ||
		!e.Source.Date.IsZero() || e.Source.Publication != "GOV.UK" || e.Source.Title != "" || e.Source.URL != "https://x.org/a b:c" ||
		e.Confidence != events.Confirmed || e.CausationID != "c1" || e.RecordedAt.Year() != 2026 {
		t.Errorf("parsed %+v", e)
	}
	for _, bad := range []string{"", "7 3 1 ", "x 3 1 19368 19369  5:id-01", "7 3 1 19368 19369  9:id-01"} {
		if err := logcore.ParsePacked([]byte(bad), &in, &e); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// BenchmarkParsePacked parses the packed form of a typical row (the read
// path's per-row work besides the payload).
func BenchmarkParsePacked(b *testing.B) {
	row := []byte("123456 42 1 19368 19369 19368 36:0000a1b2-0003-8000-8000-719cccf0011f" + "26:agreement/aax-bcx-raa-1234" +
		"16:talks_round_held" + "3:day" + "3:day" + "10:Kyodo News" + "36:Talks on the defence pact move ahead" +
		"54:https://news.example.com/asia/defence/aax-bcx-raa-1234" + "3:day" + "9:confirmed" + "0:" + "0:" + "0:" +
		"2026-11-26 22:41:41.123456+00")
	var in logcore.Interner
	var e events.Event
	b.ReportAllocs()
	for b.Loop() {
		if err := logcore.ParsePacked(row, &in, &e); err != nil {
			b.Fatal(err)
		}
	}
}
