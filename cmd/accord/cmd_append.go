package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/events"
)

func (m *Main) appendCommand(g *globalFlags) *cobra.Command {
	var (
		w        events.WireEvent
		data     string
		src      events.Source
		srcDate  string
		expected int64
	)
	cmd := &cobra.Command{
		Use:   "append",
		Short: "Append one event, given by flags or as one JSON object on stdin",
		Long: `Append one event. Give it with flags (--type, --occurred-at, --data and the
source flags), or pipe one JSON object in the wire format on stdin when
--type is not given.

--expected-version makes the append conditional: N means the stream must be
at version N, 0 that it must not exist yet, -1 (the default) any version. A
mismatch exits with code 3 and changes nothing.`,
		Example: `  accord append --type agreement_signed --occurred-at 2023-01-11 \
    --data '{"agreement":"gbr-jpn-raa"}' --source-publication GOV.UK \
    --source-title "UK and Japan sign defence agreement" --source-date 2023-01-11 \
    --confidence confirmed
  echo '{"type":"talks_opened", ...}' | accord append`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var line []byte
			if w.Type == "" {
				b, err := io.ReadAll(io.LimitReader(m.Stdin, events.MaxWireEventBytes+1))
				if err != nil {
					return fmt.Errorf("read stdin: %w", err)
				}
				if len(strings.TrimSpace(string(b))) == 0 {
					return fmt.Errorf("%w: give the event with --type and the other flags, or as JSON on stdin", events.ErrInvalid)
				}
				line = b
			} else {
				if data == "" {
					return fmt.Errorf("%w: --data is required with --type (a JSON object)", events.ErrInvalid)
				}
				w.Data = json.RawMessage(data)
				if srcDate != "" {
					d, err := parseFlagDate("source-date", srcDate)
					if err != nil {
						return err
					}
					src.Date = d
				}
				w.Source = &src
				b, err := json.Marshal(w)
				if err != nil {
					return fmt.Errorf("%w: --data: %v", events.ErrInvalid, err)
				}
				line = b
			}
			e, err := events.ParseWire(m.Codec, line)
			if err != nil {
				return err
			}
			if expected < -1 {
				return fmt.Errorf("%w: --expected-version must be -1 (any), 0 (no stream) or a version", events.ErrInvalid)
			}
			s, err := m.openStore(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := s.Append(cmd.Context(), e.Stream, events.ExpectedVersion(expected), []events.Event{e})
			if err != nil {
				return err
			}
			out := map[string]any{"id": e.ID, "stream": e.Stream, "version": res.Versions[0], "position": res.Positions[0], "duplicate": res.Duplicates > 0}
			if g.output == "json" {
				return writeJSON(m.Stdout, out)
			}
			verb := "appended"
			if res.Duplicates > 0 {
				verb = "already in the log:"
			}
			fmt.Fprintf(m.Stdout, "%s %s %s version %d at position %d (id %s)\n", verb, e.Type, e.Stream, res.Versions[0], res.Positions[0], e.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&w.Type, "type", "", "event type, e.g. agreement_signed (omit to read JSON from stdin)")
	f.StringVar(&w.ID, "id", "", "event id (default: derived from the content)")
	f.StringVar(&w.Stream, "stream", "", "stream (default: derived from --data)")
	f.StringVar(&w.OccurredAt, "occurred-at", "", "when it happened: YYYY-MM-DD, YYYY-MM or YYYY")
	f.StringVar(&w.ReportedAt, "reported-at", "", "when it became public (default: --occurred-at)")
	f.StringVar(&data, "data", "", "the payload as a JSON object")
	f.StringVar(&src.Publication, "source-publication", "", "source: publication")
	f.StringVar(&src.Title, "source-title", "", "source: title")
	f.StringVar(&src.URL, "source-url", "", "source: URL")
	f.StringVar(&srcDate, "source-date", "", "source: date")
	f.StringVar(&w.Confidence, "confidence", "", "confirmed, reported or rumoured")
	f.StringVar(&w.Analyst, "analyst", "", "who recorded it")
	f.Int64Var(&expected, "expected-version", -1, "required stream version: N, 0 for a new stream, -1 for any")
	return cmd
}
