package backtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// forecastView is everything a case result says that was computed from
// the knowledge at known_at: where the agreement stood, the horizon, and
// each model's forecast (accord's with a digest of its samples). The
// outcome and the scores are left out: they come from the whole log.
func forecastView(t tb, r *Report) string {
	t.Helper()
	type view struct {
		Case     Case
		From     projections.Stage
		FromDate events.Date
		Horizon  events.Date
		Accord   *ForecastSummary
		Naive    *ForecastSummary
		NaiveOK  string
		Uniform  *ForecastSummary
	}
	var vs []view
	for _, c := range r.Cases {
		vs = append(vs, view{c.Case, c.From, c.FromDate, c.Horizon, c.Accord.Forecast, c.Naive.Forecast, c.Naive.Note, c.Uniform.Forecast})
	}
	b, err := json.MarshalIndent(vs, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tb is what the helpers need of a *testing.T or a *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
}

// leakGen draws events and edits of a log for one case.
type leakGen struct {
	rt        *rapid.T
	c         *events.Codec
	known     events.Date // the case's known_at
	agreement string      // the case's agreement
	parties   map[string][]string
	ids       []string // agreements of the log
	n         int
}

var lifecycleNoExtra = []string{
	events.TypeAgreementProposed, events.TypeTalksOpened, events.TypeTalksRoundHeld, events.TypeTalksStalled,
	events.TypeTalksResumed, events.TypeAgreedInPrinciple, events.TypeTextInitialled, events.TypeAgreementSigned,
	events.TypeInstrumentsExchanged, events.TypeEnteredIntoForce, events.TypeProvisionallyApplied,
	events.TypeSuspended, events.TypeTerminated, events.TypeAbandoned,
}

func (g *leakGen) day(label string, from, to int) events.Date {
	d := rapid.IntRange(from, to).Draw(g.rt, label)
	return events.DayOf(g.known.Day.AddDate(0, 0, d))
}

// event draws a new event occurring on occ and reported on rep, of any
// kind that could matter to the case: a lifecycle event of the case's
// agreement or of another (or of a new one), an expectation, a statement,
// a leadership change in a party, or a retraction or correction of any
// event of log.
func (g *leakGen) event(log []events.Event, occ, rep events.Date) events.Event {
	g.n++
	rt := g.rt
	ag := g.agreement
	if rapid.Bool().Draw(rt, "other_agreement") {
		ag = rapid.SampledFrom(g.ids).Draw(rt, "agreement")
	}
	var typ string
	var data any
	switch kind := rapid.IntRange(0, 7).Draw(rt, "kind"); kind {
	case 0, 1, 2:
		typ = rapid.SampledFrom(lifecycleNoExtra).Draw(rt, "type")
		data = map[string]any{"agreement": ag}
	case 3:
		typ = events.TypeDomesticApprovalCompleted
		data = map[string]any{"agreement": ag, "party": rapid.SampledFrom(g.parties[ag]).Draw(rt, "party"), "body": "Parliament"}
	case 4:
		typ = events.TypeExpectationReported
		data = map[string]any{"agreement": ag, "expected_type": rapid.SampledFrom(lifecycleNoExtra).Draw(rt, "expected_type"),
			"expected_by": g.day("expected_by", -100, 500).String(), "said_by": "officials"}
	case 5:
		typ = events.TypeLeadershipChanged
		data = map[string]any{"country": rapid.SampledFrom(g.parties[ag]).Draw(rt, "country"), "office": "prime_minister", "to": fmt.Sprintf("Leader %d", g.n)}
	case 6:
		target := &log[rapid.IntRange(0, len(log)-1).Draw(rt, "target")]
		if rapid.Bool().Draw(rt, "retract") {
			typ = events.TypeEventRetracted
			data = map[string]any{"target": target.ID, "agreement": payloadAgreement(target)}
		} else {
			typ = events.TypeEventCorrected
			data = map[string]any{"target": target.ID, "agreement": payloadAgreement(target), "occurred_at": g.day("corrected_to", -900, 400).String()}
		}
	default:
		// A new agreement, with its parties.
		typ = rapid.SampledFrom([]string{events.TypeTalksOpened, events.TypeAgreementSigned, events.TypeEnteredIntoForce}).Draw(rt, "type")
		data = map[string]any{"agreement": fmt.Sprintf("nor-swe-x%d", g.n), "parties": []string{"NOR", "SWE"}, "kind": "raa"}
	}
	stream := ""
	if typ == events.TypeEventRetracted || typ == events.TypeEventCorrected {
		if d := data.(map[string]any); d["agreement"] == "" {
			delete(d, "agreement")
			stream = log[rapid.IntRange(0, len(log)-1).Draw(rt, "stream_of")].Stream
		}
	}
	line, err := json.Marshal(map[string]any{
		"type": typ, "stream": stream, "occurred_at": occ.String(), "reported_at": rep.String(), "data": data,
		"source":     map[string]any{"publication": "Leak test", "title": fmt.Sprintf("event %d", g.n), "date": rep.String()},
		"confidence": rapid.SampledFrom([]string{"confirmed", "reported", "rumoured"}).Draw(rt, "confidence"),
	})
	if err != nil {
		rt.Fatal(err)
	}
	e, err := events.ParseWire(g.c, line)
	if err != nil {
		rt.Fatalf("%s: %v", line, err)
	}
	return e
}

func payloadAgreement(e *events.Event) string {
	if p, ok := e.Data.(events.AgreementPayload); ok {
		return p.AgreementID()
	}
	return ""
}

// mutate adds, removes and alters events for which late is true; when
// knowledge is set, new and altered events are reported after known_at,
// otherwise recorded at recorded (any reporting date).
func (g *leakGen) mutate(log []events.Event, late func(*events.Event) bool, knowledge bool, recorded time.Time) []events.Event {
	rt := g.rt
	out := slices.Clone(log)
	dates := func() (occ, rep events.Date) {
		if knowledge {
			rep = g.day("reported", 1, 500)
			occ = g.day("occurred", -900, 0)
			if rapid.Bool().Draw(rt, "occurred_late") {
				occ = rep
			}
			return occ, rep
		}
		occ = g.day("occurred", -900, 400)
		return occ, events.DayOf(occ.Day.AddDate(0, 0, rapid.IntRange(0, 200).Draw(rt, "delay")))
	}
	for range rapid.IntRange(1, 6).Draw(rt, "edits") {
		var lateIdx []int
		for i := range out {
			if late(&out[i]) {
				lateIdx = append(lateIdx, i)
			}
		}
		op := rapid.IntRange(0, 2).Draw(rt, "op")
		if len(lateIdx) == 0 {
			op = 0
		}
		switch op {
		case 0: // add
			occ, rep := dates()
			e := g.event(out, occ, rep)
			if !knowledge {
				e.RecordedAt = recorded
			}
			out = append(out, e)
		case 1: // remove
			i := rapid.SampledFrom(lateIdx).Draw(rt, "remove")
			out = slices.Delete(out, i, i+1)
		case 2: // alter: new dates and content, same id
			i := rapid.SampledFrom(lateIdx).Draw(rt, "alter")
			occ, rep := dates()
			e := g.event(out, occ, rep)
			e.ID, e.RecordedAt = out[i].ID, out[i].RecordedAt
			out[i] = e
		}
	}
	return out
}

func newLeakGen(rt *rapid.T, log []events.Event, c Case) *leakGen {
	set := projections.NewSet(nil)
	if err := set.ApplyAll(log); err != nil {
		rt.Fatal(err)
	}
	g := &leakGen{rt: rt, c: events.NewCodec(), known: c.KnownAt, agreement: c.Agreement, parties: map[string][]string{}}
	for _, st := range set.Agreements.At(projections.Cut{}) {
		g.ids = append(g.ids, st.ID)
		g.parties[st.ID] = st.Parties
	}
	return g
}

const leakRuns = 200

// TestLeakKnownAt: adding, removing or altering any event reported after
// a case's known_at never changes its forecasts (same seed: the same
// samples, byte for byte), whatever the event: a lifecycle event of the
// agreement itself (even one that occurred before known_at but was
// revealed later), of the agreements of its reference class, an
// expectation, a leadership change, a retraction or a correction.
func TestLeakKnownAt(t *testing.T) {
	log := bundled(t)
	cases, err := DeriveCases(log, nil, BundledOffsets())
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(rt *rapid.T) {
		c := rapid.SampledFrom(cases).Draw(rt, "case")
		g := newLeakGen(rt, log, c)
		kd := c.KnownAt.Day
		late := func(e *events.Event) bool { return e.KnownAt().Day.After(kd) }
		mutated := g.mutate(log, late, true, time.Time{})
		before := runView(rt, log, c, time.Time{})
		after := runView(rt, mutated, c, time.Time{})
		if before != after {
			rt.Fatalf("events reported after %s changed the forecast of %v:\nbefore %s\nafter %s", c.KnownAt, c, before, after)
		}
	})
}

