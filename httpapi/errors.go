package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/accord-dev/accord/events"
)

// errorBody is the JSON of every error response: {"error": {...}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

// errorDetail describes one error. Kind is an events.Kind name (invalid,
// conflict, not_found, unavailable, internal) or one of the HTTP-level
// kinds (unauthorized, forbidden, too_large, method_not_allowed,
// not_implemented).
type errorDetail struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Field names the bad input field of an invalid request.
	Field string `json:"field,omitempty"`
	// Stream, ExpectedVersion and ActualVersion describe a version conflict.
	Stream          string `json:"stream,omitempty"`
	ExpectedVersion *int64 `json:"expected_version,omitempty"`
	ActualVersion   *int64 `json:"actual_version,omitempty"`
	// RequestID identifies the request in the server's logs.
	RequestID string `json:"request_id,omitempty"`
}

// httpError is an error of the HTTP layer itself (authentication, body
// size, unknown routes, endpoints not implemented yet), which the event
// kinds do not cover.
type httpError struct {
	status  int
	kind    string
	message string
}

func (e *httpError) Error() string { return e.message }

func errUnauthorized(msg string) error {
	return &httpError{status: http.StatusUnauthorized, kind: "unauthorized", message: msg}
}

func errForbidden(msg string) error {
	return &httpError{status: http.StatusForbidden, kind: "forbidden", message: msg}
}

func errNotImplemented(msg string) error {
	return &httpError{status: http.StatusNotImplemented, kind: "not_implemented", message: msg}
}

// invalidf returns an ErrInvalid error naming field.
func invalidf(field, format string, args ...any) error {
	return &events.FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error gets here (every response type
		// marshals); answer without details.
		b = []byte(`{"error":{"kind":"internal","message":"internal error"}}`)
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte("\n"))
}

// writeError answers with the JSON error for err. The status comes from
// events.KindOf(err).HTTPStatus() for the error kinds of accord, or from
// the httpError for the HTTP layer's own errors. Internal and unavailable
// errors are logged with their details and answered with a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, d := s.describe(r, err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="accord"`)
	}
	writeJSON(w, status, errorBody{Error: d})
}

// describe returns the status and the public description of err.
func (s *Server) describe(r *http.Request, err error) (int, errorDetail) {
	rid := requestID(r.Context())
	var he *httpError
	if errors.As(err, &he) {
		return he.status, errorDetail{Kind: he.kind, Message: he.message, RequestID: rid}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, errorDetail{Kind: "too_large",
			Message: fmt.Sprintf("the request body is larger than the limit of %d bytes", mbe.Limit), RequestID: rid}
	}
	kind := events.KindOf(err)
	d := errorDetail{Kind: kind.String(), RequestID: rid}
	switch kind {
	case events.KindInvalid:
		d.Message = err.Error()
		var fe *events.FieldError
		if errors.As(err, &fe) {
			d.Field = fe.Field
		}
	case events.KindConflict:
		d.Message = err.Error()
		var ce *events.ConflictError
		if errors.As(err, &ce) {
			exp, act := int64(ce.Expected), ce.Actual
			d.Stream, d.ExpectedVersion, d.ActualVersion = ce.Stream, &exp, &act
		}
	case events.KindNotFound:
		d.Message = err.Error()
	case events.KindUnavailable:
		s.log.ErrorContext(r.Context(), "store unavailable", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", rid)
		d.Message = "the event store is unavailable; try again later"
	default:
		s.log.ErrorContext(r.Context(), "internal error", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", rid)
		d.Message = "internal error; the server log has the details (request id " + rid + ")"
	}
	return kind.HTTPStatus(), d
}
