package storetest

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/accord-dev/accord/events"
)

// Gen makes valid test events with unique ids ("<prefix>-<n>") and varied
// types, dates, precisions and evidence. It is safe for concurrent use.
type Gen struct {
	prefix string
	n      atomic.Int64
}

// NewGen returns a generator whose ids start with prefix (letters, digits,
// '.', '_', ':' or '-'; keep it short).
func NewGen(prefix string) *Gen { return &Gen{prefix: prefix} }

// AgreementStream returns the stream "agreement/<name>" for a test
// agreement; name must be lower-case letters and digits joined by '-'.
func AgreementStream(name string) string { return events.AgreementStream(name) }

// CountryStream returns the stream "country/<code>"; code must be three
// upper-case letters.
func CountryStream(code string) string { return events.CountryStream(code) }

// Event returns a new valid event of stream (an "agreement/..." or
// "country/..." stream) with Stream set and a fresh id. The n-th event of a
// generator cycles through a few payload types, date precisions,
// confidences and optional fields, so a batch covers most columns.
func (g *Gen) Event(stream string) events.Event {
	n := int(g.n.Add(1))
	kind, name, ok := strings.Cut(stream, "/")
	if !ok {
		panic("storetest: stream " + stream + " has no kind/")
	}
	var data events.Payload
	switch kind {
	case "agreement":
		ref := events.AgreementRef{Agreement: name}
		switch n % 5 {
		case 0:
			data = &events.TalksRoundHeld{AgreementRef: ref, Round: n, Location: "Tokyo"}
		case 1:
			ref.Parties, ref.Kind, ref.Title = []string{"GBR", "JPN"}, "raa", "Test agreement "+name
			data = &events.AgreementSigned{AgreementRef: ref, Location: "London", Signatories: []string{"A. Signer", fmt.Sprintf("B. Signer %d", n)}}
		case 2:
			data = &events.StatementIssued{Country: "JPN", Agreement: name, Speaker: "Spokesperson", Stance: events.StancePositive, Summary: fmt.Sprintf("statement %d", n)}
		case 3:
			data = &events.ExpectationReported{Agreement: name, ExpectedType: events.TypeAgreementSigned,
				ExpectedBy: events.MustDate(fmt.Sprintf("%d-%02d", 2020+n%5, 1+n%12)), SaidBy: "officials", Summary: fmt.Sprintf("expectation %d", n)}
		default:
			data = &events.TalksStalled{AgreementRef: ref, Reason: fmt.Sprintf("reason %d", n)}
		}
	case "country":
		switch n % 3 {
		case 0:
			data = &events.LeadershipChanged{Country: name, Office: "prime_minister", From: fmt.Sprintf("Leader %d", n-1), To: fmt.Sprintf("Leader %d", n), Reason: "resignation"}
		case 1:
			g := float64(n%20) - 10.5
			data = &events.PoliticalEvent{Country: name, Actors: []string{name}, Recipients: []string{"JPN"}, CAMEO: "036",
				PloverEvent: "CONSULT", Goldstein: &g, Text: fmt.Sprintf("political event %d", n), OriginalID: fmt.Sprintf("orig-%d", n)}
		default:
			data = &events.ElectionHeld{Country: name, Body: "House", Winner: "Party", Summary: fmt.Sprintf("election %d", n)}
		}
	default:
		panic("storetest: stream kind " + kind + " is not agreement or country")
	}
	year := 2000 + n%20
	e := events.Event{
		ID:     fmt.Sprintf("%s-%d", g.prefix, n),
		Stream: stream,
		Data:   data,
		Source: events.Source{
			Publication: "Test Wire",
			Title:       fmt.Sprintf("Report %d", n),
			Date:        events.MustDate(fmt.Sprintf("%d-%02d-%02d", year, 1+n%12, 1+n%28)),
		},
		Confidence: []events.Confidence{events.Confirmed, events.Reported, events.Rumoured}[n%3],
	}
	switch n % 3 {
	case 0:
		e.OccurredAt = events.MustDate(fmt.Sprintf("%d-%02d-%02d", year, 1+n%12, 1+n%28))
	case 1:
		e.OccurredAt = events.MustDate(fmt.Sprintf("%d-%02d", year, 1+n%12))
		e.Source.URL = fmt.Sprintf("https://example.org/report/%d", n)
	default:
		e.OccurredAt = events.MustDate(fmt.Sprintf("%d", year))
		e.Analyst = "analyst-" + g.prefix
	}
	if n%4 == 0 {
		e.ReportedAt = events.MustDate(fmt.Sprintf("%d-12-31", year))
		e.CorrelationID = "corr-" + g.prefix
		e.CausationID = fmt.Sprintf("%s-%d", g.prefix, n-1)
	}
	return e
}

// Events returns k new events of stream (see Event).
func (g *Gen) Events(stream string, k int) []events.Event {
	out := make([]events.Event, k)
	for i := range out {
		out[i] = g.Event(stream)
	}
	return out
}
