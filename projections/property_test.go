package projections

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"pgregory.net/rapid"
)

// The property: for random logs (random agreements and lifecycle types,
// leadership changes, expectations, statements, random valid and reported
// times out of order, random retractions and corrections of earlier events,
// including retractions of retractions and corrections with bad data),
//
//  1. applying every event in one go, in log order, equals applying them in
//     any arrival order, split into any batches, with queries between the
//     batches (so that the cached states take their fast and slow paths),
//     with some events delivered twice; and
//  2. both equal a projection fed the corrected log in valid-time order:
//     the events known at the cut, with retracted events removed and
//     corrections applied, and no retractions or corrections;
//
// compared as the JSON of every query of every projection, at the zero cut
// and at random cuts.

func propAgreements() []string {
	return []string{"aus-jpn-raa", "gbr-jpn-raa", "jpn-phl-raa", "aus-gbr-jpn-tri"}
}

func propCountries() []string { return []string{"AUS", "GBR", "JPN", "PHL", "USA"} }

type propGen struct {
	rt     *rapid.T
	c      *events.Codec
	evs    []events.Event
	usePos bool
	dense  bool // dates within a few weeks, so that ties are common
	ids    int  // 0: short text ids; 1: UUIDs; 2: a mix, upper-case UUIDs included
}

func (g *propGen) id(i int) string {
	style := g.ids
	if style == 2 {
		style = rapid.IntRange(0, 2).Draw(g.rt, "id_style")
	}
	switch style {
	case 0:
		return fmt.Sprintf("e%02d", i)
	case 1:
		return fmt.Sprintf("%08x-0000-8000-8000-%012x", rapid.Uint32().Draw(g.rt, "uuid"), i)
	}
	return fmt.Sprintf("%08X-0000-8000-8000-%012X", rapid.Uint32().Draw(g.rt, "uuid"), i)
}

func propBase() time.Time { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) }

func (g *propGen) date(label string) events.Date {
	span := 5 * 365
	if g.dense {
		span = 40
	}
	d := propBase().AddDate(0, 0, rapid.IntRange(0, span).Draw(g.rt, label))
	switch rapid.IntRange(0, 9).Draw(g.rt, label+"_precision") {
	case 0:
		return events.MustDate(d.Format("2006"))
	case 1, 2:
		return events.MustDate(d.Format("2006-01"))
	}
	return events.MustDate(d.Format("2006-01-02"))
}

func (g *propGen) pick(label string, from []string) string {
	return rapid.SampledFrom(from).Draw(g.rt, label)
}

func (g *propGen) parties(id string) []string {
	ps := idParties(id)
	switch rapid.IntRange(0, 19).Draw(g.rt, "parties") {
	case 0:
		return append(slices.Clone(ps), "USA")
	case 1, 2, 3, 4, 5, 6:
		ps = slices.Clone(ps)
		slices.Reverse(ps)
		return ps
	}
	return nil
}

func (g *propGen) payload() events.Payload {
	id := g.pick("agreement", propAgreements())
	r := events.AgreementRef{Agreement: id}
	switch rapid.IntRange(0, 9).Draw(g.rt, "kind") {
	case 0:
		return &events.LeadershipChanged{
			Country: g.pick("country", propCountries()), Office: g.pick("office", []string{"prime_minister", "president"}),
			From: g.pick("from", []string{"", "Ann", "Bob", "Cy"}), To: g.pick("to", []string{"Ann", "Bob", "Cy", "Dee"}),
		}
	case 1:
		return &events.ExpectationReported{Agreement: id, ExpectedType: g.pick("expected", events.LifecycleTypes()), ExpectedBy: g.date("expected_by"), SaidBy: g.pick("said_by", []string{"Kyodo", "Reuters"})}
	case 2:
		if rapid.Bool().Draw(g.rt, "statement") {
			return &events.StatementIssued{Country: "JPN", Agreement: id, Stance: events.StancePositive, Summary: "fine"}
		}
		return &events.PoliticalEvent{Country: g.pick("country", propCountries()), Text: "talks"}
	case 3:
		party := g.pick("party", append(idParties(id), "USA"))
		return &events.DomesticApprovalCompleted{AgreementRef: r, Party: party, Body: "Parliament"}
	}
	typ := g.pick("type", events.LifecycleTypes())
	if typ == events.TypeDomesticApprovalCompleted {
		typ = events.TypeInstrumentsExchanged
	}
	r.Parties = g.parties(id)
	if rapid.IntRange(0, 4).Draw(g.rt, "titled") == 0 {
		r.Kind, r.Title = "raa", g.pick("title", []string{"Reciprocal Access Agreement", "RAA"})
	}
	p, _ := g.c.New(typ)
	b, _ := json.Marshal(r)
	_ = json.Unmarshal(b, p)
	return p
}

