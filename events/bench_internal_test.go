package events

import "testing"

// Benchmarks that split BenchmarkEncode and BenchmarkDecodeStored (in
// bench_test.go) into the work of the fast paths alone and the cost of the
// allocations they cannot avoid, which depends much on the machine (on a
// small virtual machine, allocating the 300-byte result can cost more than
// writing it). Run with
//
//	go test -run '^$' -bench 'FastPath|AllocFloor' -benchmem ./events/

func benchRound() *TalksRoundHeld {
	return &TalksRoundHeld{
		AgreementRef: AgreementRef{
			Agreement: "aax-bbx-raa-17", Parties: []string{"AAX", "BBX"}, Kind: "raa",
			Title: "Agreement between the Government of AAX and the Government of BBX concerning reciprocal access and cooperation between the self-defence forces and the armed forces of the two countries, no. 17",
		},
		Round: 7, Location: "London, Foreign, Commonwealth and Development Office",
	}
}

// BenchmarkEncodeFastPathNoAlloc writes the JSON into a reused buffer.
func BenchmarkEncodeFastPathNoAlloc(b *testing.B) {
	p := benchRound()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendPayload(buf[:0], p)
	}
}

// BenchmarkEncodeAllocFloor is the one allocation and copy of the result
// that Encode makes.
func BenchmarkEncodeAllocFloor(b *testing.B) {
	data, _ := appendPayload(nil, benchRound())
	b.ReportAllocs()
	for b.Loop() {
		_ = append([]byte(nil), data...)
	}
}

// BenchmarkDecodeFastPath reads the JSON into a fresh payload: the payload,
// its strings and its list are the allocations.
func BenchmarkDecodeFastPath(b *testing.B) {
	data, _ := appendPayload(nil, benchRound())
	b.ReportAllocs()
	for b.Loop() {
		if !decodePayload(new(TalksRoundHeld), data) {
			b.Fatal("fast path declined")
		}
	}
}
