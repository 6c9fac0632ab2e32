package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/accord-dev/accord/events"
)

// loadOpenAPI loads and validates the embedded document.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	// Every route of the server is documented, and nothing else.
	want := []string{
		"GET /", "GET /healthz", "GET /metrics", "GET /openapi.json", "GET /readyz",
		"GET /v1/agreements", "GET /v1/agreements/{id}", "GET /v1/backtest", "GET /v1/countries/{code}/leaders",
		"GET /v1/events", "GET /v1/forecast", "GET /v1/network", "GET /v1/scenarios", "GET /v1/timeline/{id}",
		"POST /v1/events", "POST /v1/scenarios/{name}/run",
	}
	if got := documented(doc); !slices.Equal(got, want) {
		t.Errorf("documented operations:\n got %v\nwant %v", got, want)
	}
}

// documented lists "METHOD /path" of every operation of doc, sorted.
func documented(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// failingLog is a Log whose every call fails with err.
type failingLog struct{ err error }

func (l failingLog) ReadAll(context.Context, int64, int) ([]events.Event, error) { return nil, l.err }
func (l failingLog) ReadStream(context.Context, string, int64, int) ([]events.Event, error) {
	return nil, l.err
}
func (l failingLog) Head(context.Context) (int64, error) { return 0, l.err }
func (l failingLog) Append(context.Context, string, events.ExpectedVersion, []events.Event) (events.AppendResult, error) {
	return events.AppendResult{}, l.err
}

// apiCase is one request of the contract test.
type apiCase struct {
	server string // "", "notoken", "down", "broken", "tiny", "noscenarios"
	method string
	path   string
	token  string
	body   string
	status int
}

// TestResponsesMatchOpenAPI sends real requests to every endpoint, for
// every documented status that can be produced here, and validates each
// response (status, headers, body) against the OpenAPI document. It also
// checks that every documented operation was exercised.
func TestResponsesMatchOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	openapi3filter.RegisterBodyDecoder("text/html", func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(r)
		return string(b), err
	})

	servers := map[string]string{}
	ts, _ := newTestServer(t, nil)
	servers[""] = ts.URL
	ts, _ = newTestServer(t, func(c *Config) { c.Token = "" })
	servers["notoken"] = ts.URL
	ts, _ = newTestServer(t, func(c *Config) { c.MaxBodyBytes = 64 })
	servers["tiny"] = ts.URL
	ts, _ = newTestServer(t, func(c *Config) { c.Scenarios = nil })
	servers["noscenarios"] = ts.URL
	for name, err := range map[string]error{
		"down":   fmt.Errorf("dial tcp 10.1.2.3:5432: connection refused (zzsecret-host): %w", events.ErrUnavailable),
		"broken": errors.New("pq: relation \"zzsecret_table\" does not exist"),
	} {
		log := failingLog{err: err}
		srv, err := New(Config{Log: log, Token: "T", Now: func() time.Time { return testNow }, Scenarios: NewScenarioEngine(log, nil)})
		if err != nil {
			t.Fatal(err)
		}
		h := httptest.NewServer(srv.Handler())
		t.Cleanup(h.Close)
		servers[name] = h.URL
	}

	ev2 := strings.Replace(newEvent, "Test statement", "Second statement", 1)
	cases := []apiCase{
		{method: "GET", path: "/v1/agreements", status: 200},
		{method: "GET", path: "/v1/agreements?as_of=2022-11-30&known_at=2022-11-30", status: 200},
		{method: "GET", path: "/v1/agreements?party=JPN&stage=in_force", status: 200},
		{method: "GET", path: "/v1/agreements?as_of=1900", status: 200},
		{method: "GET", path: "/v1/agreements?as_of=2022-02-30", status: 400},
		{method: "GET", path: "/v1/agreements?as-of=2022-02-01", status: 400},
		{server: "down", method: "GET", path: "/v1/agreements", status: 503},
		{server: "broken", method: "GET", path: "/v1/agreements", status: 500},
		{method: "GET", path: "/v1/agreements/gbr-jpn-raa", status: 200},
		{method: "GET", path: "/v1/agreements/gbr-jpn-raa?as_of=2022-11-30", status: 200},
		{method: "GET", path: "/v1/agreements/gbr-jpn-raa?as_of=2023-02-01&known_at=2022-11-30&recorded_by=2030-01-01T00:00:00Z", status: 200},
		{method: "GET", path: "/v1/agreements/gbr-jpn-raa?as_of=2001", status: 404},
		{method: "GET", path: "/v1/agreements/xxx-yyy-nope", status: 404},
		{method: "GET", path: "/v1/agreements/Not_An_Id", status: 400},
		{method: "GET", path: "/v1/countries/GBR/leaders?as_of=2022-10-30", status: 200},
		{method: "GET", path: "/v1/countries/jpn/leaders", status: 200},
		{method: "GET", path: "/v1/countries/XXX/leaders", status: 404},
		{method: "GET", path: "/v1/countries/GB/leaders", status: 400},
		{method: "GET", path: "/v1/network?as_of=2022-11-30", status: 200},
		{method: "GET", path: "/v1/network?as_of=1900", status: 200},
		{method: "GET", path: "/v1/network?known_at=nope", status: 400},
		{method: "GET", path: "/v1/timeline/gbr-jpn-raa", status: 200},
		{method: "GET", path: "/v1/timeline/GBR?as_of=2022-12-31", status: 200},
		{method: "GET", path: "/v1/timeline/gbr-jpn-raa?as_of=1900", status: 200},
		{method: "GET", path: "/v1/timeline/xxx-yyy-nope", status: 404},
		{method: "GET", path: "/v1/timeline/a_b", status: 400},
		{method: "GET", path: "/v1/events", status: 200},
		{method: "GET", path: "/v1/events?stream=agreement/gbr-jpn-raa&type=agreement_signed,agreed_in_principle", status: 200},
		{method: "GET", path: "/v1/events?type=leadership_changed&type=election_held&from=2022&to=2022-12&limit=5&after=3", status: 200},
		{method: "GET", path: "/v1/events?as_of=2022-11-30&known_at=2022-11-30&recorded_by=2100-01-01", status: 200},
		{method: "GET", path: "/v1/events?type=nope", status: 400},
		{method: "GET", path: "/v1/events?limit=0", status: 400},
		{method: "POST", path: "/v1/events", token: "T", body: newEvent, status: 201},
		{method: "POST", path: "/v1/events?expected_version=1", token: "T", body: ev2, status: 409},
		{method: "POST", path: "/v1/events", token: "T", body: batchOf(-1, ev2), status: 201},
		{method: "POST", path: "/v1/events", token: "T", body: batchOf(2, strings.Replace(newEvent, "Test", "Third", 1)), status: 409},
		{method: "POST", path: "/v1/events", token: "T", body: `{"type":"agreement_signed"}`, status: 400},
		{method: "POST", path: "/v1/events", token: "T", body: `{"events":[]}`, status: 400},
		{method: "POST", path: "/v1/events", body: newEvent, status: 401},
		{method: "POST", path: "/v1/events", token: "nope", body: newEvent, status: 401},
		{server: "notoken", method: "POST", path: "/v1/events", token: "T", body: newEvent, status: 403},
		{server: "tiny", method: "POST", path: "/v1/events", token: "T", body: newEvent, status: 413},
		{server: "down", method: "POST", path: "/v1/events", token: "T", body: newEvent, status: 503},
		{server: "broken", method: "POST", path: "/v1/events", token: "T", body: newEvent, status: 500},
		{method: "GET", path: "/v1/forecast?agreement=gbr-jpn-raa&stage=in_force&known_at=2022-11-30&runs=500&seed=1", status: 200},
		{method: "GET", path: "/v1/forecast?agreement=gbr-jpn-raa&stage=signed&known_at=2023-06-30&runs=100", status: 200},
		{method: "GET", path: "/v1/forecast?stage=in_force", status: 400},
		{method: "GET", path: "/v1/forecast?agreement=gbr-jpn-raa&stage=stalled", status: 400},
		{method: "GET", path: "/v1/forecast?agreement=gbr-jpn-raa&runs=1000000", status: 400},
		{method: "GET", path: "/v1/forecast?agreement=xxx-yyy-nope&runs=100", status: 404},
		{server: "down", method: "GET", path: "/v1/forecast?agreement=gbr-jpn-raa", status: 503},
		{server: "noscenarios", method: "GET", path: "/v1/forecast?agreement=gbr-jpn-raa", status: 501},
		{method: "GET", path: "/v1/scenarios", status: 200},
		{method: "GET", path: "/v1/scenarios?x=1", status: 400},
		{server: "down", method: "GET", path: "/v1/scenarios", status: 503},
		{server: "broken", method: "GET", path: "/v1/scenarios", status: 500},
		{server: "noscenarios", method: "GET", path: "/v1/scenarios", status: 501},
		{method: "POST", path: "/v1/scenarios/no-signature/run?runs=500", status: 200},
		{method: "POST", path: "/v1/scenarios/uk-turnover/run?runs=300&seed=7", status: 200},
		{method: "POST", path: "/v1/scenarios/nothing-like-this/run", status: 404},
		{method: "POST", path: "/v1/scenarios/Bad_Name/run", status: 400},
		{method: "POST", path: "/v1/scenarios/no-signature/run?runs=0", status: 400},
		{server: "down", method: "POST", path: "/v1/scenarios/no-signature/run", status: 503},
		{server: "noscenarios", method: "POST", path: "/v1/scenarios/no-signature/run", status: 501},
		{method: "GET", path: "/v1/backtest?runs=200&seed=3", status: 200},
		{method: "GET", path: "/v1/backtest?runs=100&model=censor-at-cut&recorded_by=2100-01-01", status: 200},
		{method: "GET", path: "/v1/backtest?runs=0", status: 400},
		{method: "GET", path: "/v1/backtest?model=oracle", status: 400},
		{method: "GET", path: "/v1/backtest?recorded_by=yesterday", status: 400},
		{method: "GET", path: "/v1/backtest?cases=x", status: 400},
		{server: "down", method: "GET", path: "/v1/backtest?runs=100", status: 503},
		{server: "broken", method: "GET", path: "/v1/backtest?runs=100", status: 500},
		{server: "noscenarios", method: "GET", path: "/v1/backtest", status: 501},
		{method: "GET", path: "/openapi.json", status: 200},
		{method: "GET", path: "/metrics", status: 200},
		{method: "GET", path: "/healthz", status: 200},
		{server: "down", method: "GET", path: "/healthz", status: 503},
		{method: "GET", path: "/readyz", status: 200},
		{server: "down", method: "GET", path: "/readyz", status: 503},
		{method: "GET", path: "/", status: 200},
	}

	seen := map[string]bool{}
	for _, c := range cases {
		name := fmt.Sprintf("%s %s %s %d", c.server, c.method, c.path, c.status)
		req, err := http.NewRequest(c.method, servers[c.server]+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d: %.300s", name, res.StatusCode, c.status, body)
			continue
		}
		// Internal details never leak.
		for _, secret := range []string{"zzsecret", "10.1.2.3", "pq:"} {
			if bytes.Contains(body, []byte(secret)) {
				t.Errorf("%s: the response leaks %q: %.300s", name, secret, body)
			}
		}
		// Route the request in the document (by path, not host).
		vreq, _ := http.NewRequest(c.method, c.path, nil)
		route, params, err := router.FindRoute(vreq)
		if err != nil {
			t.Errorf("%s: not in the OpenAPI document: %v", name, err)
			continue
		}
		seen[c.method+" "+route.Path] = true
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route},
			Status:                 res.StatusCode,
			Header:                 res.Header,
			Body:                   io.NopCloser(bytes.NewReader(body)),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("%s: the response does not match the document: %v\n%.600s", name, err, body)
		}
	}
	for _, op := range documented(doc) {
		if !seen[op] {
			t.Errorf("%s is documented but no test request exercised it", op)
		}
	}
}