// TestLeakRecordedBy: with --recorded-by, adding, removing or altering any
// event recorded after it never changes a forecast, even events reported
// long before known_at; and a log with such events gives the forecasts of
// the log without them.
func TestLeakRecordedBy(t *testing.T) {
	rb := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	log := slices.Clone(bundled(t))
	for i := range log {
		log[i].RecordedAt = rb.Add(-time.Duration(len(log)-i) * time.Second)
	}
	cases, err := DeriveCases(log, nil, BundledOffsets())
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(rt *rapid.T) {
		c := rapid.SampledFrom(cases).Draw(rt, "case")
		g := newLeakGen(rt, log, c)
		late := func(e *events.Event) bool { return e.RecordedAt.After(rb) }
		// A base with some late-recorded events, then edits of them.
		base := g.mutate(log, func(*events.Event) bool { return false }, false, rb.Add(time.Hour))
		mutated := g.mutate(base, late, false, rb.Add(2*time.Hour))
		want := runView(rt, log, c, time.Time{})
		for name, l := range map[string][]events.Event{"base": base, "mutated": mutated} {
			if got := runView(rt, l, c, rb); got != want {
				rt.Fatalf("events recorded after %s changed the forecast of %v (%s):\nwant %s\ngot %s", rb, c, name, want, got)
			}
		}
	})
}

