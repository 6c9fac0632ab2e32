package httpapi

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// cutJSON echoes the cut a query was answered at.
type cutJSON struct {
	AsOf       string `json:"as_of"`
	KnownAt    string `json:"known_at"`
	RecordedBy string `json:"recorded_by,omitempty"`
}

func cutOut(c projections.Cut) cutJSON {
	out := cutJSON{AsOf: c.AsOf.Format(rfc3339), KnownAt: c.KnownAt.Format(rfc3339)}
	if !c.RecordedBy.IsZero() {
		out.RecordedBy = c.RecordedBy.Format(rfc3339)
	}
	return out
}

const rfc3339 = "2006-01-02T15:04:05.999999999Z07:00"

// agreementsResponse is GET /v1/agreements.
type agreementsResponse struct {
	Cut        cutJSON                      `json:"cut"`
	Agreements []projections.AgreementState `json:"agreements"`
}

var (
	countryRe   = regexp.MustCompile(`^[A-Za-z]{3}$`)
	agreementRe = regexp.MustCompile(`^[a-z0-9]{1,40}(-[a-z0-9]{1,40}){0,9}$`)
)

// getAgreements lists every agreement at the cut, optionally only those of
// a party or at a stage.
func (s *Server) getAgreements(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r, append(cutParams, "party", "stage")...); err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	cut, err := parseCut(q, s.cfg.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	party := strings.ToUpper(q.Get("party"))
	if party != "" && !countryRe.MatchString(party) {
		s.writeError(w, r, invalidf("party", "%q is not an ISO 3166 alpha-3 country code (e.g. GBR)", clip(party)))
		return
	}
	stage := projections.Stage(q.Get("stage"))
	if stage != "" && !slices.Contains(projections.Stages(), stage) {
		s.writeError(w, r, invalidf("stage", "%q is not a stage (known: %s)", clip(string(stage)), stageNames()))
		return
	}
	var out []projections.AgreementState
	err = s.views.View(r.Context(), func(set *projections.Set) error {
		out = set.Agreements.At(cut)
		return nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out = slices.DeleteFunc(out, func(a projections.AgreementState) bool {
		return (party != "" && !slices.Contains(a.Parties, party)) || (stage != "" && a.Stage != stage)
	})
	writeJSON(w, http.StatusOK, agreementsResponse{Cut: cutOut(cut), Agreements: out})
}

func stageNames() string {
	var names []string
	for _, st := range projections.Stages() {
		names = append(names, string(st))
	}
	return strings.Join(names, ", ")
}

// getAgreement returns one agreement at the cut.
func (s *Server) getAgreement(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r, cutParams...); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if !agreementRe.MatchString(id) {
		s.writeError(w, r, invalidf("id", "%q is not an agreement id (e.g. gbr-jpn-raa)", clip(id)))
		return
	}
	cut, err := parseCut(r.URL.Query(), s.cfg.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var (
		st          projections.AgreementState
		found, ever bool
	)
	err = s.views.View(r.Context(), func(set *projections.Set) error {
		st, found = set.Agreements.Get(id, cut)
		if !found {
			_, ever = set.Agreements.Get(id, projections.Cut{})
		}
		return nil
	})
	switch {
	case err != nil:
		s.writeError(w, r, err)
	case !found && ever:
		s.writeError(w, r, fmt.Errorf("%w: agreement %q has no events at this cut (as_of %s, known_at %s)", events.ErrNotFound, id, cut.AsOf.Format("2006-01-02"), cut.KnownAt.Format("2006-01-02")))
	case !found:
		s.writeError(w, r, fmt.Errorf("%w: no agreement %q (see /v1/agreements)", events.ErrNotFound, id))
	default:
		writeJSON(w, http.StatusOK, st)
	}
}

// leadersResponse is GET /v1/countries/{code}/leaders.
type leadersResponse struct {
	Cut     cutJSON                   `json:"cut"`
	Country string                    `json:"country"`
	Offices []projections.OfficeState `json:"offices"`
}

// getLeaders returns a country's offices, holders and turnover.
func (s *Server) getLeaders(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r, cutParams...); err != nil {
		s.writeError(w, r, err)
		return
	}
	code := r.PathValue("code")
	if !countryRe.MatchString(code) {
		s.writeError(w, r, invalidf("code", "%q is not an ISO 3166 alpha-3 country code (e.g. GBR)", clip(code)))
		return
	}
	code = strings.ToUpper(code)
	cut, err := parseCut(r.URL.Query(), s.cfg.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var offices []projections.OfficeState
	err = s.views.View(r.Context(), func(set *projections.Set) error {
		offices = set.Leadership.Country(code, cut)
		return nil
	})
	switch {
	case err != nil:
		s.writeError(w, r, err)
	case len(offices) == 0:
		s.writeError(w, r, fmt.Errorf("%w: no leadership events for %s at this cut", events.ErrNotFound, code))
	default:
		writeJSON(w, http.StatusOK, leadersResponse{Cut: cutOut(cut), Country: code, Offices: offices})
	}
}

// networkResponse is GET /v1/network.
type networkResponse struct {
	Cut cutJSON `json:"cut"`
	projections.NetworkState
}

// getNetwork returns the network of countries at the cut, hubs first.
func (s *Server) getNetwork(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r, cutParams...); err != nil {
		s.writeError(w, r, err)
		return
	}
	cut, err := parseCut(r.URL.Query(), s.cfg.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var n projections.NetworkState
	err = s.views.View(r.Context(), func(set *projections.Set) error {
		n = set.Network.At(cut)
		return nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if n.Nodes == nil {
		n.Nodes = []projections.Node{}
	}
	if n.Edges == nil {
		n.Edges = []projections.Edge{}
	}
	writeJSON(w, http.StatusOK, networkResponse{Cut: cutOut(cut), NetworkState: n})
}

// timelineResponse is GET /v1/timeline/{id}.
type timelineResponse struct {
	Cut     cutJSON             `json:"cut"`
	Subject string              `json:"subject"`
	Kind    string              `json:"kind"`
	Entries []projections.Entry `json:"entries"`
}

// getTimeline returns the events of an agreement (an id such as
// gbr-jpn-raa) or of a country (an upper-case alpha-3 code, with the
// agreements it is party to) in valid-time order, with their sources.
func (s *Server) getTimeline(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r, cutParams...); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	country := countryRe.MatchString(id) && strings.ToUpper(id) == id
	if !country && !agreementRe.MatchString(id) {
		s.writeError(w, r, invalidf("id", "%q is neither an agreement id (gbr-jpn-raa) nor a country code (GBR)", clip(id)))
		return
	}
	cut, err := parseCut(r.URL.Query(), s.cfg.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	get := func(set *projections.Set, c projections.Cut) []projections.Entry {
		if country {
			return set.Timeline.Country(id, c)
		}
		return set.Timeline.Agreement(id, c)
	}
	var entries []projections.Entry
	ever := true
	err = s.views.View(r.Context(), func(set *projections.Set) error {
		entries = get(set, cut)
		if len(entries) == 0 {
			ever = len(get(set, projections.Cut{})) > 0
		}
		return nil
	})
	switch {
	case err != nil:
		s.writeError(w, r, err)
	case !ever:
		s.writeError(w, r, fmt.Errorf("%w: no events for %q (see /v1/agreements)", events.ErrNotFound, id))
	default:
		kind := "agreement"
		if country {
			kind = "country"
		}
		writeJSON(w, http.StatusOK, timelineResponse{Cut: cutOut(cut), Subject: id, Kind: kind, Entries: entries})
	}
}
