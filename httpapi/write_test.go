package httpapi

import (
	"strings"
	"testing"
)

func TestPostEvents(t *testing.T) {
	ts, s := newTestServer(t, nil)
	url := ts.URL + "/v1/events"

	// One event: 201 with its position, version and id.
	before := head(t, s)
	r := do(t, "POST", url, "T", newEvent)
	if r.status != 201 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	var res appendResponse
	r.json(t, &res)
	if res.Stream != "agreement/gbr-jpn-raa" || len(res.IDs) != 1 || res.IDs[0] == "" || res.Positions[0] != before+1 || res.Duplicates != 0 {
		t.Errorf("result %+v", res)
	}

	// The same event again is a no-op that returns the original position.
	r = do(t, "POST", url, "T", newEvent)
	var again appendResponse
	r.json(t, &again)
	if r.status != 201 || again.Duplicates != 1 || again.Positions[0] != res.Positions[0] || head(t, s) != before+1 {
		t.Errorf("repeat: %d %s", r.status, r.body)
	}

	// The event is readable at once.
	r = do(t, "GET", ts.URL+"/v1/events?stream=agreement/gbr-jpn-raa&after="+jsonInt(before), "", "")
	var page eventsPage
	r.json(t, &page)
	if len(page.Events) != 1 || page.Events[0].ID != res.IDs[0] || page.NextAfter != nil {
		t.Errorf("read back: %s", r.body)
	}

	// A batch to a new stream with expected version 0 (no stream yet), all
	// or nothing; the query endpoints see it at once.
	signed := `{"type":"agreement_signed","occurred_at":"2024-05-02","data":{"agreement":"fra-jpn-test","parties":["FRA","JPN"],"kind":"test","title":"Test agreement"},"source":{"publication":"Test Gazette","title":"Signed","date":"2024-05-02"},"confidence":"confirmed"}`
	opened := `{"type":"talks_opened","occurred_at":"2024-01-10","data":{"agreement":"fra-jpn-test","parties":["FRA","JPN"]},"source":{"publication":"Test Gazette","title":"Talks","date":"2024-01-10"},"confidence":"reported"}`
	r = do(t, "POST", url, "T", batchOf(0, opened, signed))
	if r.status != 201 {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	r.json(t, &res)
	if len(res.Versions) != 2 || res.Versions[0] != 1 || res.Versions[1] != 2 || res.Stream != "agreement/fra-jpn-test" {
		t.Errorf("batch result %+v", res)
	}
	r = do(t, "GET", ts.URL+"/v1/agreements/fra-jpn-test", "", "")
	if r.status != 200 || !strings.Contains(string(r.body), `"stage":"signed"`) {
		t.Errorf("new agreement: %d %.200s", r.status, r.body)
	}
	r = do(t, "GET", ts.URL+"/v1/agreements/fra-jpn-test?as_of=2024-03-01", "", "")
	if r.status != 200 || !strings.Contains(string(r.body), `"stage":"negotiating"`) {
		t.Errorf("new agreement as of March: %d %.200s", r.status, r.body)
	}

	// The single form takes its expected version from the query.
	third := strings.Replace(signed, "2024-05-02", "2024-06-01", -1)
	third = strings.Replace(third, "agreement_signed", "statement_issued", 1)
	third = strings.Replace(third, `"parties":["FRA","JPN"],"kind":"test","title":"Test agreement"`, `"country":"FRA","summary":"A statement"`, 1)
	r = do(t, "POST", url+"?expected_version=1", "T", third)
	if e := r.apiError(t); r.status != 409 || e.Stream != "agreement/fra-jpn-test" || *e.ExpectedVersion != 1 || *e.ActualVersion != 2 {
		t.Errorf("single with a stale version: %d %s", r.status, r.body)
	}
	r = do(t, "POST", url+"?expected_version=2", "T", third)
	if r.status != 201 {
		t.Errorf("single with the current version: %d %s", r.status, r.body)
	}
}

func TestPostEventsErrors(t *testing.T) {
	ts, s := newTestServer(t, nil)
	url := ts.URL + "/v1/events"
	bad := strings.Replace(newEvent, `"agreement":"gbr-jpn-raa"`, `"agreement":"Not An Id"`, 1)
	otherStream := strings.Replace(newEvent, `"agreement":"gbr-jpn-raa"`, `"agreement":"aus-jpn-raa"`, 1)
	for _, c := range []struct {
		name, query, body, field string
	}{
		{"bad field in a batch", "", batchOf(-1, newEvent, bad), "events[1].data.agreement"},
		{"two streams", "", batchOf(-1, newEvent, otherStream), "events[1].stream"},
		{"bad field", "", bad, "data.agreement"},
		{"unknown field", "", strings.Replace(newEvent, `"confidence"`, `"colour":"red","confidence"`, 1), "colour"},
		{"unknown batch field", "", `{"events":[` + newEvent + `],"expected":3}`, "expected"},
		{"empty batch", "", `{"expected_version":0,"events":[]}`, "events"},
		{"bad expected version", "", `{"expected_version":"x","events":[` + newEvent + `]}`, "expected_version"},
		{"bad expected version query", "?expected_version=x", newEvent, "expected_version"},
		{"version in the query of a batch", "?expected_version=1", batchOf(1, newEvent), "expected_version"},
		{"unknown query parameter", "?dry_run=1", newEvent, "dry_run"},
		{"missing type", "", `{"occurred_at":"2022"}`, "type"},
		{"bad date", "", strings.Replace(newEvent, `"occurred_at":"2024-03-01"`, `"occurred_at":"2024-02-30"`, 1), "occurred_at"},
		{"not JSON", "", `{"type":`, ""},
		{"empty", "", ` `, ""},
		{"array", "", `[1,2]`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := head(t, s)
			r := do(t, "POST", url+c.query, "T", c.body)
			if r.status != 400 {
				t.Fatalf("%d %s, want 400", r.status, r.body)
			}
			e := r.apiError(t)
			if e.Kind != "invalid" || e.Field != c.field || e.Message == "" {
				t.Errorf("error %+v, want kind invalid and field %q", e, c.field)
			}
			if h := head(t, s); h != before {
				t.Errorf("wrote: head %d -> %d", before, h)
			}
		})
	}
}

