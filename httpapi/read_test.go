package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/accord-dev/accord/projections"
)

func TestAgreementsOnTwoTimeAxes(t *testing.T) {
	ts, _ := newTestServer(t, nil)
	get := func(q string) projections.AgreementState {
		t.Helper()
		r := do(t, "GET", ts.URL+"/v1/agreements/gbr-jpn-raa"+q, "", "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		var st projections.AgreementState
		r.json(t, &st)
		return st
	}
	for q, want := range map[string]projections.Stage{
		"?as_of=2022-11-30":                     projections.StageAgreedInPrinciple,
		"?as_of=2023-02-01":                     projections.StageSigned,
		"?as_of=2023-02-01&known_at=2022-11-30": projections.StageAgreedInPrinciple,
		"?as_of=2023-01-11":                     projections.StageSigned, // a date covers its whole day
		"?as_of=2022-05":                        projections.StageAgreedInPrinciple,
		"":                                      projections.StageInForce,
	} {
		if got := get(q); got.Stage != want {
			t.Errorf("%s: stage %q, want %q", q, got.Stage, want)
		}
	}

	r := do(t, "GET", ts.URL+"/v1/agreements?as_of=2022-11-30&party=gbr", "", "")
	var list agreementsResponse
	r.json(t, &list)
	if len(list.Agreements) == 0 || !strings.HasPrefix(list.Cut.AsOf, "2022-11-30T23:59:59") {
		t.Fatalf("list: %.300s", r.body)
	}
	for _, a := range list.Agreements {
		if !strings.Contains(strings.Join(a.Parties, ","), "GBR") {
			t.Errorf("party filter let %s through", a.ID)
		}
	}
	r = do(t, "GET", ts.URL+"/v1/agreements?as_of=2022-11-30&stage=agreed_in_principle", "", "")
	r.json(t, &list)
	found := false
	for _, a := range list.Agreements {
		found = found || a.ID == "gbr-jpn-raa"
		if a.Stage != projections.StageAgreedInPrinciple {
			t.Errorf("stage filter let %s (%s) through", a.ID, a.Stage)
		}
	}
	if !found {
		t.Error("gbr-jpn-raa missing from agreed_in_principle as of 2022-11-30")
	}
}

func TestLeadersNetworkTimeline(t *testing.T) {
	ts, _ := newTestServer(t, nil)

	r := do(t, "GET", ts.URL+"/v1/countries/GBR/leaders?as_of=2022-10-30", "", "")
	var l leadersResponse
	r.json(t, &l)
	if r.status != 200 || len(l.Offices) == 0 || l.Offices[0].Holder != "Rishi Sunak" || l.Offices[0].HoldersLast60d != 3 {
		t.Errorf("leaders: %d %.400s", r.status, r.body)
	}

	r = do(t, "GET", ts.URL+"/v1/network?as_of=2022-11-30", "", "")
	var n networkResponse
	r.json(t, &n)
	if r.status != 200 || len(n.Nodes) < 3 || len(n.Edges) == 0 {
		t.Fatalf("network: %d %.300s", r.status, r.body)
	}
	for i := 1; i < len(n.Nodes); i++ {
		if n.Nodes[i].Betweenness > n.Nodes[i-1].Betweenness {
			t.Errorf("nodes not hubs first: %v", n.Nodes)
			break
		}
	}

	r = do(t, "GET", ts.URL+"/v1/timeline/gbr-jpn-raa", "", "")
	var tl timelineResponse
	r.json(t, &tl)
	signed := false
	for _, e := range tl.Entries {
		if e.Type == "agreement_signed" {
			signed = e.OccurredAt.String() == "2023-01-11" && e.Source.Publication != ""
		}
	}
	if r.status != 200 || tl.Kind != "agreement" || !signed {
		t.Errorf("timeline lacks the signature with its source: %.400s", r.body)
	}
	r = do(t, "GET", ts.URL+"/v1/timeline/gbr-jpn-raa?as_of=2022-11-30", "", "")
	r.json(t, &tl)
	for _, e := range tl.Entries {
		if e.Type == "agreement_signed" {
			t.Error("the signature is in the timeline as of 2022-11-30")
		}
	}
	r = do(t, "GET", ts.URL+"/v1/timeline/GBR", "", "")
	r.json(t, &tl)
	if r.status != 200 || tl.Kind != "country" || len(tl.Entries) == 0 {
		t.Errorf("country timeline: %d %.200s", r.status, r.body)
	}
}

func TestEventsPaging(t *testing.T) {
	ts, s := newTestServer(t, nil)
	total := head(t, s)
	seen := map[string]bool{}
	after := int64(0)
	pages := 0
	for {
		r := do(t, "GET", fmt.Sprintf("%s/v1/events?limit=40&after=%d", ts.URL, after), "", "")
		var p eventsPage
		r.json(t, &p)
		pages++
		for _, e := range p.Events {
			if seen[e.ID] || e.Position <= after {
				t.Fatalf("event %s (position %d) twice or out of order", e.ID, e.Position)
			}
			seen[e.ID] = true
		}
		if p.NextAfter == nil {
			break
		}
		after = *p.NextAfter
		if pages > 100 {
			t.Fatal("paging does not end")
		}
	}
	if int64(len(seen)) != total {
		t.Errorf("paged through %d events, the log has %d", len(seen), total)
	}

	r := do(t, "GET", ts.URL+"/v1/events?stream=country/GBR&type=leadership_changed&from=2022&to=2022", "", "")
	var p eventsPage
	r.json(t, &p)
	if len(p.Events) != 2 {
		t.Errorf("GBR leadership changes in 2022: %d events, want 2 (Truss, Sunak)", len(p.Events))
	}
	for _, e := range p.Events {
		if e.Type != "leadership_changed" || e.Stream != "country/GBR" || !strings.HasPrefix(e.OccurredAt, "2022") {
			t.Errorf("filter let %s %s %s through", e.Type, e.Stream, e.OccurredAt)
		}
	}
	r = do(t, "GET", ts.URL+"/v1/events?known_at=2022-11-30&type=agreement_signed&stream=agreement/gbr-jpn-raa", "", "")
	r.json(t, &p)
	if len(p.Events) != 0 {
		t.Errorf("the signature was not known on 2022-11-30: %s", r.body)
	}
}

func TestQueryParameterErrors(t *testing.T) {
	ts, _ := newTestServer(t, nil)
	for path, field := range map[string]string{
		"/v1/agreements?as-of=2022":              "as-of",
		"/v1/agreements?as_of=2022-13":           "as_of",
		"/v1/agreements?stage=done":              "stage",
		"/v1/agreements?party=GB":                "party",
		"/v1/network?recorded_by=yesterday":      "recorded_by",
		"/v1/events?limit=5000":                  "limit",
		"/v1/events?after=-1":                    "after",
		"/v1/events?from=2023&to=2022":           "to",
		"/v1/countries/GBR/leaders?known_at=x":   "known_at",
		"/v1/timeline/gbr-jpn-raa?as_of=2022-00": "as_of",
	} {
		r := do(t, "GET", ts.URL+path, "", "")
		if e := r.apiError(t); r.status != 400 || e.Field != field {
			t.Errorf("%s: %d %s, want 400 naming %s", path, r.status, r.body, field)
		}
	}
}

func TestRoutingErrorsAreJSON(t *testing.T) {
	ts, _ := newTestServer(t, nil)
	r := do(t, "GET", ts.URL+"/v1/nothing", "", "")
	if r.status != 404 || r.apiError(t).Kind != "not_found" {
		t.Errorf("unknown endpoint: %d %s", r.status, r.body)
	}
	r = do(t, "DELETE", ts.URL+"/v1/events", "T", "")
	if r.status != 405 || r.apiError(t).Kind != "method_not_allowed" || !strings.Contains(r.header.Get("Allow"), "POST") {
		t.Errorf("wrong method: %d %v %s", r.status, r.header, r.body)
	}
}

func TestCORS(t *testing.T) {
	ts, _ := newTestServer(t, nil)
	req, _ := http.NewRequest("GET", ts.URL+"/v1/network", nil)
	req.Header.Set("Origin", "https://evil.example")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if v := res.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("CORS header %q without --cors-origin", v)
	}

	ts, _ = newTestServer(t, func(c *Config) { c.CORSOrigins = []string{"https://ok.example"} })
	for origin, want := range map[string]string{"https://ok.example": "https://ok.example", "https://evil.example": ""} {
		req, _ := http.NewRequest("OPTIONS", ts.URL+"/v1/events", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("preflight from %s: allow-origin %q, want %q", origin, got, want)
		}
		if want != "" && (res.StatusCode != 204 || !strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "Authorization")) {
			t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
		}
	}
}

func TestWebPage(t *testing.T) {
	ts, _ := newTestServer(t, nil)
	for path, ctype := range map[string]string{"/": "text/html", "/app.js": "text/javascript", "/style.css": "text/css"} {
		r := do(t, "GET", ts.URL+path, "", "")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
		}
		if !strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: no CSP", path)
		}
	}
	r := do(t, "GET", ts.URL+"/", "", "")
	if id := r.header.Get("X-Request-ID"); len(id) != 16 {
		t.Errorf("request id %q", id)
	}
}
