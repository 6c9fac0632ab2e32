package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// eventsPage is GET /v1/events.
type eventsPage struct {
	Events []events.WireEvent `json:"events"`
	// NextAfter is the "after" of the next page, or null at the end of
	// the log.
	NextAfter *int64 `json:"next_after"`
}

// The paging limits of GET /v1/events.
const (
	defaultEventsLimit = 100
	maxEventsLimit     = 1000
	// maxEventsScan bounds the events one request reads when filters
	// match few of them; the page then ends early with next_after set.
	maxEventsScan = 20000
	readPage      = 1000
)

// getEvents lists events in log order, filtered and paged by position.
func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r, "stream", "type", "from", "to", "as_of", "known_at", "recorded_by", "after", "limit"); err != nil {
		s.writeError(w, r, err)
		return
	}
	match, err := s.eventFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	after, err := intParam(r, "after", 0, 0, 1<<62)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, err := intParam(r, "limit", defaultEventsLimit, 1, maxEventsLimit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	stream := r.URL.Query().Get("stream")
	page, next, err := s.scanEvents(r, stream, after, int(limit), match)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := eventsPage{Events: make([]events.WireEvent, 0, len(page)), NextAfter: next}
	for i := range page {
		we, err := events.ToWire(s.cfg.Codec, &page[i])
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out.Events = append(out.Events, we)
	}
	writeJSON(w, http.StatusOK, out)
}

// eventFilter builds the filter of GET /v1/events: type (repeatable or
// comma-separated), from and to (valid-time range, whole periods), and the
// cut parameters as_of, known_at and recorded_by (no limit by default).
func (s *Server) eventFilter(r *http.Request) (func(*events.Event) bool, error) {
	q := r.URL.Query()
	var types []string
	for _, v := range q["type"] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t == "" {
				continue
			}
			if !s.cfg.Codec.Knows(t) {
				return nil, invalidf("type", "%q is not an event type (known: %s)", clip(t), strings.Join(s.cfg.Codec.Types(), ", "))
			}
			types = append(types, t)
		}
	}
	var from, to events.Date
	var err error
	if v := q.Get("from"); v != "" {
		if from, err = events.ParseDate(v); err != nil {
			return nil, invalidf("from", "%v", err)
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = events.ParseDate(v); err != nil {
			return nil, invalidf("to", "%v", err)
		}
	}
	if !from.IsZero() && !to.IsZero() && to.End().Before(from.Day) {
		return nil, invalidf("to", "%s is before from %s", to, from)
	}
	var cut projections.Cut
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"as_of", &cut.AsOf}, {"known_at", &cut.KnownAt}, {"recorded_by", &cut.RecordedBy}} {
		if v := q.Get(p.name); v != "" {
			if *p.dst, err = parseInstant(p.name, v); err != nil {
				return nil, err
			}
		}
	}
	return func(e *events.Event) bool {
		if len(types) > 0 && !slices.Contains(types, e.Type) {
			return false
		}
		if !from.IsZero() && e.OccurredAt.Day.Before(from.Day) {
			return false
		}
		if !to.IsZero() && !e.OccurredAt.ReachedBy(to.End()) {
			return false
		}
		return cut.Includes(e)
	}, nil
}

// scanEvents reads events with Position > after (of one stream, or of the
// whole log) and keeps those that match, up to limit. next is the cursor of
// the following page, nil when the log has been read to its end.
func (s *Server) scanEvents(r *http.Request, stream string, after int64, limit int, match func(*events.Event) bool) (out []events.Event, next *int64, err error) {
	ctx := r.Context()
	version := int64(1)
	scanned := 0
	for {
		var batch []events.Event
		if stream != "" {
			batch, err = s.cfg.Log.ReadStream(ctx, stream, version, readPage)
		} else {
			batch, err = s.cfg.Log.ReadAll(ctx, after, readPage)
		}
		if err != nil {
			return nil, nil, err
		}
		for i := range batch {
			e := &batch[i]
			if e.Position <= after {
				continue
			}
			scanned++
			if match(e) {
				out = append(out, *e)
				if len(out) == limit {
					p := e.Position
					return out, &p, nil
				}
			}
			if scanned >= maxEventsScan {
				p := e.Position
				return out, &p, nil
			}
		}
		if len(batch) < readPage {
			return out, nil, nil
		}
		last := batch[len(batch)-1]
		if stream != "" {
			version = last.Version + 1
		} else {
			after = last.Position
		}
	}
}

// appendResponse is the 201 answer of POST /v1/events.
type appendResponse struct {
	Stream     string   `json:"stream"`
	IDs        []string `json:"ids"`
	Positions  []int64  `json:"positions"`
	Versions   []int64  `json:"versions"`
	Duplicates int      `json:"duplicates"`
}

// batchRequest is the batch form of POST /v1/events.
type batchRequest struct {
	ExpectedVersion json.RawMessage   `json:"expected_version"`
	Events          []json.RawMessage `json:"events"`
}

