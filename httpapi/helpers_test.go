package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store"
)

// testNow is the clock of the tests: as_of and known_at default to it.
var testNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// bundledStore returns a temporary SQLite store with the bundled history
// imported.
func bundledStore(t testing.TB) store.Store {
	t.Helper()
	ctx := context.Background()
	codec := events.NewCodec()
	s, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "accord.db"), codec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	evs, errs := events.ReadLines(codec, dataset.HistoryJSONL(), 10)
	if len(errs) > 0 {
		t.Fatalf("bundled history: %v", errs)
	}
	if _, err := s.Import(ctx, evs, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// newTestServer returns an httptest server of the API over the bundled
// history, with token "T" and the scenario engine; mod changes the
// configuration first.
func newTestServer(t testing.TB, mod func(*Config)) (*httptest.Server, store.Store) {
	t.Helper()
	s := bundledStore(t)
	cfg := Config{Log: s, Token: "T", Now: func() time.Time { return testNow }, Scenarios: NewScenarioEngine(s, nil)}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, s
}

// response is a decoded HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v, failing the test on error.
func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// apiError decodes an error body.
func (r response) apiError(t testing.TB) errorDetail {
	t.Helper()
	var b errorBody
	r.json(t, &b)
	return b.Error
}

// do sends a request; token "" sends no Authorization header.
func do(t testing.TB, method, url, token, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// head returns the log's head position.
func head(t testing.TB, s store.Store) int64 {
	t.Helper()
	h, err := s.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// A new event for the tests: a statement about gbr-jpn-raa.
const newEvent = `{"type":"statement_issued","occurred_at":"2024-03-01","data":{"country":"GBR","agreement":"gbr-jpn-raa","summary":"Test statement","stance":"positive"},"source":{"publication":"Test Gazette","title":"A test","date":"2024-03-01"},"confidence":"reported"}`

// batchOf wraps events in the batch form.
func batchOf(expected int64, evs ...string) string {
	var b bytes.Buffer
	b.WriteString(`{"expected_version":`)
	b.WriteString(jsonInt(expected))
	b.WriteString(`,"events":[`)
	b.WriteString(strings.Join(evs, ","))
	b.WriteString(`]}`)
	return b.String()
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// newHTTPTest serves srv on a loopback test server and returns its URL.
func newHTTPTest(t testing.TB, srv *Server) string {
	t.Helper()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}
