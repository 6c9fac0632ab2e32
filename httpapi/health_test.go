package httpapi

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// fixedStatus is a ProjectionStatus with given positions.
type fixedStatus []ProjectionPosition

func (f fixedStatus) Positions(context.Context) ([]ProjectionPosition, error) { return f, nil }

func TestReadiness(t *testing.T) {
	s := bundledStore(t)
	h := head(t, s)
	for _, c := range []struct {
		lag    int64
		maxLag int64
		status int
	}{{0, 0, 200}, {5, 10, 200}, {11, 10, 503}, {1, -1, 503}} {
		st := fixedStatus{{Name: "agreements", Position: h}, {Name: "timeline", Position: h - c.lag}}
		srv, err := New(Config{Log: s, Status: st, MaxLag: c.maxLag})
		if err != nil {
			t.Fatal(err)
		}
		ts := newHTTPTest(t, srv)
		r := do(t, "GET", ts+"/readyz", "", "")
		var body healthResponse
		r.json(t, &body)
		if r.status != c.status || len(body.Projections) != 2 || body.Projections[1].Lag != c.lag {
			t.Errorf("lag %d, max %d: %d %s", c.lag, c.maxLag, r.status, r.body)
		}
		m := do(t, "GET", ts+"/metrics", "", "")
		if want := fmt.Sprintf(`accord_projection_lag_events{projection="timeline"} %d`, c.lag); !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestConcurrentReadsAndWrites runs queries and appends at once (run with
// -race): the LiveSet serializes the projections and sees every append.
func TestConcurrentReadsAndWrites(t *testing.T) {
	ts, s := newTestServer(t, nil)
	before := head(t, s)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				if i%2 == 0 {
					ev := strings.Replace(newEvent, "Test statement", fmt.Sprintf("Statement %d-%d", i, j), 1)
					if r := do(t, "POST", ts.URL+"/v1/events", "T", ev); r.status != 201 {
						t.Errorf("POST: %d %s", r.status, r.body)
					}
				} else {
					for _, p := range []string{"/v1/agreements", "/v1/network", "/v1/timeline/gbr-jpn-raa", "/v1/agreements/gbr-jpn-raa?as_of=2022-11-30"} {
						if r := do(t, "GET", ts.URL+p, "", ""); r.status != 200 {
							t.Errorf("GET %s: %d", p, r.status)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := head(t, s); got != before+20 {
		t.Errorf("head %d, want %d", got, before+20)
	}
	r := do(t, "GET", ts.URL+"/v1/events?stream=agreement/gbr-jpn-raa&type=statement_issued&from=2024-03-01&to=2024-03-01", "", "")
	var p eventsPage
	r.json(t, &p)
	if len(p.Events) != 20 {
		t.Errorf("%d statements of 2024-03-01, want 20", len(p.Events))
	}
}
