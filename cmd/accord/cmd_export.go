package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/interchange"
)

func (m *Main) exportCommand(g *globalFlags) *cobra.Command {
	var (
		format string
		out    string
	)
	f := &logFilter{}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the log (or part of it) as PLOVER JSON lines, CAMEO CSV or accord JSON lines",
		Long: `Export events for other tools. --format plover writes PLOVER records (JSON
lines), cameo-csv writes CAMEO-coded CSV, jsonl accord's own wire format.
Every PLOVER and CSV record also carries accord's own envelope, so an export
imported into an empty log reproduces the events: same ids, types and times.
The filters are those of 'accord log'.`,
		Example: `  accord export --format plover > events.plover.jsonl
  accord export --format cameo-csv --stream agreement/gbr-jpn-raa --out raa.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			match, err := f.matcher()
			if err != nil {
				return err
			}
			var ifmt interchange.Format
			if format != "jsonl" {
				if ifmt, err = interchange.ParseFormat(format); err != nil {
					return err
				}
			}
			s, err := m.openStore(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer s.Close()
			evs, err := readFiltered(cmd.Context(), s, f.stream, f.limit, match)
			if err != nil {
				return err
			}
			w := m.Stdout
			var file *os.File
			if out != "" && out != "-" {
				if file, err = os.Create(out); err != nil {
					return fmt.Errorf("export: %w", err)
				}
				w = file
			}
			bw := bufio.NewWriter(w)
			if format == "jsonl" {
				err = writeWireLines(m.Codec, bw, evs)
			} else {
				err = interchange.Write(m.Codec, ifmt, bw, evs)
			}
			if err == nil {
				err = bw.Flush()
			}
			if file != nil {
				if cerr := file.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(out)
				}
			}
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			if file != nil {
				fmt.Fprintf(m.Stderr, "exported %d events to %s\n", len(evs), out)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "plover", "output format: plover, cameo-csv or jsonl")
	cmd.Flags().StringVar(&out, "out", "", "write to this file instead of stdout")
	cmd.Flags().StringVar(&f.stream, "stream", "", "only this stream")
	cmd.Flags().StringSliceVar(&f.types, "type", nil, "only these event types")
	cmd.Flags().StringVar(&f.from, "from", "", "only events that occurred on or after this date")
	cmd.Flags().StringVar(&f.to, "to", "", "only events that occurred on or before this date")
	cmd.Flags().StringVar(&f.knownAt, "known-at", "", "only events reported by this date")
	return cmd
}

// writeWireLines writes events in accord's wire format, one per line.
func writeWireLines(c *events.Codec, w *bufio.Writer, evs []events.Event) error {
	for i := range evs {
		wire, err := events.ToWire(c, &evs[i])
		if err != nil {
			return err
		}
		wire.Version, wire.Position, wire.RecordedAt = 0, 0, nil
		if err := writeJSONLine(w, wire); err != nil {
			return err
		}
	}
	return nil
}
