package interchange_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/interchange"
	"github.com/accord-dev/accord/internal/badcorpus"
)

// TestBadInputCorpus reads every malformed file of testdata/bad (plover/:
// PLOVER JSON lines; cameo/: ICEWS- and GDELT-style CSV) and checks that the
// input is refused as a whole (Read fails, or Result.Err lists bad records,
// which makes import write nothing) with an ErrInvalid error that names the
// line, the field and the problem. cmd/accord's corpus test imports the
// same files into a store and checks that nothing is written.
func TestBadInputCorpus(t *testing.T) {
	cases, err := badcorpus.Load("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	c := events.NewCodec()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			f := interchange.PLOVER
			if strings.HasPrefix(tc.Name, "cameo/") {
				f = interchange.CAMEOCSV
			}
			res, err := interchange.Read(c, f, bytes.NewReader(tc.Input), interchange.ReadOptions{})
			if err == nil {
				if err = res.Err(); err == nil {
					t.Fatalf("accepted: %d events, counts %v", len(res.Events), res.Counts)
				}
			}
			if !errors.Is(err, events.ErrInvalid) {
				t.Errorf("error is not ErrInvalid: %v", err)
			}
			k := events.KindOf(err)
			if tc.Want.Exit != 0 && k.ExitCode() != tc.Want.Exit {
				t.Errorf("exit code %d, want %d", k.ExitCode(), tc.Want.Exit)
			}
			if tc.Want.Status != 0 && k.HTTPStatus() != tc.Want.Status {
				t.Errorf("HTTP status %d, want %d", k.HTTPStatus(), tc.Want.Status)
			}
			if missing := tc.Want.Missing(err.Error()); len(missing) > 0 {
				t.Errorf("error %q does not name %q", err, missing)
			}
		})
	}
}

// TestLimits documents the input limits: an input over MaxBytes is refused
// before anything is parsed, and a line over MaxLineBytes is a bad record.
func TestInputLimits(t *testing.T) {
	c := events.NewCodec()
	big := bytes.Repeat([]byte("x"), 2048)
	_, err := interchange.Read(c, interchange.PLOVER, bytes.NewReader(big), interchange.ReadOptions{MaxBytes: 1024})
	if !errors.Is(err, events.ErrInvalid) || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("input over MaxBytes: %v", err)
	}
	line := []byte(`{"id":"x","date":"2022-05-05","actor":"JPN","event":"AGREE","text":"` + strings.Repeat("y", 600) + `"}`)
	res, err := interchange.Read(c, interchange.PLOVER, bytes.NewReader(line), interchange.ReadOptions{MaxLineBytes: 512})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err == nil || !strings.Contains(err.Error(), "the limit is 512") {
		t.Errorf("line over MaxLineBytes: %v", err)
	}
	if interchange.DefaultMaxBytes != 64<<20 || interchange.DefaultMaxLineBytes != 1<<20 {
		t.Errorf("the documented limits (docs/reliability.md) are 64 MiB per input and 1 MiB per record")
	}
}