// meta returns a retraction or correction of an earlier event, or nil when
// there is none.
func (g *propGen) meta() events.Payload {
	if len(g.evs) == 0 {
		return nil
	}
	target := &g.evs[rapid.IntRange(0, len(g.evs)-1).Draw(g.rt, "target")]
	agreement, country := "", ""
	kind, name, _ := strings.Cut(target.Stream, "/")
	if kind == "country" {
		country = name
	} else {
		agreement = name
	}
	if agreement == "" && country == "" || rapid.IntRange(0, 4).Draw(g.rt, "wrong_hint") == 0 {
		agreement, country = g.pick("hint", propAgreements()), ""
	}
	if rapid.Bool().Draw(g.rt, "retract") {
		return &events.EventRetracted{Target: target.ID, Agreement: agreement, Country: country}
	}
	c := &events.EventCorrected{Target: target.ID, Agreement: agreement, Country: country}
	what := rapid.IntRange(0, 2).Draw(g.rt, "correct")
	if what != 1 {
		c.OccurredAt = g.date("corrected_at")
	}
	if what != 0 {
		c.Data = g.correctData(target)
	}
	return c
}

// correctData returns replacement data for target: its own data with a
// field or two changed, or (sometimes) data that does not fit its type.
func (g *propGen) correctData(target *events.Event) json.RawMessage {
	if rapid.IntRange(0, 6).Draw(g.rt, "bad_data") == 0 {
		return json.RawMessage(`{"bogus":true}`)
	}
	b, _ := g.c.Encode(target.Data)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if _, ok := m["party"]; ok {
		m["party"] = g.pick("new_party", idParties(m["agreement"].(string)))
	} else if _, ok := m["to"]; ok {
		m["to"] = g.pick("new_to", []string{"Ann", "Bob", "Cy", "Dee", "Eve"})
	} else if _, ok := m["expected_by"]; ok {
		m["expected_by"] = g.date("new_expected_by").String()
	} else if id, ok := m["agreement"].(string); ok {
		if ps := g.parties(id); ps != nil {
			m["parties"] = ps
		} else {
			delete(m, "parties")
		}
		m["title"] = g.pick("new_title", []string{"Corrected", "RAA"})
	} else {
		m["text"] = "corrected"
	}
	out, _ := json.Marshal(m)
	return out
}

func (g *propGen) event(i int) events.Event {
	var p events.Payload
	if rapid.IntRange(0, 5).Draw(g.rt, "is_meta") == 0 {
		p = g.meta()
	}
	if p == nil {
		p = g.payload()
	}
	occ := g.date("occurred_at")
	e := events.Event{
		ID: g.id(i), Data: p, OccurredAt: occ,
		Source: events.Source{
			Publication: g.pick("publication", []string{"Kyodo", "Asahi", "Reuters"}),
			Title:       g.pick("title", []string{"", "x", "xhttp://a"}), URL: g.pick("url", []string{"", "http://a", "http://b", "http://ahttp://a"}), Date: occ,
		},
		Confidence: events.Confidence(g.pick("confidence", []string{"confirmed", "reported", "rumoured"})),
	}
	if e.Source.Title == "" && e.Source.URL == "" {
		e.Source.Title = "t" // a source needs one of them
	}
	maxLag := 200
	if g.dense {
		maxLag = 20
	}
	if lag := rapid.IntRange(-30, maxLag).Draw(g.rt, "lag"); lag > 0 {
		e.ReportedAt = events.DayOf(occ.Day.AddDate(0, 0, lag))
	}
	if rapid.Bool().Draw(g.rt, "recorded") {
		e.RecordedAt = propBase().AddDate(5, 0, 0).Add(time.Duration(rapid.IntRange(0, 1000).Draw(g.rt, "recorded_at")) * time.Hour)
	}
	if g.usePos {
		e.Position = int64(i + 1)
	}
	if err := events.Normalize(g.c, &e); err != nil {
		g.rt.Fatalf("generated an invalid event: %v (%#v)", err, p)
	}
	return e
}

