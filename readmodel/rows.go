package readmodel

import (
	"strings"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

const networkKey = "network"

// entities returns the rows of the entities a page may have changed (all
// entities when all is set), keyed by entity; a nil value means the entity
// has no rows any more. Entities whose rows hash as last committed are left
// out unless all is set.
func (p *Projector) entities(page []events.Event, all bool) map[string]*entityRows {
	out := map[string]*entityRows{}
	keep := func(key string, rows *entityRows) {
		if all {
			out[key] = rows
			return
		}
		old, had := p.hashes[key]
		if rows == nil {
			if had {
				out[key] = nil
			}
			return
		}
		if !had || old != rows.hash() {
			out[key] = rows
		}
	}
	scope := scopeOf(page, all)
	switch p.cfg.Name {
	case Agreements:
		if scope.everything {
			for _, st := range p.agreements.At(projections.Cut{}) {
				keep(st.ID, agreementRows(&st))
			}
			// Agreements that no longer exist (every event retracted).
			for key := range p.hashes {
				if _, ok := p.agreements.Get(key, projections.Cut{}); !ok {
					keep(key, nil)
				}
			}
			return out
		}
		for id := range scope.agreements {
			if st, ok := p.agreements.Get(id, projections.Cut{}); ok {
				keep(id, agreementRows(&st))
			} else {
				keep(id, nil)
			}
		}
	case Leadership:
		if !scope.everything && !scope.countries {
			return out
		}
		seen := map[string]bool{}
		for _, o := range p.leadership.At(projections.Cut{}) {
			key := o.Country + "|" + o.Office
			seen[key] = true
			keep(key, officeRows(&o))
		}
		for key := range p.hashes {
			if !seen[key] {
				keep(key, nil)
			}
		}
	case Network:
		if !scope.everything && len(scope.agreements) == 0 {
			return out
		}
		n := p.network.At(projections.Cut{})
		keep(networkKey, networkRows(&n))
	case Timeline:
		streams := scope.streams
		if scope.everything {
			streams = p.streams
		}
		for s := range streams {
			entries := p.timeline.Stream(s, projections.Cut{})
			if len(entries) == 0 {
				keep(s, nil)
				continue
			}
			keep(s, timelineRows(s, entries))
		}
	}
	return out
}

// scope is what a page touches.
type scope struct {
	everything bool
	countries  bool
	agreements map[string]bool
	streams    map[string]bool
}

// scopeOf works out what a page may change. Lifecycle events touch their
// agreement; events of a country may open blockers on any agreement of that
// country, and retractions and corrections may touch anything: those make
// the scope everything.
func scopeOf(page []events.Event, all bool) scope {
	sc := scope{everything: all, agreements: map[string]bool{}, streams: map[string]bool{}}
	for i := range page {
		e := &page[i]
		sc.streams[e.Stream] = true
		switch d := e.Data.(type) {
		case *events.EventRetracted, *events.EventCorrected:
			sc.everything = true
		case events.AgreementPayload:
			sc.agreements[d.AgreementID()] = true
		default:
			if strings.HasPrefix(e.Stream, "country/") {
				sc.countries = true
				sc.everything = true // a leadership change may open a blocker anywhere
			}
		}
	}
	return sc
}

var (
	agreementCols  = []string{"id", "parties", "kind", "title", "stage", "since", "since_precision", "events", "last_event_type", "last_event_at", "expected_type", "expected_by", "expected_said_by"}
	transitionCols = []string{"agreement", "seq", "stage", "occurred_at", "occurred_precision", "event_type", "event_id", "source_publication", "source_title", "source_url", "confidence"}
	approvalCols   = []string{"agreement", "party", "body", "approved_at", "approved_precision", "pending"}
	blockerCols    = []string{"agreement", "seq", "country", "office", "new_holder", "occurred_at", "stage", "event_id"}
	leaderCols     = []string{"country", "office", "holder", "since", "since_precision"}
	tenureCols     = []string{"country", "office", "seq", "holder", "from_date", "from_precision", "to_date", "to_precision"}
	nodeCols       = []string{"country", "degree", "betweenness", "agreements"}
	edgeCols       = []string{"a", "b", "agreement", "stage"}
	timelineCols   = []string{"stream", "seq", "event_id", "occurred_at", "occurred_precision", "reported_at", "reported_precision", "type", "summary", "source_publication", "source_title", "source_url", "confidence"}
)

func agreementRows(st *projections.AgreementState) *entityRows {
	r := &entityRows{}
	since, sinceP := dateArgs(st.Since)
	var lastType, lastAt any
	if st.LastEvent != nil {
		lastType = st.LastEvent.Type
		lastAt, _ = dateArgs(st.LastEvent.OccurredAt)
	}
	var expType, expBy, expSaid any
	if x := st.LatestExpectation; x != nil {
		expType, expSaid = x.ExpectedType, x.SaidBy
		expBy, _ = dateArgs(x.ExpectedBy)
	}
	r.add("rm_agreements", agreementCols, st.ID, strings.Join(st.Parties, ","), st.Kind, st.Title, string(st.Stage),
		since, sinceP, st.Events, lastType, lastAt, expType, expBy, expSaid)
	for i, t := range st.Transitions {
		d, dp := dateArgs(t.Date)
		r.add("rm_agreement_transitions", transitionCols, st.ID, i+1, string(t.Stage), d, dp, t.Type, t.Event,
			t.Source.Publication, nullable(t.Source.Title), nullable(t.Source.URL), string(t.Confidence))
	}
	for _, a := range st.Approvals {
		d, dp := dateArgs(a.Date)
		r.add("rm_agreement_approvals", approvalCols, st.ID, a.Party, nullable(a.Body), d, dp, a.Pending)
	}
	for i, b := range st.Blockers {
		d, _ := dateArgs(b.Date)
		r.add("rm_agreement_blockers", blockerCols, st.ID, i+1, b.Country, b.Office, b.To, d, string(b.Stage), b.Event)
	}
	return r
}

func officeRows(o *projections.OfficeState) *entityRows {
	r := &entityRows{}
	since, sinceP := dateArgs(o.Since)
	r.add("rm_leaders", leaderCols, o.Country, o.Office, o.Holder, since, sinceP)
	for i, t := range o.Holders {
		f, fp := dateArgs(t.From)
		to, tp := dateArgs(t.To)
		r.add("rm_tenures", tenureCols, o.Country, o.Office, i+1, t.Holder, f, fp, to, tp)
	}
	return r
}

func networkRows(n *projections.NetworkState) *entityRows {
	r := &entityRows{}
	for _, nd := range n.Nodes {
		r.add("rm_network_nodes", nodeCols, nd.Country, nd.Degree, round6(nd.Betweenness), nd.Agreements)
	}
	for _, e := range n.Edges {
		r.add("rm_network_edges", edgeCols, e.A, e.B, e.Agreement, string(e.Stage))
	}
	return r
}

func timelineRows(stream string, entries []projections.Entry) *entityRows {
	r := &entityRows{}
	for i, e := range entries {
		o, op := dateArgs(e.OccurredAt)
		rep, rp := dateArgs(e.ReportedAt)
		r.add("rm_timeline", timelineCols, stream, i+1, e.ID, o, op, rep, rp, e.Type, e.Summary,
			e.Source.Publication, nullable(e.Source.Title), nullable(e.Source.URL), string(e.Confidence))
	}
	return r
}
