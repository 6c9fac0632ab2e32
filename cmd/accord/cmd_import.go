package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/interchange"
	"github.com/accord-dev/accord/store"
)

// maxImportBytes bounds one import's input (256 MiB).
const maxImportBytes = 256 << 20

// maxReportedErrors is how many bad lines an import lists before it stops.
const maxReportedErrors = 20

func (m *Main) importCommand(g *globalFlags) *cobra.Command {
	var (
		bundled     bool
		format      string
		skipInvalid bool
	)
	cmd := &cobra.Command{
		Use:   "import [FILE|-]",
		Short: "Import events from a JSON-lines file (or stdin), all or nothing; or PLOVER / CAMEO CSV",
		Long: `Import events in the wire format, one JSON object per line (see the README).

The whole input is validated first: if any line is bad, nothing is imported
and the errors name the line and the field. Events already in the log (same
id, or the same content when no id is given) are skipped, so importing the
same file twice changes nothing. --bundled imports accord's bundled history.

--format plover reads PLOVER records (JSON lines, e.g. POLECAT); --format
cameo-csv reads ICEWS- or GDELT-style CAMEO-coded CSV. Records that map onto
accord's types become those events; the rest become political_event with
their original coding, and a summary counts every outcome. A file with any
bad record imports nothing unless --skip-invalid is given, which imports the
good records and reports the bad ones.`,
		Example: `  accord import events.jsonl
  cat events.jsonl | accord import -
  accord import --bundled
  accord import --format plover polecat.jsonl
  accord import --format cameo-csv --skip-invalid icews.tsv`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var (
				data []byte
				name string
				err  error
			)
			switch {
			case bundled && len(args) > 0:
				return fmt.Errorf("%w: give a FILE or --bundled, not both", events.ErrInvalid)
			case bundled:
				data, name = dataset.HistoryJSONL(), "bundled history"
			case len(args) == 0:
				return fmt.Errorf("%w: name a FILE, '-' for stdin, or --bundled", events.ErrInvalid)
			default:
				if data, err = m.readInput(args[0]); err != nil {
					return err
				}
				name = args[0]
			}
			var evs []events.Event
			if format == "" || format == "jsonl" {
				if skipInvalid {
					return fmt.Errorf("%w: --skip-invalid goes with --format plover or cameo-csv", events.ErrInvalid)
				}
				if evs, err = m.parseImport(data); err != nil {
					return err
				}
			} else if evs, err = m.parseInterchange(format, data, skipInvalid); err != nil {
				return err
			}
			s, err := m.openStore(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := m.importEvents(cmd.Context(), s, evs)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "imported %d events from %s (%d already in the log)\n", res.Appended, name, res.Duplicates)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "jsonl", "input format: jsonl (accord's wire format), plover or cameo-csv")
	cmd.Flags().BoolVar(&skipInvalid, "skip-invalid", false, "with plover or cameo-csv: import the good records and report the bad ones")
	cmd.Flags().BoolVar(&bundled, "bundled", false, "import the bundled history (Japan's reciprocal access agreements and related events)")
	return cmd
}

// parseInterchange reads PLOVER or CAMEO CSV input, prints the summary of
// outcomes, and returns the events to import: none when any record is bad,
// unless skipInvalid.
func (m *Main) parseInterchange(format string, data []byte, skipInvalid bool) ([]events.Event, error) {
	f, err := interchange.ParseFormat(format)
	if err != nil {
		return nil, err
	}
	res, err := interchange.Read(m.Codec, f, bytes.NewReader(data), interchange.ReadOptions{})
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(m.Stdout, res.Summary())
	if len(res.Bad) > 0 {
		if !skipInvalid {
			return nil, fmt.Errorf("%w; nothing was imported (use --skip-invalid to import the good records)", res.Err())
		}
		fmt.Fprintf(m.Stdout, "skipped %d bad records:\n", len(res.Bad))
		for _, b := range res.Bad {
			fmt.Fprintf(m.Stdout, "  %s\n", b)
		}
	}
	if len(res.Events) == 0 {
		return nil, fmt.Errorf("%w: no importable records", events.ErrInvalid)
	}
	return res.Events, nil
}