func (g *propGen) cut(label string) Cut {
	var c Cut
	hi := 6 * 365
	if g.dense {
		hi = 80
	}
	if rapid.Bool().Draw(g.rt, label+"_as_of") {
		c.AsOf = propBase().Add(time.Duration(rapid.IntRange(-100, hi).Draw(g.rt, label+"_as_of_d")) * 24 * time.Hour).
			Add(time.Duration(rapid.IntRange(0, 23).Draw(g.rt, label+"_as_of_h")) * time.Hour)
	}
	if rapid.Bool().Draw(g.rt, label+"_known_at") {
		c.KnownAt = propBase().Add(time.Duration(rapid.IntRange(0, hi).Draw(g.rt, label+"_known_at_d")) * 24 * time.Hour)
	}
	if rapid.IntRange(0, 3).Draw(g.rt, label+"_recorded_by") == 0 {
		c.RecordedBy = propBase().AddDate(5, 0, 0).Add(time.Duration(rapid.IntRange(0, 1000).Draw(g.rt, label+"_recorded_by_h")) * time.Hour)
	}
	return c
}

// snapshot is the JSON of every query at cut. With plain set, the
// Corrected flags of timeline entries are cleared (the corrected log has no
// corrections to flag).
func snapshot(t testing.TB, s *Set, cut Cut, plain bool) string {
	var b strings.Builder
	add := func(name string, v any) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(mustJSON(t, v))
		b.WriteString("\n")
	}
	add("agreements", s.Agreements.At(cut))
	for _, id := range propAgreements() {
		st, ok := s.Agreements.Get(id, cut)
		add("agreement "+id, map[string]any{"ok": ok, "state": st})
		tl := s.Timeline.Agreement(id, cut)
		if plain {
			for i := range tl {
				tl[i].Corrected = false
			}
		}
		add("timeline "+id, tl)
	}
	add("leadership", s.Leadership.At(cut))
	add("network", s.Network.At(cut))
	for _, c := range propCountries() {
		tl := s.Timeline.Country(c, cut)
		if plain {
			for i := range tl {
				tl[i].Corrected = false
			}
		}
		add("timeline "+c, tl)
		add("offices "+c, s.Leadership.Country(c, cut))
	}
	return b.String()
}

// correctedLog is the oracle: the events of evs that cut knows, with
// retractions applied (a retraction counts when cut knows it and no
// retraction that counts retracts it) and corrections applied in (KnownAt,
// Position, ID) order, without retractions and corrections, in valid-time
// order. It is written independently of the package's own resolution.
func correctedLog(c *events.Codec, evs []events.Event, cut Cut) []events.Event {
	byTarget := map[string][]*events.Event{}
	for i := range evs {
		switch p := evs[i].Data.(type) {
		case *events.EventRetracted:
			byTarget[p.Target] = append(byTarget[p.Target], &evs[i])
		case *events.EventCorrected:
			byTarget[p.Target] = append(byTarget[p.Target], &evs[i])
		}
	}
	var counts func(m *events.Event) bool
	counts = func(m *events.Event) bool {
		if !cut.Knows(m) {
			return false
		}
		for _, r := range byTarget[m.ID] {
			if _, ok := r.Data.(*events.EventRetracted); ok && counts(r) {
				return false
			}
		}
		return true
	}
	var out []events.Event
	for _, e := range evs {
		switch e.Data.(type) {
		case *events.EventRetracted, *events.EventCorrected:
			continue
		}
		if !cut.Knows(&e) {
			continue
		}
		var fixes []*events.Event
		retracted := false
		for _, m := range byTarget[e.ID] {
			if !counts(m) {
				continue
			}
			if _, ok := m.Data.(*events.EventRetracted); ok {
				retracted = true
			} else {
				fixes = append(fixes, m)
			}
		}
		if retracted {
			continue
		}
		slices.SortFunc(fixes, func(a, b *events.Event) int {
			return cmp.Or(a.KnownAt().Compare(b.KnownAt()), cmp.Compare(a.Position, b.Position), strings.Compare(a.ID, b.ID))
		})
		for _, m := range fixes {
			p := m.Data.(*events.EventCorrected)
			if !p.OccurredAt.IsZero() {
				e.OccurredAt = p.OccurredAt
			}
			if len(p.Data) > 0 {
				if d, err := c.Decode(e.Type, 0, p.Data); err == nil && d.Validate() == nil {
					e.Data = d
				}
			}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b events.Event) int {
		return cmp.Or(a.OccurredAt.Compare(b.OccurredAt), a.KnownAt().Compare(b.KnownAt()), strings.Compare(a.ID, b.ID))
	})
	return out
}

