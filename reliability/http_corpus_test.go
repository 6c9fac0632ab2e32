package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/httpapi"
	"github.com/accord-dev/accord/internal/badcorpus"
)

// TestBadHTTPBodies posts every malformed request body of
// events/testdata/bad/http, and every one-line file of
// events/testdata/bad/jsonl, to POST /v1/events of the HTTP API (in
// process, with a valid token) over a store holding the bundled history,
// on SQLite and PostgreSQL, and a body over the server's size limit. Each
// must be answered with the expected status (400; 413 for the body over
// the limit) and a JSON error whose message names the problem, and nothing
// may be written.
func TestBadHTTPBodies(t *testing.T) {
	cases, err := badcorpus.Load("../events/testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	type body struct {
		name   string
		data   []byte
		status int
		want   []string
	}
	var bodies []body
	for _, c := range cases {
		switch {
		case strings.HasPrefix(c.Name, "http/"):
			want := c.Want.Errors
			if len(bytes.TrimSpace(c.Input)) == 0 {
				want = []string{"the body is empty"} // the API's own wording
			}
			bodies = append(bodies, body{c.Name, c.Input, c.Want.Status, want})
		case strings.HasPrefix(c.Name, "jsonl/"):
			var lines [][]byte
			for l := range bytes.SplitSeq(bytes.TrimPrefix(c.Input, []byte("\xef\xbb\xbf")), []byte("\n")) {
				if l = bytes.TrimSpace(l); len(l) > 0 && l[0] != '#' {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 {
				continue
			}
			var want []string
			for _, w := range c.Want.Errors {
				if !strings.HasPrefix(w, "line ") { // a body has no lines
					want = append(want, w)
				}
			}
			bodies = append(bodies, body{c.Name, lines[0], c.Want.Status, want})
		}
	}
	if len(bodies) < 40 {
		t.Fatalf("%d bodies", len(bodies))
	}
	// A body over the server's limit (1 MiB) is refused before it is read
	// to the end.
	bodies = append(bodies, body{"body-over-the-limit", bytes.Repeat([]byte(" "), int(httpapi.DefaultMaxBodyBytes)+10),
		http.StatusRequestEntityTooLarge, []string{"larger than the limit"}})
	hist, err := dataset.History(events.NewCodec())
	if err != nil {
		t.Fatal(err)
	}
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			s := openStore(t, newDSN(t, backend))
			if _, err := s.Import(context.Background(), hist, nil); err != nil {
				t.Fatal(err)
			}
			srv, err := httpapi.New(httpapi.Config{Log: s, Token: "secret"})
			if err != nil {
				t.Fatal(err)
			}
			h := srv.Handler()
			before, _ := s.Head(context.Background())
			for _, b := range bodies {
				t.Run(b.name, func(t *testing.T) {
					req := httptest.NewRequest(http.MethodPost, "/v1/events", bytes.NewReader(b.data))
					req.Header.Set("Authorization", "Bearer secret")
					req.Header.Set("Content-Type", "application/json")
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					res := rec.Result()
					raw, _ := io.ReadAll(res.Body)
					if res.StatusCode != b.status {
						t.Errorf("status %d, want %d: %s", res.StatusCode, b.status, raw)
					}
					var e struct {
						Error struct {
							Kind    string `json:"kind"`
							Message string `json:"message"`
						} `json:"error"`
					}
					if err := json.Unmarshal(raw, &e); err != nil || e.Error.Message == "" {
						t.Fatalf("the answer is not a JSON error: %v: %s", err, raw)
					}
					for _, w := range b.want {
						if !strings.Contains(e.Error.Message, w) {
							t.Errorf("message %q does not name %q", e.Error.Message, w)
						}
					}
					if h, _ := s.Head(context.Background()); h != before {
						t.Fatalf("the log's head moved from %d to %d", before, h)
					}
				})
			}
		})
	}
}
