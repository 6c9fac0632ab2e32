package httpapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/readmodel"
	"github.com/accord-dev/accord/store"
)

// startService runs RunService (what `accord serve` runs) on a free
// loopback port over s and returns its base URL and a function that stops
// it and returns RunService's error.
func startService(t *testing.T, s store.Store, token string, wrap func(http.Handler) http.Handler) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- RunService(ctx, ServiceConfig{
			Store: s, Addr: "127.0.0.1:0", Token: token, RunnerPoll: 20 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
			Ready:  func(a net.Addr) { ready <- a },
			Now:    func() time.Time { return testNow },
			wrap:   wrap,
		})
	}()
	var base string
	select {
	case a := <-ready:
		base = "http://" + a.String()
	case err := <-done:
		cancel()
		t.Fatalf("RunService: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("RunService did not start")
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("RunService did not return")
		}
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

// testWriter sends logs to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestAcceptance is the acceptance list, end to end over TCP, with
// the server that `accord serve --db X --addr 127.0.0.1:PORT --token T`
// runs, on the bundled history.
func TestAcceptance(t *testing.T) {
	s := bundledStore(t)
	base, stop := startService(t, s, "T", nil)

	// GET /v1/agreements/gbr-jpn-raa?as_of=2022-11-30 has stage agreed_in_principle.
	r := do(t, "GET", base+"/v1/agreements/gbr-jpn-raa?as_of=2022-11-30", "", "")
	if r.status != 200 {
		t.Fatalf("agreement: %d %s", r.status, r.body)
	}
	var ag struct {
		ID    string `json:"id"`
		Stage string `json:"stage"`
	}
	r.json(t, &ag)
	if ag.ID != "gbr-jpn-raa" || ag.Stage != "agreed_in_principle" {
		t.Errorf("agreement as of 2022-11-30: %+v, want stage agreed_in_principle", ag)
	}

	// POST /v1/events without a token is 401 or 403 and writes nothing.
	before := head(t, s)
	r = do(t, "POST", base+"/v1/events", "", newEvent)
	if r.status != 401 && r.status != 403 {
		t.Errorf("POST without a token: %d %s, want 401 or 403", r.status, r.body)
	}
	if h := head(t, s); h != before {
		t.Errorf("POST without a token wrote: head %d -> %d", before, h)
	}
	r = do(t, "POST", base+"/v1/events", "wrong", newEvent)
	if r.status != 401 {
		t.Errorf("POST with a wrong token: %d %s, want 401", r.status, r.body)
	}
	if h := head(t, s); h != before {
		t.Errorf("POST with a wrong token wrote: head %d -> %d", before, h)
	}

	// With the token, 201.
	r = do(t, "POST", base+"/v1/events", "T", newEvent)
	if r.status != 201 {
		t.Fatalf("POST with the token: %d %s, want 201", r.status, r.body)
	}
	var res appendResponse
	r.json(t, &res)
	if len(res.Positions) != 1 || res.Positions[0] != before+1 || res.Stream != "agreement/gbr-jpn-raa" {
		t.Errorf("append result %+v, want one position %d in agreement/gbr-jpn-raa", res, before+1)
	}

	// A stale expected version is 409, with both versions, and writes nothing.
	version := res.Versions[0]
	before = head(t, s)
	stale := strings.Replace(newEvent, "Test statement", "Another statement", 1)
	r = do(t, "POST", base+"/v1/events", "T", batchOf(version-1, stale))
	if r.status != 409 {
		t.Fatalf("stale expected version: %d %s, want 409", r.status, r.body)
	}
	e := r.apiError(t)
	if e.Kind != "conflict" || e.ExpectedVersion == nil || *e.ExpectedVersion != version-1 || e.ActualVersion == nil || *e.ActualVersion != version {
		t.Errorf("conflict body %s: want expected %d, actual %d", r.body, version-1, version)
	}
	if h := head(t, s); h != before {
		t.Errorf("the conflicting POST wrote: head %d -> %d", before, h)
	}
	// The right version appends.
	r = do(t, "POST", base+"/v1/events", "T", batchOf(version, stale))
	if r.status != 201 {
		t.Errorf("current expected version: %d %s, want 201", r.status, r.body)
	}

	// /openapi.json is a valid OpenAPI 3 document.
	r = do(t, "GET", base+"/openapi.json", "", "")
	if r.status != 200 {
		t.Fatalf("openapi.json: %d", r.status)
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Errorf("openapi.json is not valid: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}

	// /metrics has accord's own metrics.
	r = do(t, "GET", base+"/metrics", "", "")
	if r.status != 200 {
		t.Fatalf("metrics: %d", r.status)
	}
	for _, want := range []string{
		`accord_appends_total{outcome="ok"} 2`, `accord_appends_total{outcome="conflict"} 1`,
		"accord_append_conflicts_total 1", "accord_appended_events_total 2", "accord_append_duration_seconds_count 3",
		`accord_http_requests_total{code="201",method="POST",route="POST /v1/events"} 2`,
		`accord_projection_lag_events{projection="agreements"}`, "accord_log_head_position", "accord_scenario_run_duration_seconds",
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// / is an HTML page.
	r = do(t, "GET", base+"/", "", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(strings.ToLower(string(r.body)), "<!doctype html>") {
		t.Errorf("/: %d %s %.80s", r.status, r.header.Get("Content-Type"), r.body)
	}

	// The projection runner runs in the background: the read models
	// catch up with the log, including the events appended above, and
	// /readyz says so.
	final := head(t, s)
	deadline := time.Now().Add(20 * time.Second)
	for {
		cps, err := readmodel.Checkpoints(context.Background(), s.DB())
		if err != nil {
			t.Fatal(err)
		}
		caught := true
		for _, n := range readmodel.Names() {
			caught = caught && cps[n] == final
		}
		if caught {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("projections did not catch up with head %d: %v", final, cps)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r = do(t, "GET", base+"/readyz", "", "")
	var ready healthResponse
	r.json(t, &ready)
	if r.status != 200 || ready.Status != "ok" || len(ready.Projections) != 4 {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	r = do(t, "GET", base+"/healthz", "", "")
	if r.status != 200 {
		t.Errorf("healthz: %d %s", r.status, r.body)
	}
	// The runner's watermill router reports its own metrics.
	r = do(t, "GET", base+"/metrics", "", "")
	if !strings.Contains(string(r.body), "accord_runner_handler_execution_time_seconds") {
		t.Errorf("metrics lack watermill's router metrics")
	}

	if err := stop(); err != nil {
		t.Errorf("RunService: %v", err)
	}
}

// TestGracefulShutdown: when the context ends, an in-flight request
// finishes, new connections are refused, and the runner has stopped with
// its checkpoints at the head.
func TestGracefulShutdown(t *testing.T) {
	s := bundledStore(t)
	started := make(chan struct{})
	slow := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				close(started)
				time.Sleep(700 * time.Millisecond)
				w.Write([]byte("done"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	base, stop := startService(t, s, "", slow)

	// Wait for the projections to catch up first.
	final := head(t, s)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := do(t, "GET", base+"/readyz", "", "")
		var h healthResponse
		r.json(t, &h)
		if r.status == 200 && len(h.Projections) == 4 && h.Projections[0].Position == final && h.Projections[3].Position == final {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not caught up: %s", r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		res, err := http.Get(base + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		got <- result{body: string(b), err: err}
	}()
	<-started
	if err := stop(); err != nil {
		t.Fatalf("RunService: %v", err)
	}
	r := <-got
	if r.err != nil || r.body != "done" {
		t.Errorf("in-flight request: %q, %v; want it to finish", r.body, r.err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still accepts requests after shutdown")
	}
	cps, err := readmodel.Checkpoints(context.Background(), s.DB())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range readmodel.Names() {
		if cps[n] != final {
			t.Errorf("checkpoint %s = %d, want %d", n, cps[n], final)
		}
	}
}