func TestPropertyOrderIndependence(t *testing.T) {
	c := events.NewCodec()
	rapid.Check(t, func(rt *rapid.T) {
		g := &propGen{rt: rt, c: c, usePos: rapid.Bool().Draw(rt, "positions"), dense: rapid.Bool().Draw(rt, "dense"),
			ids: rapid.IntRange(0, 2).Draw(rt, "ids")}
		n := rapid.IntRange(1, 40).Draw(rt, "events")
		for i := range n {
			g.evs = append(g.evs, g.event(i))
		}
		cuts := []Cut{{}}
		for i := range 3 {
			cuts = append(cuts, g.cut(fmt.Sprintf("cut%d", i)))
		}

		// Rebuilt from zero in one go, in log order.
		whole := NewSet(c)
		for i := range g.evs {
			if err := whole.Apply(&g.evs[i]); err != nil {
				rt.Fatal(err)
			}
		}

		// Any arrival order, in batches, queried in between, with redelivery.
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		if rapid.Bool().Draw(rt, "nearly_sorted") {
			slices.SortFunc(idx, func(a, b int) int {
				return cmp.Or(g.evs[a].OccurredAt.Compare(g.evs[b].OccurredAt), strings.Compare(g.evs[a].ID, g.evs[b].ID))
			})
			for range rapid.IntRange(0, 3).Draw(rt, "swaps") {
				i := rapid.IntRange(0, n-1).Draw(rt, "swap")
				j := min(n-1, i+1)
				idx[i], idx[j] = idx[j], idx[i]
			}
		} else {
			idx = rapid.Permutation(idx).Draw(rt, "order")
		}
		batched := NewSet(c)
		agreements := NewAgreements(c)
		// Streams remember their recent infos and sources from the first
		// fact on, or after a few (see streamCache).
		batched.x.cacheAfter = rapid.IntRange(0, 3).Draw(rt, "cache_after")
		agreements.x.cacheAfter = 0
		for start := 0; start < n; {
			end := start + rapid.IntRange(1, n-start).Draw(rt, "batch")
			for _, i := range idx[start:end] {
				_ = batched.Apply(&g.evs[i])
				_ = agreements.Apply(&g.evs[i])
				if rapid.IntRange(0, 9).Draw(rt, "redeliver") == 0 {
					_ = batched.Apply(&g.evs[i])
				}
			}
			batched.Agreements.At(Cut{})
			batched.Leadership.At(Cut{})
			agreements.At(Cut{})
			if rapid.IntRange(0, 3).Draw(rt, "query_cut") == 0 {
				batched.Network.At(cuts[1])
			}
			start = end
		}
		// The same, folding leadership changes in full (no binary search).
		slow := NewSet(c)
		slow.x.slowFold = true
		slow.x.cacheAfter = 0
		for _, i := range idx {
			_ = slow.Apply(&g.evs[i])
		}
		if whole.Len() != n || batched.Len() != n {
			rt.Fatalf("len %d %d, want %d", whole.Len(), batched.Len(), n)
		}

		for ci, cut := range cuts {
			want := snapshot(t, whole, cut, false)
			if got := snapshot(t, batched, cut, false); got != want {
				rt.Fatalf("cut %d %+v: batched differs from whole\n%s", ci, cut, diff(want, got))
			}
			if got := snapshot(t, slow, cut, false); got != want {
				rt.Fatalf("cut %d %+v: slow fold differs from whole\n%s", ci, cut, diff(want, got))
			}
			if got, want := mustJSON(t, agreements.At(cut)), mustJSON(t, whole.Agreements.At(cut)); got != want {
				rt.Fatalf("cut %d: Agreements alone differs\n%s", ci, diff(want, got))
			}
			fixed := NewSet(c)
			log := correctedLog(c, g.evs, cut)
			for i := range log {
				_ = fixed.Apply(&log[i])
			}
			if got, want := snapshot(t, fixed, cut, true), snapshot(t, whole, cut, true); got != want {
				rt.Fatalf("cut %d %+v: corrected log differs\n%s", ci, cut, diff(want, got))
			}
			// Cut.Includes agrees with the compiled cut the folds use.
			k := compileCut(cut)
			for i := range g.evs {
				e := &g.evs[i]
				f := fact{known: packDate(e.KnownAt()), occ: packDate(e.OccurredAt)}
				rec := !e.RecordedAt.IsZero()
				if got := k.knows(f.known, rec, nanos(e.RecordedAt)) && k.reaches(f.occ); got != cut.Includes(e) {
					rt.Fatalf("cut %+v, event %s: compiled %v, Includes %v", cut, e.ID, got, !got)
				}
			}
		}
	})
}

