package projections

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
)

// synth generates a synthetic log: nAgreements bilateral agreements among
// 200 countries, each going through a full lifecycle (two talks rounds and
// both approvals), plus a statement per 10 events and a leadership change
// in a party per 100, dated over 2000-2024. Events come in valid-time order
// except that about swapPct percent are swapped with a neighbour (late
// arrivals). Ids are UUID-shaped and every event has its own source, as in
// an import from news. emit is called for each event; the events are not
// kept.
func synth(nAgreements, swapPct int, seed uint64, emit func(*events.Event)) {
	r := rand.New(rand.NewPCG(seed, 1))
	countries := make([]string, 200)
	for i := range countries {
		countries[i] = string(rune('A'+i/26%26)) + string(rune('A'+i%26)) + "X"
	}
	type pending struct {
		at time.Time
		p  events.Payload
	}
	var plan []pending
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	lifecycle := []string{
		events.TypeAgreementProposed, events.TypeTalksOpened, events.TypeTalksRoundHeld, events.TypeTalksRoundHeld,
		events.TypeAgreedInPrinciple, events.TypeAgreementSigned, events.TypeDomesticApprovalCompleted,
		events.TypeDomesticApprovalCompleted, events.TypeInstrumentsExchanged, events.TypeEnteredIntoForce,
	}
	c := events.NewCodec()
	for a := range nAgreements {
		i := r.IntN(len(countries))
		j := (i + 1 + r.IntN(len(countries)-1)) % len(countries)
		ps := []string{countries[i], countries[j]}
		slices.Sort(ps)
		id := fmt.Sprintf("%s-%s-k%d", ps[0], ps[1], a)
		id = toLower(id)
		at := base.AddDate(0, 0, r.IntN(20*365))
		for k, typ := range lifecycle {
			at = at.AddDate(0, 0, 1+r.IntN(120))
			ref := events.AgreementRef{Agreement: id}
			if k == 0 {
				ref.Parties, ref.Kind, ref.Title = ps, "raa", "Reciprocal access agreement "+strconv.Itoa(a)
			}
			var p events.Payload
			if typ == events.TypeDomesticApprovalCompleted {
				p = &events.DomesticApprovalCompleted{AgreementRef: ref, Party: ps[k-6], Body: "Parliament"}
			} else {
				p, _ = c.New(typ)
				*p.(events.Lifecycle).Ref() = ref
			}
			plan = append(plan, pending{at, p})
			if r.IntN(10) == 0 {
				plan = append(plan, pending{at, &events.StatementIssued{Country: ps[0], Agreement: id, Stance: events.StancePositive, Summary: "The minister welcomed progress on the agreement."}})
			}
			if r.IntN(100) == 0 {
				plan = append(plan, pending{at.AddDate(0, 0, 3), &events.LeadershipChanged{Country: ps[r.IntN(2)], Office: "prime_minister", From: "Leader " + strconv.Itoa(r.IntN(1000)), To: "Leader " + strconv.Itoa(r.IntN(1000))}})
			}
		}
	}
	slices.SortStableFunc(plan, func(a, b pending) int { return a.at.Compare(b.at) })
	for i := 0; i+1 < len(plan); i++ {
		if r.IntN(100) < swapPct {
			plan[i], plan[i+1] = plan[i+1], plan[i]
		}
	}
	for n, p := range plan {
		d := events.DayOf(p.at)
		e := events.Event{
			ID:         fmt.Sprintf("%08x-%04x-8000-8000-%012x", n, n%65536, r.Uint64()&(1<<48-1)),
			Stream:     p.p.StreamName(),
			Type:       p.p.EventType(),
			Data:       p.p,
			OccurredAt: d, ReportedAt: d,
			RecordedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Millisecond),
			Position:   int64(n + 1),
			Source: events.Source{
				Publication: []string{"Reuters", "Kyodo News", "The Japan Times", "GOV.UK", "ABC News"}[r.IntN(5)],
				Title:       fmt.Sprintf("Ministers move ahead on defence pact, report %d", n),
				URL:         fmt.Sprintf("https://news.example.com/asia/%d/defence-pact", n),
				Date:        d,
			},
			Confidence: events.Confirmed,
		}
		emit(&e)
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// BenchmarkAgreementsApply folds 2000 agreements' lifecycles (about 23,000
// events, 2% arriving late). "replay" applies everything and then queries
// once; "live" also reads the touched agreement after every event, as a
// runner updating its read model does, so that the cached states take the
// incremental fast path.
func BenchmarkAgreementsApply(b *testing.B) {
	var evs []events.Event
	synth(2000, 2, 1, func(e *events.Event) { evs = append(evs, *e) })
	ids := make([]string, len(evs))
	for i := range evs {
		if a, ok := evs[i].Data.(events.AgreementPayload); ok {
			ids[i] = a.AgreementID()
		}
	}
	b.Run("replay", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := NewAgreements(nil)
			for i := range evs {
				if err := p.Apply(&evs[i]); err != nil {
					b.Fatal(err)
				}
			}
			if got := len(p.At(Cut{})); got != 2000 {
				b.Fatalf("%d agreements", got)
			}
		}
		b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("live", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := NewAgreements(nil)
			for i := range evs {
				if err := p.Apply(&evs[i]); err != nil {
					b.Fatal(err)
				}
				if ids[i] != "" {
					p.Get(ids[i], Cut{})
				}
			}
		}
		b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("at-cut", func(b *testing.B) {
		p := NewAgreements(nil)
		for i := range evs {
			_ = p.Apply(&evs[i])
		}
		cut := Cut{AsOf: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)}
		b.ReportAllocs()
		for b.Loop() {
			p.At(cut)
		}
	})
}

// TestReplayMemory replays a synthetic log of ACCORD_REPLAY_EVENTS events
// (skipped when unset; 1000000 for the design target) into a Set and
// reports the live heap. Every event has its own source (about 120 bytes of
// publication, title and URL), which the projections must keep for
// transitions and timelines; the test fails when the heap exceeds 256 MB or
// the overhead beyond the source text exceeds 160 bytes per event.
func TestReplayMemory(t *testing.T) {
	n, before := ReplayMemoryStart(t)
	s := NewSet(nil)
	count, text := 0, 0
	start := time.Now()
	synth(n/11+1, 2, 7, func(e *events.Event) {
		if count < n {
			if err := s.Apply(e); err != nil {
				t.Fatal(err)
			}
			count++
			text += len(e.Source.Title) + len(e.Source.URL)
		}
	})
	applied := time.Since(start)
	after := HeapInUse()
	heap := float64(after.HeapAlloc - before.HeapAlloc)
	overhead := (heap - float64(text)) / float64(count)
	q := time.Now()
	states := s.Agreements.At(Cut{})
	queried := time.Since(q)
	cached := HeapInUse()
	const mb = 1 << 20
	t.Logf("%d events in %v (%.0f/s); live heap %.1f MB = %.1f MB of source titles and URLs + %.0f B/event; "+
		"first At(Cut{}) of %d agreements %v; heap with the cached states %.1f MB",
		count, applied.Round(time.Millisecond), float64(count)/applied.Seconds(), heap/mb, float64(text)/mb, overhead,
		len(states), queried.Round(time.Millisecond), float64(cached.HeapAlloc-before.HeapAlloc)/mb)
	if heap/mb > 256 || overhead > 160 {
		t.Errorf("live heap %.1f MB, %.0f B/event beyond the source text: over budget", heap/mb, overhead)
	}
	runtime.KeepAlive(s)
}
