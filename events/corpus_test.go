package events_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/internal/badcorpus"
)

// TestBadInputCorpus feeds every malformed input of testdata/bad to the
// parser that reads it (jsonl/: ReadLines, as import does; http/: ParseWire,
// as POST /v1/events does with a request body) and checks the error: it is
// ErrInvalid, maps to the expected exit code and HTTP status, and names the
// problem (the substrings of the .want file). That nothing is written is
// checked where there is a store to write to: cmd/accord's corpus test
// imports the same files.
func TestBadInputCorpus(t *testing.T) {
	cases, err := badcorpus.Load("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Fatalf("%d bad inputs; the corpus should have at least 40", len(cases))
	}
	c := events.NewCodec()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			var err error
			switch {
			case strings.HasPrefix(tc.Name, "jsonl/"):
				_, errs := events.ReadLines(c, tc.Input, 0)
				if len(errs) == 0 {
					t.Fatalf("accepted")
				}
				err = errors.Join(errs...)
				for _, e := range errs {
					var fe *events.FieldError
					if !errors.As(e, &fe) || fe.Line == 0 {
						t.Errorf("error does not name its line: %v", e)
					}
				}
			case strings.HasPrefix(tc.Name, "http/"):
				if _, err = events.ParseWire(c, tc.Input); err == nil {
					t.Fatalf("accepted")
				}
			default:
				t.Fatalf("no parser for %s", tc.Name)
			}
			checkWant(t, tc.Want, err)
		})
	}
}

func checkWant(t *testing.T, w badcorpus.Want, err error) {
	t.Helper()
	k := events.KindOf(err)
	if w.Exit != 0 && k.ExitCode() != w.Exit {
		t.Errorf("exit code %d (%s), want %d: %v", k.ExitCode(), k, w.Exit, err)
	}
	if w.Status != 0 && k.HTTPStatus() != w.Status {
		t.Errorf("HTTP status %d (%s), want %d: %v", k.HTTPStatus(), k, w.Status, err)
	}
	if missing := w.Missing(err.Error()); len(missing) > 0 {
		t.Errorf("error %q does not name %q", err, missing)
	}
}