// diff shows the first differing line of two snapshots.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d\nwant %s\n got %s", i, a, b)
		}
	}
	return "(no difference)"
}

func TestIDKeys(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		gen := rapid.OneOf(
			rapid.StringMatching(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`),
			rapid.StringMatching(`[0-9a-fA-F][0-9a-f:_-]{0,40}`),
		)
		a, b := gen.Draw(rt, "a"), gen.Draw(rt, "b")
		x := newCore(nil, needAll)
		ka, kb := x.idOf(a), x.idOf(b)
		if got, want := x.cmpIDs(ka, kb), strings.Compare(a, b); got != want {
			rt.Fatalf("cmpIDs(%q, %q) = %d, want %d", a, b, got, want)
		}
		fa, fb := fact{occ: 1, known: 1}, fact{occ: 1, known: 1}
		fa.setID(ka)
		fb.setID(kb)
		if got, want := x.cmpFacts(&fa, &fb), strings.Compare(a, b); got != want {
			rt.Fatalf("cmpFacts with ids %q, %q = %d, want %d", a, b, got, want)
		}
		if k, ok := x.lookupID(a); x.idText(ka) != a || !ok || k != ka || fa.eid() != ka {
			rt.Fatalf("round trip of %q: %q", a, x.idText(ka))
		}
		if (ka == kb) != (a == b) {
			rt.Fatalf("ids %q, %q: keys equal %v", a, b, ka == kb)
		}
		if _, uuid := parseUUID(a); uuid == ka.text {
			rt.Fatalf("%q text %v", a, ka.text)
		}
	})
}

func TestPackDate(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		g := &propGen{rt: rt}
		a, b := g.date("a"), g.date("b")
		if cmp.Compare(packDate(a), packDate(b)) != a.Compare(b) {
			rt.Fatalf("%s vs %s", a, b)
		}
		if got := packDate(a).date(); got.String() != a.String() || !got.Day.Equal(a.Day) {
			rt.Fatalf("round trip %s -> %s", a, got)
		}
		ts := propBase().Add(time.Duration(rapid.Int64Range(-1e6, 1e6).Draw(rt, "t")) * time.Minute * 3)
		if (packDate(a).days() <= dayLimit(ts)) != a.ReachedBy(ts) {
			rt.Fatalf("%s reached by %s", a, ts)
		}
	})
}
