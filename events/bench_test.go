package events_test

import (
	"testing"

	"github.com/accord-dev/accord/events"
)

// Benchmarks of the per-event hot paths: encoding a payload on append,
// decoding it on replay, and normalizing (validating) an event. Run with
//
//	go test -run '^$' -bench 'Encode|DecodeStored|Normalize|Validate' -benchmem ./events/

// benchPayload is a realistic payload of about 300 bytes of JSON.
func benchPayload() *events.TalksRoundHeld {
	return &events.TalksRoundHeld{
		AgreementRef: events.AgreementRef{
			Agreement: "aax-bbx-raa-17", Parties: []string{"AAX", "BBX"}, Kind: "raa",
			Title: "Agreement between the Government of AAX and the Government of BBX concerning reciprocal access and cooperation between the self-defence forces and the armed forces of the two countries, no. 17",
		},
		Round: 7, Location: "London, Foreign, Commonwealth and Development Office",
	}
}

// benchEvent is a typical event around benchPayload.
func benchEvent() events.Event {
	day := events.MustDate("2024-03-05")
	return events.Event{
		ID:     "00000017-0003-8000-8000-00000000abcd",
		Stream: "agreement/aax-bbx-raa-17",
		Type:   events.TypeTalksRoundHeld,
		Data:   benchPayload(),
		Source: events.Source{Publication: "Reuters", Title: "Talks on the defence pact move ahead",
			URL: "https://news.example.com/asia/defence/aax-bbx-raa-17", Date: day},
		OccurredAt: day, ReportedAt: day, Confidence: events.Confirmed,
	}
}

func BenchmarkEncode(b *testing.B) {
	c := events.NewCodec()
	p := benchPayload()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeStored(b *testing.B) {
	c := events.NewCodec()
	data, err := c.Encode(benchPayload())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.DecodeStored(events.TypeTalksRoundHeld, 1, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	c := events.NewCodec()
	e := benchEvent()
	b.ReportAllocs()
	for b.Loop() {
		ev := e
		if err := events.Normalize(c, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	e := benchEvent()
	b.ReportAllocs()
	for b.Loop() {
		if err := events.Validate(&e); err != nil {
			b.Fatal(err)
		}
	}
}