// readInput reads a file, or stdin for "-", up to maxImportBytes.
func (m *Main) readInput(path string) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = m.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%w: %s: no such file", events.ErrNotFound, path)
			}
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxImportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxImportBytes {
		return nil, fmt.Errorf("%w: %s is larger than the import limit of %d MiB", events.ErrInvalid, path, maxImportBytes>>20)
	}
	return data, nil
}

// parseImport validates every line and the input as a whole; any problem
// fails the whole import.
func (m *Main) parseImport(data []byte) ([]events.Event, error) {
	evs, errs := events.ReadLines(m.Codec, data, maxReportedErrors)
	if len(errs) > 0 {
		return nil, lineErrors(errs)
	}
	if len(evs) == 0 {
		return nil, fmt.Errorf("%w: the input has no events", events.ErrInvalid)
	}
	if err := checkBatch(evs); err != nil {
		return nil, err
	}
	return evs, nil
}

// lineErrors joins line errors into one ErrInvalid error listing them.
func lineErrors(errs []error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d bad line", len(errs))
	if len(errs) != 1 {
		b.WriteString("s")
	}
	if len(errs) >= maxReportedErrors {
		b.WriteString(" (stopped counting)")
	}
	b.WriteString("; nothing was imported:")
	for _, e := range errs {
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return fmt.Errorf("%w: %s", events.ErrInvalid, b.String())
}

// checkBatch checks rules that span lines: an explicit id used twice for
// different content.
func checkBatch(evs []events.Event) error {
	seen := map[string]int{}
	for i := range evs {
		if j, ok := seen[evs[i].ID]; ok && !sameContent(&evs[i], &evs[j]) {
			return fmt.Errorf("%w: id %s is used by two different events (events %d and %d of the input)", events.ErrInvalid, evs[i].ID, j+1, i+1)
		}
		seen[evs[i].ID] = i
	}
	return nil
}

func sameContent(a, b *events.Event) bool {
	return a.Type == b.Type && a.Stream == b.Stream && a.OccurredAt == b.OccurredAt && a.ReportedAt == b.ReportedAt
}

// importEvents appends evs in one all-or-nothing transaction, after checking
// that every agreement that is new to the log names its parties.
func (m *Main) importEvents(ctx context.Context, s store.Store, evs []events.Event) (store.ImportResult, error) {
	if err := m.checkParties(ctx, s, evs); err != nil {
		return store.ImportResult{}, err
	}
	p := m.newProgress("importing", len(evs))
	defer p.finish()
	return s.Import(ctx, evs, p.set)
}

// checkParties requires that an agreement with no events in the log gets
// its parties from some lifecycle event of the input.
func (m *Main) checkParties(ctx context.Context, s store.Store, evs []events.Event) error {
	first := map[string]int{}
	hasParties := map[string]bool{}
	for i := range evs {
		lc, ok := evs[i].Data.(events.Lifecycle)
		if !ok {
			continue
		}
		id := lc.Ref().Agreement
		if _, ok := first[id]; !ok {
			first[id] = i
		}
		if len(lc.Ref().Parties) > 0 {
			hasParties[id] = true
		}
	}
	for id, i := range first {
		if hasParties[id] {
			continue
		}
		v, err := s.StreamVersion(ctx, events.AgreementStream(id))
		if err != nil {
			return err
		}
		if v == 0 {
			return fmt.Errorf("%w: event %d (%s): field data.parties: agreement %s is new to the log, so its first event must name its parties", events.ErrInvalid, i+1, evs[i].Type, id)
		}
	}
	return nil
}

// bundledHistory returns the embedded history file.
func bundledHistory() []byte { return dataset.HistoryJSONL() }
