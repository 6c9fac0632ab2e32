package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/events"
)

func (m *Main) initCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create the event store or migrate it to the current schema",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := m.openStore(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer s.Close()
			head, err := s.Head(cmd.Context())
			if err != nil {
				return err
			}
			dsn, _ := m.dsn(g)
			fmt.Fprintf(m.Stdout, "%s store ready at %s (%d events)\n", s.Backend(), redact(dsn), head)
			return nil
		},
	}
}

// logFilter selects events for `accord log`.
type logFilter struct {
	stream  string
	types   []string
	from    string
	to      string
	knownAt string
	limit   int
}

func (m *Main) logCommand(g *globalFlags) *cobra.Command {
	f := &logFilter{}
	cmd := &cobra.Command{
		Use:   "log",
		Short: "List events, filtered by stream, type, valid-time range and known-at date",
		Long: `List events of the log in global order, or one stream in version order.

Dates may be partial (2022, 2022-05, 2022-05-05); a partial event date counts
from the first day of its period. --from/--to filter on valid time
(occurred_at), --known-at keeps only events reported by that date.`,
		Example: `  accord log --stream agreement/gbr-jpn-raa --output json
  accord log --type leadership_changed --from 2022-01-01 --to 2022-12-31`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(g)
			if err != nil {
				return err
			}
			for _, t := range f.types {
				if !m.Codec.Knows(t) {
					return fmt.Errorf("%w: --type %q is not an event type", events.ErrInvalid, t)
				}
			}
			match, err := f.matcher()
			if err != nil {
				return err
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
			return m.renderEvents(format, evs)
		},
	}
	cmd.Flags().StringVar(&f.stream, "stream", "", "only this stream (e.g. agreement/gbr-jpn-raa, country/GBR)")
	cmd.Flags().StringSliceVar(&f.types, "type", nil, "only these event types (repeat or comma-separate)")
	cmd.Flags().StringVar(&f.from, "from", "", "only events that occurred on or after this date")
	cmd.Flags().StringVar(&f.to, "to", "", "only events that occurred on or before this date")
	cmd.Flags().StringVar(&f.knownAt, "known-at", "", "only events reported by this date")
	cmd.Flags().IntVar(&f.limit, "limit", 0, "at most this many events (0: all)")
	return cmd
}

// parseFlagDate parses a date flag, naming the flag in errors.
func parseFlagDate(flag, v string) (events.Date, error) {
	d, err := events.ParseDate(v)
	if err != nil {
		return d, fmt.Errorf("%w: --%s: %v", events.ErrInvalid, flag, err)
	}
	return d, nil
}

func (f *logFilter) matcher() (func(*events.Event) bool, error) {
	var from, to, known events.Date
	var err error
	if f.from != "" {
		if from, err = parseFlagDate("from", f.from); err != nil {
			return nil, err
		}
	}
	if f.to != "" {
		if to, err = parseFlagDate("to", f.to); err != nil {
			return nil, err
		}
	}
	if !from.IsZero() && !to.IsZero() && to.Day.Before(from.Day) {
		return nil, fmt.Errorf("%w: --to %s is before --from %s", events.ErrInvalid, to, from)
	}
	if f.knownAt != "" {
		if known, err = parseFlagDate("known-at", f.knownAt); err != nil {
			return nil, err
		}
	}
	if f.limit < 0 {
		return nil, fmt.Errorf("%w: --limit must not be negative", events.ErrInvalid)
	}
	return func(e *events.Event) bool {
		if len(f.types) > 0 && !slices.Contains(f.types, e.Type) {
			return false
		}
		if !from.IsZero() && e.OccurredAt.Day.Before(from.Day) {
			return false
		}
		if !to.IsZero() && !e.OccurredAt.ReachedBy(to.End()) {
			return false
		}
		if !known.IsZero() && !e.KnownAt().ReachedBy(known.End()) {
			return false
		}
		return true
	}, nil
}

// eventReader is what readFiltered needs of a store.
type eventReader interface {
	ReadStream(ctx context.Context, stream string, from int64, limit int) ([]events.Event, error)
	ReadAll(ctx context.Context, after int64, limit int) ([]events.Event, error)
}

// readFiltered pages through one stream or the whole log, keeping events
// that match, up to limit (0: no limit).
func readFiltered(ctx context.Context, s eventReader, stream string, limit int, match func(*events.Event) bool) ([]events.Event, error) {
	const page = 1000
	var out []events.Event
	var cursor int64
	if stream != "" {
		cursor = 1
	}
	for {
		var batch []events.Event
		var err error
		if stream != "" {
			batch, err = s.ReadStream(ctx, stream, cursor, page)
		} else {
			batch, err = s.ReadAll(ctx, cursor, page)
		}
		if err != nil {
			return nil, err
		}
		for i := range batch {
			if match(&batch[i]) {
				out = append(out, batch[i])
				if limit > 0 && len(out) >= limit {
					return out, nil
				}
			}
		}
		if len(batch) < page {
			return out, nil
		}
		if stream != "" {
			cursor = batch[len(batch)-1].Version + 1
		} else {
			cursor = batch[len(batch)-1].Position
		}
	}
}

// renderEvents writes events as a JSON array of wire events, CSV or a table.
func (m *Main) renderEvents(format string, evs []events.Event) error {
	wires := make([]events.WireEvent, len(evs))
	for i := range evs {
		w, err := events.ToWire(m.Codec, &evs[i])
		if err != nil {
			return err
		}
		wires[i] = w
	}
	return render(m.Stdout, format, wires, func() *table {
		t := &table{header: []string{"position", "stream", "version", "type", "occurred_at", "reported_at", "recorded_at", "confidence", "source", "source_date", "data"}}
		if format == "table" {
			t.header = []string{"pos", "occurred", "type", "stream", "confidence", "source"}
		}
		for _, w := range wires {
			src := w.Source.Publication
			if w.Source.Title != "" {
				src += ": " + w.Source.Title
			}
			if format == "table" {
				t.add(strconv.FormatInt(w.Position, 10), w.OccurredAt, w.Type, w.Stream, w.Confidence, clipText(src, 60))
				continue
			}
			rec := ""
			if w.RecordedAt != nil {
				rec = w.RecordedAt.Format(time.RFC3339Nano)
			}
			t.add(strconv.FormatInt(w.Position, 10), w.Stream, strconv.FormatInt(w.Version, 10), w.Type, w.OccurredAt, w.ReportedAt,
				rec, w.Confidence, src, w.Source.Date.String(), string(w.Data))
		}
		return t
	})
}

func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