func runView(rt tb, log []events.Event, c Case, recordedBy time.Time) string {
	r, err := Run(log, []Case{c}, Options{Runs: leakRuns, Seed: 5, RecordedBy: recordedBy})
	if err != nil {
		rt.Fatal(err)
	}
	return forecastView(rt, r)
}

// TestLeakTestsAreSensitive shows the leak tests can see a change: the
// same kind of edit, made to what the forecast may know, does change it.
func TestLeakTestsAreSensitive(t *testing.T) {
	log := bundled(t)
	c := Case{Agreement: "gbr-jpn-raa", Stage: "signed", KnownAt: events.MustDate("2022-10-13")}
	before := runView(t, log, c, time.Time{})
	// An expectation reported on known_at itself is known.
	line := `{"type":"expectation_reported","occurred_at":"2022-10-13","data":{"agreement":"gbr-jpn-raa","expected_type":"agreement_signed","expected_by":"2022-11","said_by":"officials"},"source":{"publication":"Leak test","title":"t","date":"2022-10-13"},"confidence":"confirmed"}`
	e, err := events.ParseWire(events.NewCodec(), []byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if after := runView(t, append(slices.Clone(log), e), c, time.Time{}); after == before {
		t.Error("an expectation known at known_at did not change the forecast: the leak test would be vacuous")
	}
	// Recorded at or before recorded-by: known.
	rb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.RecordedAt = rb
	if after := runView(t, append(slices.Clone(log), e), c, rb); after == before {
		t.Error("an event recorded by recorded-by did not change the forecast")
	}
}
