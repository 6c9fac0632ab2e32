package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

func (m *Main) demoCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Import the bundled history into a scratch store and summarize it",
		Long: `Import the bundled history (Japan's reciprocal access agreements with
Australia, the UK and the Philippines, the leaders of the period and related
defence agreements) and print a summary. Without --db it uses a fresh
embedded store in a temporary directory, removed afterwards.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if g.db == "" {
				dir, err := os.MkdirTemp("", "accord-demo-")
				if err != nil {
					return fmt.Errorf("demo: %w", err)
				}
				defer os.RemoveAll(dir)
				g.db = "sqlite:" + filepath.Join(dir, "demo.db")
			}
			evs, err := m.parseImport(bundledHistory())
			if err != nil {
				return err
			}
			s, err := m.openStore(ctx, g)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := m.importEvents(ctx, s, evs)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "accord demo: %d events of the bundled history in a %s store (%d new)\n", len(evs), s.Backend(), res.Appended)
			set, err := m.loadSet(ctx, s)
			if err != nil {
				return err
			}
			return m.printDemo(set)
		},
	}
}

// printDemo shows the agreements, the hubs of the network and the Japan–UK
// agreement on the article's date beside today.
func (m *Main) printDemo(set *projections.Set) error {
	w := m.Stdout
	now := m.Now().UTC()
	today := projections.Cut{AsOf: now, KnownAt: now}
	fmt.Fprintf(w, "\nAgreements today (%s)\n", now.Format("2006-01-02"))
	if err := writeTable(w, agreementsTable(set.Agreements.At(today))); err != nil {
		return err
	}
	article := events.MustDate("2022-11-30")
	then := projections.Cut{AsOf: article.End(), KnownAt: article.End()}
	for _, c := range []struct {
		label string
		cut   projections.Cut
	}{{"on 2022-11-30", then}, {"today", today}} {
		n := set.Network.At(c.cut)
		fmt.Fprintf(w, "\nTop hubs %s (betweenness centrality)\n", c.label)
		if len(n.Nodes) > 5 {
			n.Nodes = n.Nodes[:5]
		}
		if err := writeTable(w, nodesTable(n.Nodes)); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "\ngbr-jpn-raa: the Japan–UK Reciprocal Access Agreement")
	for _, c := range []struct {
		label string
		cut   projections.Cut
	}{{"as known on 2022-11-30", then}, {"today", today}} {
		st, ok := set.Agreements.Get("gbr-jpn-raa", c.cut)
		if !ok {
			fmt.Fprintf(w, "  %-24s no events\n", c.label)
			continue
		}
		approved := 0
		for _, a := range st.Approvals {
			if !a.Pending {
				approved++
			}
		}
		line := fmt.Sprintf("  %-24s %s since %s (%d days); approvals %d/%d", c.label, st.Stage, dateText(st.Since), st.DaysInStage, approved, len(st.Approvals))
		if x := st.LatestExpectation; x != nil && c.cut.AsOf.Equal(then.AsOf) {
			line += fmt.Sprintf("; expected: %s by %s (%s)", x.ExpectedType, dateText(x.ExpectedBy), x.SaidBy)
		}
		fmt.Fprintln(w, line)
		if len(st.Blockers) > 0 {
			b := st.Blockers[len(st.Blockers)-1]
			fmt.Fprintf(w, "  %-24s open blocker: %s became %s of %s on %s\n", "", b.To, b.Office, b.Country, dateText(b.Date))
		}
	}
	return m.printScenarioHeadline()
}
