package projections

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
)

// ev builds a normalized event. rep may be "" (reported when it occurred).
func ev(t testing.TB, c *events.Codec, id, occ, rep string, p events.Payload) events.Event {
	t.Helper()
	e := events.Event{
		ID: id, Data: p, OccurredAt: events.MustDate(occ),
		Source:     events.Source{Publication: "Test Wire", Title: "report " + id, URL: "https://example.org/" + id, Date: events.MustDate(occ)},
		Confidence: events.Confirmed,
	}
	if rep != "" {
		e.ReportedAt = events.MustDate(rep)
		e.Source.Date = e.ReportedAt
	}
	if err := events.Normalize(c, &e); err != nil {
		t.Fatalf("event %s: %v", id, err)
	}
	return e
}

func ref(id string, parties ...string) events.AgreementRef {
	return events.AgreementRef{Agreement: id, Parties: parties}
}

// lifecycle returns an empty lifecycle payload of typ for agreement r.
func lifecycle(t testing.TB, typ string, r events.AgreementRef) events.Payload {
	t.Helper()
	switch typ {
	case events.TypeAgreementProposed:
		return &events.AgreementProposed{AgreementRef: r}
	case events.TypeTalksOpened:
		return &events.TalksOpened{AgreementRef: r}
	case events.TypeTalksRoundHeld:
		return &events.TalksRoundHeld{AgreementRef: r}
	case events.TypeTalksStalled:
		return &events.TalksStalled{AgreementRef: r}
	case events.TypeTalksResumed:
		return &events.TalksResumed{AgreementRef: r}
	case events.TypeAgreedInPrinciple:
		return &events.AgreedInPrinciple{AgreementRef: r}
	case events.TypeTextInitialled:
		return &events.TextInitialled{AgreementRef: r}
	case events.TypeAgreementSigned:
		return &events.AgreementSigned{AgreementRef: r}
	case events.TypeInstrumentsExchanged:
		return &events.InstrumentsExchanged{AgreementRef: r}
	case events.TypeEnteredIntoForce:
		return &events.EnteredIntoForce{AgreementRef: r}
	case events.TypeProvisionallyApplied:
		return &events.ProvisionallyApplied{AgreementRef: r}
	case events.TypeSuspended:
		return &events.Suspended{AgreementRef: r}
	case events.TypeTerminated:
		return &events.Terminated{AgreementRef: r}
	case events.TypeAbandoned:
		return &events.Abandoned{AgreementRef: r}
	}
	t.Fatalf("no lifecycle payload for %q", typ)
	return nil
}

func approval(r events.AgreementRef, party, body string) events.Payload {
	return &events.DomesticApprovalCompleted{AgreementRef: r, Party: party, Body: body}
}

func leader(country, office, from, to string) events.Payload {
	return &events.LeadershipChanged{Country: country, Office: office, From: from, To: to}
}

func retract(target string) events.Payload { return &events.EventRetracted{Target: target} }

func day0(s string) time.Time { return events.MustDate(s).Day }

func applyAll(t testing.TB, s *Set, evs []events.Event) {
	t.Helper()
	for i := range evs {
		if err := s.Apply(&evs[i]); err != nil {
			t.Fatalf("apply %s: %v", evs[i].ID, err)
		}
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func stagesOf(st AgreementState) []Stage {
	out := []Stage{}
	for _, tr := range st.Transitions {
		out = append(out, tr.Stage)
	}
	return out
}