func TestWriteAuthorization(t *testing.T) {
	ts, s := newTestServer(t, nil)
	before := head(t, s)
	r := do(t, "POST", ts.URL+"/v1/events", "", newEvent)
	if r.status != 401 || r.header.Get("WWW-Authenticate") == "" || r.apiError(t).Kind != "unauthorized" {
		t.Errorf("no token: %d %v %s", r.status, r.header, r.body)
	}
	req := do(t, "POST", ts.URL+"/v1/events", "t", newEvent) // tokens are case-sensitive
	if req.status != 401 {
		t.Errorf("wrong token: %d", req.status)
	}
	if head(t, s) != before {
		t.Error("an unauthorized POST wrote")
	}

	ts, s = newTestServer(t, func(c *Config) { c.Token = "" })
	before = head(t, s)
	r = do(t, "POST", ts.URL+"/v1/events", "anything", newEvent)
	e := r.apiError(t)
	if r.status != 403 || e.Kind != "forbidden" || !strings.Contains(e.Message, "--token") || !strings.Contains(e.Message, "ACCORD_TOKEN") {
		t.Errorf("writes disabled: %d %s", r.status, r.body)
	}
	if head(t, s) != before {
		t.Error("a POST to a server without a token wrote")
	}
}

func TestBodyLimit(t *testing.T) {
	ts, s := newTestServer(t, func(c *Config) { c.MaxBodyBytes = 1000 })
	before := head(t, s)
	big := batchOf(-1, newEvent, newEvent, newEvent, newEvent, newEvent)
	r := do(t, "POST", ts.URL+"/v1/events", "T", big)
	if r.status != 413 || r.apiError(t).Kind != "too_large" {
		t.Errorf("%d %s", r.status, r.body)
	}
	if head(t, s) != before {
		t.Error("an oversized POST wrote")
	}
}
