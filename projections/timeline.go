package projections

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/accord-dev/accord/events"
)

// Timeline is the projection of events in valid-time order, per agreement
// or country, with their sources. It shows history as the cut understands
// it: retracted events are left out and corrected events appear corrected
// (with Corrected set); the retractions and corrections themselves are not
// entries.
//
// Not safe for concurrent use.
type Timeline struct{ x *core }

// NewTimeline returns an empty projection. codec decodes the replacement
// data of corrections; nil means events.NewCodec().
func NewTimeline(codec *events.Codec) *Timeline { return &Timeline{x: newCore(codec, needAll)} }

// Apply adds one event; see Set.Apply for the contract.
func (t *Timeline) Apply(e *events.Event) error { return t.x.apply(e) }

// Entry is one event in a timeline.
type Entry struct {
	OccurredAt events.Date `json:"occurred_at"`
	// ReportedAt is the event's KnownAt.
	ReportedAt events.Date `json:"reported_at"`
	Type       string      `json:"type"`
	Stream     string      `json:"stream"`
	ID         string      `json:"id"`
	// Summary is a short human text: "signed in London", "Sunak succeeded
	// Truss as prime_minister".
	Summary    string            `json:"summary"`
	Source     events.Source     `json:"source"`
	Confidence events.Confidence `json:"confidence"`
	// Corrected is set when a correction changed the event's date or data.
	Corrected bool `json:"corrected,omitempty"`
}

// Agreement returns the events of stream agreement/<id> included by cut,
// sorted by (OccurredAt, ReportedAt, ID). It is empty, not nil, for an
// unknown agreement.
func (t *Timeline) Agreement(id string, cut Cut) []Entry {
	return t.Stream(events.AgreementStream(id), cut)
}

// Stream returns the events of any stream ("kind/name") included by cut, in
// the same order as Agreement.
func (t *Timeline) Stream(name string, cut Cut) []Entry {
	t.x.settle()
	k := compileCut(cut)
	var b timelineBuilder
	if s := t.x.stream(name); s != nil {
		b.add(t.x, s, &k)
	}
	return b.entries(t.x)
}

// Country returns the events of stream country/<code> together with the
// events of every agreement the country is party to at cut (the parties as
// Agreements would report them), in the same order as Agreement; ties
// between streams are broken by event id.
func (t *Timeline) Country(code string, cut Cut) []Entry {
	t.x.settle()
	k := compileCut(cut)
	var b timelineBuilder
	if s := t.x.stream(events.CountryStream(code)); s != nil {
		b.add(t.x, s, &k)
	}
	for _, ai := range t.x.partyOf[code] {
		s := t.x.streams[ai]
		n := len(b.rows)
		b.add(t.x, s, &k)
		if n == len(b.rows) {
			continue
		}
		// The parties at the cut: those of the last event in valid-time
		// order that lists them, as in Agreements.
		var parties []string
		var last *fact
		for i := range b.rows[n:] {
			f := &b.rows[n+i].f
			if r := t.x.refOf(f); r != nil && r.parties != nil && (last == nil || t.x.cmpFacts(last, f) < 0) {
				parties, last = r.parties, f
			}
		}
		if parties == nil {
			parties = idParties(s.key)
		}
		if !slices.Contains(parties, code) {
			b.rows = b.rows[:n]
		}
	}
	return b.entries(t.x)
}

type timelineBuilder struct {
	rows []timelineRow
}

type timelineRow struct {
	f         fact
	s         *stream
	corrected bool
}

// add appends the facts of s included by k.
func (b *timelineBuilder) add(x *core, s *stream, k *cutK) {
	for _, list := range []*factList{&s.facts, &s.lead} {
		for f := range list.all() {
			if v, ok, corrected := x.view(f, k); ok {
				b.rows = append(b.rows, timelineRow{f: v, s: s, corrected: corrected})
			}
		}
	}
}

func (b *timelineBuilder) entries(x *core) []Entry {
	slices.SortFunc(b.rows, func(p, q timelineRow) int { return x.cmpFacts(&p.f, &q.f) })
	out := make([]Entry, 0, len(b.rows))
	for i := range b.rows {
		r := &b.rows[i]
		out = append(out, Entry{
			OccurredAt: r.f.occ.date(),
			ReportedAt: r.f.known.date(),
			Type:       x.typeName(r.f.typ),
			Stream:     r.s.name,
			ID:         x.idText(r.f.eid()),
			Summary:    summary(x, &r.f),
			Source:     x.decodeSource(r.f.src, r.f.sdate),
			Confidence: confName(r.f.conf),
			Corrected:  r.corrected,
		})
	}
	return out
}

// summary is a short human text for a fact.
func summary(x *core, f *fact) string {
	e := x.ex(f)
	in := func(verb, place string) string {
		if place == "" {
			return verb
		}
		return verb + " in " + place
	}
	because := func(verb, by, reason string) string {
		if by != "" {
			verb += " by " + by
		}
		if reason != "" {
			verb += ": " + reason
		}
		return verb
	}
	var out string
	switch f.typ {
	case tProposed:
		out = because("proposed", e.s1, "")
	case tTalksOpened:
		out = in("talks opened", e.s1)
	case tRoundHeld:
		v := "round of talks held"
		if e.n > 0 {
			v = fmt.Sprintf("round %d of talks held", e.n)
		}
		out = in(v, e.s1)
	case tStalled:
		out = because("talks stalled", "", e.s1)
	case tResumed:
		out = "talks resumed"
	case tAIP:
		out = "agreed in principle"
	case tInitialled:
		out = "text initialled"
	case tSigned:
		out = in("signed", e.s1)
		if e.s2 != "" {
			out += " by " + e.s2
		}
	case tApproval:
		out = e.s1 + " completed domestic approval"
		if e.s2 != "" {
			out += " (" + e.s2 + ")"
		}
	case tExchanged:
		out = "instruments exchanged"
	case tEIF:
		out = "entered into force"
	case tPA:
		out = "provisionally applied"
	case tSuspended:
		out = because("suspended", e.s2, e.s1)
	case tTerminated:
		out = because("terminated", e.s2, e.s1)
	case tAbandoned:
		out = because("abandoned", "", e.s1)
	case tLeadership:
		if e.s2 != "" {
			out = fmt.Sprintf("%s succeeded %s as %s", e.s3, e.s2, e.s1)
		} else {
			out = fmt.Sprintf("%s became %s", e.s3, e.s1)
		}
	case tElection:
		out = "election held"
		if e.s1 != "" {
			out = e.s1 + " election held"
		}
		if e.s2 != "" {
			out += ", won by " + e.s2
		}
		if e.s3 != "" {
			out += ": " + e.s3
		}
	case tCollapsed:
		out = because("government collapsed", "", e.s1)
	case tStatement:
		out = "statement"
		if e.s1 != "" {
			out = e.s1
		}
		if e.s2 != "" {
			out += " (" + e.s2 + ")"
		}
		out += ": " + e.s3
	case tExpectation:
		out = fmt.Sprintf("%s expects %s by %s", e.s2, strings.ReplaceAll(e.s1, "_", " "), e.d.date())
	case tPolitical:
		out = e.s1
		if out == "" {
			out = strings.TrimSpace(e.s2 + " " + e.s3)
		}
	}
	if out == "" {
		out = strings.ReplaceAll(x.typeName(f.typ), "_", " ")
	}
	return clipText(out, 160)
}

// clipText shortens s to at most n runes, ending with "…" when cut.
func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
