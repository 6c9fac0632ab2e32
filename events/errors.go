package events

import (
	"errors"
	"fmt"
	"strings"
)

// The error kinds of accord. Every error returned by a Log, a parser or a
// query wraps one of these, so callers test with errors.Is and one function,
// KindOf, maps any error to its kind (and from there to an HTTP status or an
// exit code).
var (
	// ErrInvalid: the input is malformed or breaks a rule; nothing was written.
	ErrInvalid = errors.New("invalid")
	// ErrConflict: an append's expected version did not match the stream's
	// actual version; nothing was written.
	ErrConflict = errors.New("conflict")
	// ErrNotFound: the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnavailable: a dependency (the database) could not be reached or
	// failed; the operation may be retried.
	ErrUnavailable = errors.New("unavailable")
)

// Kind classifies an error for callers at the edge (CLI, HTTP).
type Kind int

// The kinds, from KindOf. KindInternal is anything not otherwise classified.
const (
	KindInternal Kind = iota
	KindInvalid
	KindConflict
	KindNotFound
	KindUnavailable
)

// KindOf returns the kind of err; nil has KindInternal and callers should
// not ask.
func KindOf(err error) Kind {
	switch {
	case errors.Is(err, ErrInvalid):
		return KindInvalid
	case errors.Is(err, ErrConflict):
		return KindConflict
	case errors.Is(err, ErrNotFound):
		return KindNotFound
	case errors.Is(err, ErrUnavailable):
		return KindUnavailable
	}
	return KindInternal
}

// HTTPStatus is the one mapping from error kinds to HTTP status codes.
func (k Kind) HTTPStatus() int {
	switch k {
	case KindInvalid:
		return 400
	case KindConflict:
		return 409
	case KindNotFound:
		return 404
	case KindUnavailable:
		return 503
	}
	return 500
}

// ExitCode is the one mapping from error kinds to process exit codes:
// 2 invalid input, 3 conflict, 4 not found, 5 unavailable, 1 anything else.
func (k Kind) ExitCode() int {
	switch k {
	case KindInvalid:
		return 2
	case KindConflict:
		return 3
	case KindNotFound:
		return 4
	case KindUnavailable:
		return 5
	}
	return 1
}

// String names the kind.
func (k Kind) String() string {
	return [...]string{"internal", "invalid", "conflict", "not_found", "unavailable"}[k]
}

// ConflictError is returned by Log.Append when the expected version does not
// match. It wraps ErrConflict.
type ConflictError struct {
	Stream   string
	Expected ExpectedVersion
	Actual   int64
}

// Error names the stream and both versions.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("conflict: stream %q: expected version %s, actual version %d", e.Stream, e.Expected, e.Actual)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// FieldError says which field of an input is wrong and why. It wraps
// ErrInvalid. Line is the 1-based input line when the input was a file of
// lines, or 0.
type FieldError struct {
	Line    int
	Field   string
	Problem string
}

// Error reads "line 3: field occurred_at: ...".
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %s: ", e.Field)
	}
	b.WriteString(e.Problem)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// invalid builds a FieldError.
func invalid(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// prefixField returns err with its field put under parent ("data" +
// "parties[1]" = "data.parties[1]"); other errors pass through.
func prefixField(parent string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		c := *fe
		if c.Field == "" {
			c.Field = parent
		} else {
			c.Field = parent + "." + c.Field
		}
		return &c
	}
	return err
}

// WithLine returns err with the input line number set when it is a
// FieldError, or wrapped with the line number otherwise.
func WithLine(line int, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		c := *fe
		c.Line = line
		return &c
	}
	return fmt.Errorf("line %d: %w", line, err)
}
