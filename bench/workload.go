package bench

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/accord-dev/accord/events"
)

// Workload is the synthetic log of the benchmark: Streams agreement streams
// ("agreement/<a>-<b>-raa-<n>", two parties each among 200 synthetic
// countries) whose events go through an agreement lifecycle with about 300
// bytes of JSON data each, and the versions writers have seen per stream,
// which all writers share.
//
// A Workload is safe for concurrent use.
type Workload struct {
	streams []streamInfo
	// seen[i] is the highest version of stream i that a writer has seen
	// (its own appends' results, or a re-read after a conflict).
	seen []atomic.Int64
}

// streamInfo is what the events of one stream repeat.
type streamInfo struct {
	name      string // agreement/<id>
	agreement string
	parties   []string
	title     string
	base      time.Time // date of the stream's first event
}

// countries returns the 200 synthetic country codes ("AAX" to "HRX").
func countries() []string {
	out := make([]string, 200)
	for i := range out {
		out[i] = string(rune('A'+i/26)) + string(rune('A'+i%26)) + "X"
	}
	return out
}

// NewWorkload returns the workload of s streams; seed picks the parties
// and dates.
func NewWorkload(s int, seed uint64) *Workload {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	cs := countries()
	w := &Workload{streams: make([]streamInfo, s), seen: make([]atomic.Int64, s)}
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range w.streams {
		a := r.IntN(len(cs))
		b := (a + 1 + r.IntN(len(cs)-1)) % len(cs)
		if cs[b] < cs[a] {
			a, b = b, a
		}
		id := strings.ToLower(cs[a]) + "-" + strings.ToLower(cs[b]) + "-raa-" + strconv.Itoa(i)
		w.streams[i] = streamInfo{
			name:      events.AgreementStream(id),
			agreement: id,
			parties:   []string{cs[a], cs[b]},
			title:     fmt.Sprintf("Agreement between the Government of %s and the Government of %s concerning reciprocal access and cooperation between the self-defence forces and the armed forces of the two countries, no. %d", cs[a], cs[b], i),
			base:      base.AddDate(0, 0, r.IntN(365*10)),
		}
	}
	return w
}

// Len returns the number of streams.
func (w *Workload) Len() int { return len(w.streams) }

// Stream returns the name of stream i.
func (w *Workload) Stream(i int) string { return w.streams[i].name }

// Agreement returns the agreement id and the parties of stream i.
func (w *Workload) Agreement(i int) (id string, parties []string) {
	return w.streams[i].agreement, w.streams[i].parties
}

// Start returns the day of the first event of stream i.
func (w *Workload) Start(i int) time.Time { return w.streams[i].base.AddDate(0, 0, daysPerEvent) }

// Seen returns the version of stream i that writers last saw.
func (w *Workload) Seen(i int) int64 { return w.seen[i].Load() }

// See records that stream i is at version v or later.
func (w *Workload) See(i int, v int64) {
	for {
		old := w.seen[i].Load()
		if v <= old || w.seen[i].CompareAndSwap(old, v) {
			return
		}
	}
}

// Reset forgets the versions seen (for a fresh log).
func (w *Workload) Reset() {
	for i := range w.seen {
		w.seen[i].Store(0)
	}
}

// DateRange returns the first and last day that events of a log of n
// events over the workload's streams can fall on (for as-of queries).
func (w *Workload) DateRange(n int) (first, last time.Time) {
	per := n/len(w.streams) + 1
	first = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	last = first.AddDate(0, 0, 365*10+per*daysPerEvent)
	return first, last
}

// daysPerEvent spaces the events of one stream in valid time.
const daysPerEvent = 3

// lifecycleType returns the type of the event at version v of a stream:
// the streams cycle through an agreement's lifecycle.
func lifecycleType(v int64) string {
	switch (v - 1) % 14 {
	case 0:
		return events.TypeAgreementProposed
	case 1:
		return events.TypeTalksOpened
	case 2, 3, 6:
		return events.TypeTalksRoundHeld
	case 4:
		return events.TypeTalksStalled
	case 5:
		return events.TypeTalksResumed
	case 7:
		return events.TypeAgreedInPrinciple
	case 8:
		return events.TypeExpectationReported
	case 9:
		return events.TypeAgreementSigned
	case 10, 11:
		return events.TypeDomesticApprovalCompleted
	case 12:
		return events.TypeInstrumentsExchanged
	}
	return events.TypeEnteredIntoForce
}