// postEvents appends one event (the wire format; the expected version in
// the query parameter expected_version) or a batch to one stream
// ({"expected_version": N, "events": [...]}), all or nothing.
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request) {
	if err := s.authorize(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkParams(r, "expected_version"); err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := s.readBody(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	stream, expected, evs, err := s.parseAppend(r, body)
	if err != nil {
		s.metrics.appendOutcome("invalid")
		s.writeError(w, r, err)
		return
	}
	start := time.Now()
	res, err := s.cfg.Log.Append(r.Context(), stream, expected, evs)
	s.metrics.appendDuration.Observe(time.Since(start).Seconds())
	if err != nil {
		kind := events.KindOf(err)
		if kind == events.KindConflict {
			s.metrics.conflicts.Inc()
		}
		s.metrics.appendOutcome(kind.String())
		s.writeError(w, r, err)
		return
	}
	s.metrics.appendOutcome("ok")
	s.metrics.appendedEvents.Add(float64(len(evs) - res.Duplicates))
	out := appendResponse{Stream: stream, Positions: res.Positions, Versions: res.Versions, Duplicates: res.Duplicates}
	for _, e := range evs {
		out.IDs = append(out.IDs, e.ID)
	}
	s.log.InfoContext(r.Context(), "events appended", "stream", stream, "events", len(evs), "duplicates", res.Duplicates,
		"first_position", res.Positions[0], "request_id", requestID(r.Context()))
	writeJSON(w, http.StatusCreated, out)
}

// parseAppend decodes the body of POST /v1/events into the stream, the
// expected version and the normalized, validated events.
func (s *Server) parseAppend(r *http.Request, body []byte) (string, events.ExpectedVersion, []events.Event, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return "", 0, nil, invalidf("", "the body is empty: send one event in the wire format, or {\"expected_version\": N, \"events\": [...]}")
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		// Let the wire parser explain what is wrong.
		_, perr := events.ParseWire(s.cfg.Codec, body)
		if perr == nil {
			perr = invalidf("", "the body must be a JSON object")
		}
		return "", 0, nil, perr
	}
	if _, batch := keys["events"]; !batch {
		expected := events.Any
		if v := r.URL.Query().Get("expected_version"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < -1 {
				return "", 0, nil, invalidf("expected_version", "%q is not a version (N, 0 for a new stream, -1 for any)", clip(v))
			}
			expected = events.ExpectedVersion(n)
		}
		e, err := events.ParseWire(s.cfg.Codec, body)
		if err != nil {
			return "", 0, nil, err
		}
		return e.Stream, expected, []events.Event{e}, nil
	}
	if r.URL.Query().Has("expected_version") {
		return "", 0, nil, invalidf("expected_version", "give the expected version of a batch in its body, not in the query")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req batchRequest
	if err := dec.Decode(&req); err != nil {
		return "", 0, nil, batchError(err)
	}
	expected := events.Any
	if len(req.ExpectedVersion) > 0 && string(req.ExpectedVersion) != "null" {
		n, err := strconv.ParseInt(string(req.ExpectedVersion), 10, 64)
		if err != nil || n < -1 {
			return "", 0, nil, invalidf("expected_version", "must be an integer version (N, 0 for a new stream, -1 for any), not %s", clip(string(req.ExpectedVersion)))
		}
		expected = events.ExpectedVersion(n)
	}
	if len(req.Events) == 0 {
		return "", 0, nil, invalidf("events", "is empty: a batch needs at least one event")
	}
	evs := make([]events.Event, 0, len(req.Events))
	var stream string
	for i, raw := range req.Events {
		e, err := events.ParseWire(s.cfg.Codec, raw)
		if err != nil {
			return "", 0, nil, underField(fmt.Sprintf("events[%d]", i), err)
		}
		if i == 0 {
			stream = e.Stream
		} else if e.Stream != stream {
			return "", 0, nil, invalidf(fmt.Sprintf("events[%d].stream", i), "is %q but events[0] is in %q: a batch goes to one stream", e.Stream, stream)
		}
		evs = append(evs, e)
	}
	return stream, expected, evs, nil
}

// underField puts a FieldError's field under parent ("events[2]" +
// "data.agreement").
func underField(parent string, err error) error {
	var fe *events.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	c := *fe
	if c.Field == "" {
		c.Field = parent
	} else {
		c.Field = parent + "." + c.Field
	}
	return &c
}

// batchError explains a batch envelope that does not decode.
func batchError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return invalidf(te.Field, "must be %s, not a JSON %s", map[string]string{"events": "an array of events", "expected_version": "an integer"}[strings.Split(te.Field, ".")[0]], te.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return invalidf(strings.Trim(name, `"`), "is not a field of a batch (expected_version, events)")
	}
	return invalidf("", "not a valid batch: %v", err)
}
