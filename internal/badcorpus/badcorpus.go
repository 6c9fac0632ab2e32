// Package badcorpus loads accord's corpora of malformed input, which the
// tests of each parser feed to it and check that the input is rejected with
// an error that names the problem, the right exit code or HTTP status, and
// that nothing was written.
//
// A corpus is a directory tree whose path says bad, invalid or malformed
// (events/testdata/bad, interchange/testdata/bad, cmd/accord/testdata/bad).
// It holds one input per file. Next to each input file NAME.EXT is its
// expectation, NAME.want, lines of "key: value" ('#' starts a comment):
//
//	# a date that does not exist
//	exit: 2
//	status: 400
//	error: line 1
//	error: field occurred_at
//	error: day out of range
//
// exit is the process exit code (events.Kind.ExitCode: 2 invalid input, 3
// conflict, 4 not found, 5 unavailable, 1 other), status the HTTP status
// (events.Kind.HTTPStatus), and every error line a substring that the error
// message must contain. Inputs of the CLI corpus are JSON documents that
// carry their own expectation instead (see the cmd/accord tests).
package badcorpus

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Want is what a bad input must produce.
type Want struct {
	// Exit is the expected exit code; 0 when the expectation does not say.
	Exit int
	// Status is the expected HTTP status; 0 when the expectation does not say.
	Status int
	// Errors are substrings the error message must contain.
	Errors []string
	// Level says where the input is rejected when not by the package's own
	// parser ("cli": only the command line, which checks the input as a
	// whole, rejects it). Empty means the parser itself.
	Level string
}

// Case is one bad input.
type Case struct {
	// Name is the input's path relative to the corpus directory, with
	// forward slashes.
	Name string
	// Path is the input's path.
	Path string
	// Input is the file's content.
	Input []byte
	// Want is the expectation from the .want file.
	Want Want
}

// Load returns every input under dir (recursively) that has a .want file,
// in name order. An input without one, or a .want without an input, is an
// error: every bad input must say what it expects.
func Load(dir string) ([]Case, error) {
	var cases []Case
	wants := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		if strings.HasSuffix(path, ".want") {
			wants[strings.TrimSuffix(path, ".want")] = true
			return nil
		}
		input, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		wantPath := strings.TrimSuffix(path, filepath.Ext(path)) + ".want"
		wb, err := os.ReadFile(wantPath)
		if err != nil {
			return fmt.Errorf("badcorpus: %s has no expectation file %s: %w", path, filepath.Base(wantPath), err)
		}
		w, err := ParseWant(wb)
		if err != nil {
			return fmt.Errorf("badcorpus: %s: %w", wantPath, err)
		}
		rel, _ := filepath.Rel(dir, path)
		cases = append(cases, Case{Name: filepath.ToSlash(rel), Path: path, Input: input, Want: w})
		return nil
	})
	if err != nil {
		return nil, err
	}
	for stem := range wants {
		found := slices.ContainsFunc(cases, func(c Case) bool {
			return strings.TrimSuffix(c.Path, filepath.Ext(c.Path)) == stem
		})
		if !found {
			return nil, fmt.Errorf("badcorpus: %s.want has no input file", stem)
		}
	}
	slices.SortFunc(cases, func(a, b Case) int { return strings.Compare(a.Name, b.Name) })
	return cases, nil
}

// ParseWant parses the content of a .want file.
func ParseWant(b []byte) (Want, error) {
	var w Want
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return w, fmt.Errorf("line %d: want \"key: value\", got %q", n, line)
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "exit":
			v, err := strconv.Atoi(val)
			if err != nil {
				return w, fmt.Errorf("line %d: exit %q is not a number", n, val)
			}
			w.Exit = v
		case "status":
			v, err := strconv.Atoi(val)
			if err != nil {
				return w, fmt.Errorf("line %d: status %q is not a number", n, val)
			}
			w.Status = v
		case "error":
			if val == "" {
				return w, fmt.Errorf("line %d: empty error substring", n)
			}
			w.Errors = append(w.Errors, val)
		case "level":
			w.Level = val
		default:
			return w, fmt.Errorf("line %d: unknown key %q (exit, status, error, level)", n, key)
		}
	}
	if len(w.Errors) == 0 {
		return w, fmt.Errorf("no error substring: every bad input must say which problem its error names")
	}
	return w, sc.Err()
}

// Missing returns the expected substrings that msg lacks.
func (w Want) Missing(msg string) []string {
	var out []string
	for _, s := range w.Errors {
		if !strings.Contains(msg, s) {
			out = append(out, s)
		}
	}
	return out
}