// publication returns the source publication of the event at version v.
func publication(v int64) string {
	switch v % 4 {
	case 0:
		return "Kyodo News"
	case 1:
		return "Reuters"
	case 2:
		return "The Japan Times"
	}
	return "NHK World"
}

// IDs makes the unique, UUID-shaped event ids of one writer.
type IDs struct {
	r *rand.Rand
	n uint64
}

// NewIDs returns the id maker of writer w for seed.
func NewIDs(seed uint64, w int) *IDs {
	return &IDs{r: rand.New(rand.NewPCG(seed, uint64(w)+1<<32))}
}

// Next returns a new id: the writer and a counter in the first fields
// (unique), random bits in the last, in the form
// %08x-%04x-8000-8000-%012x.
func (g *IDs) Next(writer int) string {
	g.n++
	var b [36]byte
	putHex(b[0:8], g.n)
	b[8] = '-'
	putHex(b[9:13], uint64(writer&0xffff))
	copy(b[13:24], "-8000-8000-")
	putHex(b[24:36], g.r.Uint64()&(1<<48-1))
	return string(b[:])
}

// putHex writes v in lower-case hex into b, zero-padded to len(b) digits
// (the lowest len(b) digits).
func putHex(b []byte, v uint64) {
	const digits = "0123456789abcdef"
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
}

// Events returns k new events for stream i, to be appended after version
// from (the event at from+j gets the lifecycle type of version from+j+1).
// ids gives their ids.
func (w *Workload) Events(i int, from int64, k int, ids *IDs, writer int) []events.Event {
	s := &w.streams[i]
	out := make([]events.Event, k)
	for j := range out {
		v := from + int64(j) + 1
		day := s.base.AddDate(0, 0, int(v)*daysPerEvent)
		d := events.DayOf(day)
		out[j] = events.Event{
			ID:         ids.Next(writer),
			Stream:     s.name,
			Data:       w.payload(s, v, day),
			OccurredAt: d,
			ReportedAt: d,
			Source: events.Source{
				Publication: publication(v),
				Title:       "Talks on the defence pact move ahead",
				URL:         "https://news.example.com/asia/defence/" + s.agreement,
				Date:        d,
			},
			Confidence: events.Confirmed,
		}
	}
	return out
}

// payload returns the data of the event at version v of s: a lifecycle
// payload with the agreement's reference (about 300 bytes of JSON).
func (w *Workload) payload(s *streamInfo, v int64, day time.Time) events.Payload {
	typ := lifecycleType(v)
	ref := events.AgreementRef{Agreement: s.agreement, Parties: s.parties, Kind: "raa", Title: s.title}
	switch typ {
	case events.TypeAgreementProposed:
		return &events.AgreementProposed{AgreementRef: ref, ProposedBy: s.parties[0]}
	case events.TypeTalksOpened:
		return &events.TalksOpened{AgreementRef: ref, Location: "Tokyo, Ministry of Foreign Affairs"}
	case events.TypeTalksRoundHeld:
		return &events.TalksRoundHeld{AgreementRef: ref, Round: int(v), Location: "London, Foreign, Commonwealth and Development Office"}
	case events.TypeTalksStalled:
		return &events.TalksStalled{AgreementRef: ref, Reason: "disagreement over criminal jurisdiction over visiting forces"}
	case events.TypeTalksResumed:
		return &events.TalksResumed{AgreementRef: ref}
	case events.TypeAgreedInPrinciple:
		return &events.AgreedInPrinciple{AgreementRef: ref}
	case events.TypeExpectationReported:
		return &events.ExpectationReported{Agreement: s.agreement, ExpectedType: events.TypeAgreementSigned,
			ExpectedBy: events.DayOf(day.AddDate(0, 3, 0)), SaidBy: "government officials",
			Summary: "Officials said the agreement is expected to be signed within three months of the agreement in principle."}
	case events.TypeAgreementSigned:
		return &events.AgreementSigned{AgreementRef: ref, Location: "Tokyo", Signatories: []string{"Prime Minister of " + s.parties[0], "Prime Minister of " + s.parties[1]}}
	case events.TypeDomesticApprovalCompleted:
		p := s.parties[v%2]
		return &events.DomesticApprovalCompleted{AgreementRef: ref, Party: p, Body: "Parliament of " + p}
	case events.TypeInstrumentsExchanged:
		return &events.InstrumentsExchanged{AgreementRef: ref}
	default:
		return &events.EnteredIntoForce{AgreementRef: ref}
	}
}
