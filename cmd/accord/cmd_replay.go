package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/readmodel"
	"github.com/accord-dev/accord/runner"
	"github.com/accord-dev/accord/store"
)

// readModels prepares the read-model tables of s.
func (m *Main) readModels(ctx context.Context, s store.Store) error {
	return readmodel.Migrate(ctx, s.DB(), s.Backend())
}

func (m *Main) replayCommand(g *globalFlags) *cobra.Command {
	var names []string
	var resume bool
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Rebuild the read-model tables from the log (all projections, or one)",
		Long: `Rebuild the read-model tables (see the README for their names and columns)
from the event log: each projection's rows and checkpoint are reset, then the
log is replayed through the projection runner. With --resume the projections
carry on from their checkpoints instead (what a crashed runner does).

Projections: ` + strings.Join(readmodel.Names(), ", ") + `.`,
		Example: `  accord replay
  accord replay --projection agreements`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if len(names) == 0 {
				names = readmodel.Names()
			}
			for _, n := range names {
				if !readmodel.ValidName(n) {
					return fmt.Errorf("%w: --projection %q: known projections are %s", events.ErrInvalid, n, strings.Join(readmodel.Names(), ", "))
				}
			}
			s, err := m.openStore(ctx, g)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := m.readModels(ctx, s); err != nil {
				return err
			}
			head, err := s.Head(ctx)
			if err != nil {
				return err
			}
			var projectors []*readmodel.Projector
			for _, n := range names {
				p, err := readmodel.NewProjector(readmodel.ProjectorConfig{Name: n, DB: s.DB(), Codec: m.Codec, Clock: m.Now})
				if err != nil {
					return err
				}
				if !resume {
					if err := p.Reset(ctx); err != nil {
						return err
					}
				}
				projectors = append(projectors, p)
			}
			bars := map[string]*progress{}
			for _, n := range names {
				bars[n] = m.newProgress(fmt.Sprintf("%-10s", n), int(head))
			}
			err = runner.Run(ctx, runner.Config{
				Log: s, Projectors: projectors, UntilHead: true,
				Progress: func(name string, pos int64) { bars[name].set(int(pos)) },
			})
			for _, n := range names {
				bars[n].finish()
			}
			if err != nil {
				return err
			}
			for _, p := range projectors {
				fmt.Fprintf(m.Stdout, "%-10s rebuilt to position %d\n", p.Name(), p.Position())
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&names, "projection", nil, "only this projection (repeatable): "+strings.Join(readmodel.Names(), ", "))
	cmd.Flags().BoolVar(&resume, "resume", false, "continue from the checkpoints instead of rebuilding")
	return cmd
}

// projectionStatus is one row of `accord status`.
type projectionStatus struct {
	Projection string `json:"projection"`
	Position   int64  `json:"position"`
	Head       int64  `json:"head"`
	Lag        int64  `json:"lag"`
}

func (m *Main) statusCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show each projection's position and lag behind the log",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			format, err := outputFormat(g)
			if err != nil {
				return err
			}
			s, err := m.openStore(ctx, g)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := m.readModels(ctx, s); err != nil {
				return err
			}
			head, err := s.Head(ctx)
			if err != nil {
				return err
			}
			cps, err := readmodel.Checkpoints(ctx, s.DB())
			if err != nil {
				return err
			}
			var rows []projectionStatus
			for _, n := range readmodel.Names() {
				rows = append(rows, projectionStatus{Projection: n, Position: cps[n], Head: head, Lag: head - cps[n]})
			}
			return render(m.Stdout, format, rows, func() *table {
				t := &table{header: []string{"projection", "position", "head", "lag"}}
				for _, r := range rows {
					t.add(r.Projection, strconv.FormatInt(r.Position, 10), strconv.FormatInt(r.Head, 10), strconv.FormatInt(r.Lag, 10))
				}
				return t
			})
		},
	}
}
