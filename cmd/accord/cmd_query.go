package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// cutFlags are the time-axis flags every query takes.
type cutFlags struct {
	asOf       string
	knownAt    string
	recordedBy string
}

func addCutFlags(cmd *cobra.Command, f *cutFlags) {
	cmd.Flags().StringVar(&f.asOf, "as-of", "", "valid time: what had happened by this date (default: now)")
	cmd.Flags().StringVar(&f.knownAt, "known-at", "", "knowledge time: only events reported by this date (default: now)")
	cmd.Flags().StringVar(&f.recordedBy, "recorded-by", "", "transaction time: only events this log had recorded by this date or RFC 3339 instant (default: now)")
}

// flagInstant turns a date flag into the last instant it covers: a day
// means its end, a month its last day. A partial query date therefore
// includes everything dated within its period.
func flagInstant(flag, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := parseFlagDate(flag, v)
	if err != nil {
		return time.Time{}, err
	}
	return d.End().Add(24*time.Hour - time.Nanosecond), nil
}

// cut builds the query's Cut: as-of and known-at default to now.
func (m *Main) cut(f *cutFlags) (projections.Cut, error) {
	now := m.Now().UTC()
	c := projections.Cut{AsOf: now, KnownAt: now}
	var err error
	if f.asOf != "" {
		if c.AsOf, err = flagInstant("as-of", f.asOf); err != nil {
			return c, err
		}
	}
	if f.knownAt != "" {
		if c.KnownAt, err = flagInstant("known-at", f.knownAt); err != nil {
			return c, err
		}
	}
	if f.recordedBy != "" {
		if c.RecordedBy, err = flagInstant("recorded-by", f.recordedBy); err != nil {
			return c, err
		}
	}
	return c, nil
}

// loadSet folds the whole log into the projections.
func (m *Main) loadSet(ctx context.Context, s eventReader) (*projections.Set, error) {
	set := projections.NewSet(m.Codec)
	var after int64
	for {
		page, err := s.ReadAll(ctx, after, 5000)
		if err != nil {
			return nil, err
		}
		if err := set.ApplyAll(page); err != nil {
			return nil, err
		}
		if len(page) < 5000 {
			return set, nil
		}
		after = page[len(page)-1].Position
	}
}

// query opens the store, folds the log and runs fn with the cut.
func (m *Main) query(cmd *cobra.Command, g *globalFlags, cf *cutFlags, fn func(set *projections.Set, cut projections.Cut, format string) error) error {
	format, err := outputFormat(g)
	if err != nil {
		return err
	}
	cut, err := m.cut(cf)
	if err != nil {
		return err
	}
	s, err := m.openStore(cmd.Context(), g)
	if err != nil {
		return err
	}
	defer s.Close()
	set, err := m.loadSet(cmd.Context(), s)
	if err != nil {
		return err
	}
	return fn(set, cut, format)
}

func dateText(d events.Date) string {
	if d.IsZero() {
		return "-"
	}
	return d.String()
}

func (m *Main) agreementsCommand(g *globalFlags) *cobra.Command {
	cf := &cutFlags{}
	cmd := &cobra.Command{
		Use:   "agreements",
		Short: "List all agreements with their parties, stage, since when and days in stage",
		Example: `  accord agreements --as-of 2022-11-30
  accord agreements --as-of 2023-02-01 --known-at 2022-11-30 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.query(cmd, g, cf, func(set *projections.Set, cut projections.Cut, format string) error {
				states := set.Agreements.At(cut)
				return render(m.Stdout, format, states, func() *table { return agreementsTable(states) })
			})
		},
	}
	addCutFlags(cmd, cf)
	return cmd
}

func agreementsTable(states []projections.AgreementState) *table {
	t := &table{header: []string{"agreement", "parties", "stage", "since", "days_in_stage", "events"}}
	for _, s := range states {
		t.add(s.ID, strings.Join(s.Parties, " "), string(s.Stage), dateText(s.Since), strconv.Itoa(s.DaysInStage), strconv.Itoa(s.Events))
	}
	return t
}

func (m *Main) agreementCommand(g *globalFlags) *cobra.Command {
	cf := &cutFlags{}
	cmd := &cobra.Command{
		Use:   "agreement ID",
		Short: "Show one agreement: stage, transitions with sources, approvals, blockers, expectation",
		Example: `  accord agreement gbr-jpn-raa --as-of 2022-11-30
  accord agreement gbr-jpn-raa --as-of 2023-02-01 --known-at 2022-11-30 --output json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.query(cmd, g, cf, func(set *projections.Set, cut projections.Cut, format string) error {
				st, ok := set.Agreements.Get(args[0], cut)
				if !ok {
					return fmt.Errorf("%w: agreement %q has no events at this cut (see 'accord agreements')", events.ErrNotFound, args[0])
				}
				switch format {
				case "json":
					return writeJSON(m.Stdout, st)
				case "csv":
					return writeCSV(m.Stdout, transitionsTable(&st))
				}
				return m.printAgreement(&st)
			})
		},
	}
	addCutFlags(cmd, cf)
	return cmd
}

func transitionsTable(st *projections.AgreementState) *table {
	t := &table{header: []string{"agreement", "stage", "date", "type", "source", "confidence"}}
	for _, tr := range st.Transitions {
		src := tr.Source.Publication
		if tr.Source.Title != "" {
			src += ": " + tr.Source.Title
		}
		t.add(st.ID, string(tr.Stage), dateText(tr.Date), tr.Type, src, string(tr.Confidence))
	}
	return t
}

func (m *Main) printAgreement(st *projections.AgreementState) error {
	w := m.Stdout
	title := st.Title
	if title == "" {
		title = st.ID
	}
	fmt.Fprintf(w, "%s (%s)\n", title, st.ID)
	fmt.Fprintf(w, "  parties: %s   kind: %s\n", strings.Join(st.Parties, ", "), st.Kind)
	fmt.Fprintf(w, "  stage:   %s since %s (%d days)\n\n", st.Stage, dateText(st.Since), st.DaysInStage)
	fmt.Fprintln(w, "Transitions")
	tt := transitionsTable(st)
	tt.header = tt.header[1:]
	for i := range tt.rows {
		tt.rows[i] = tt.rows[i][1:]
		tt.rows[i][3] = clipText(tt.rows[i][3], 70)
	}
	if err := writeTable(w, tt); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nDomestic approvals")
	for _, a := range st.Approvals {
		status := "pending"
		if !a.Pending {
			status = "done " + dateText(a.Date)
		}
		fmt.Fprintf(w, "  %s  %-8s %s\n", a.Party, status, a.Body)
	}
	if len(st.Blockers) > 0 {
		fmt.Fprintln(w, "\nOpen blockers")
		for _, b := range st.Blockers {
			fmt.Fprintf(w, "  %s %s: %s became %s (while %s)\n", dateText(b.Date), b.Country, b.To, b.Office, b.Stage)
		}
	}
	if x := st.LatestExpectation; x != nil {
		fmt.Fprintf(w, "\nLatest expectation: %s by %s, said by %s (reported %s)\n", x.ExpectedType, dateText(x.ExpectedBy), x.SaidBy, dateText(x.ReportedAt))
	}
	return nil
}

var countryArg = regexp.MustCompile(`^[A-Za-z]{3}$`)

func (m *Main) leadersCommand(g *globalFlags) *cobra.Command {
	cf := &cutFlags{}
	cmd := &cobra.Command{
		Use:     "leaders COUNTRY",
		Short:   "Show a country's office holders and turnover (distinct holders in the last 60 days)",
		Example: `  accord leaders GBR --as-of 2022-10-30`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !countryArg.MatchString(args[0]) {
				return fmt.Errorf("%w: %q is not an ISO 3166 alpha-3 country code (e.g. GBR)", events.ErrInvalid, args[0])
			}
			code := strings.ToUpper(args[0])
			return m.query(cmd, g, cf, func(set *projections.Set, cut projections.Cut, format string) error {
				offices := set.Leadership.Country(code, cut)
				if len(offices) == 0 {
					return fmt.Errorf("%w: no leadership events for %s at this cut", events.ErrNotFound, code)
				}
				return render(m.Stdout, format, offices, func() *table {
					t := &table{header: []string{"country", "office", "holder", "since", "holders_last_60d", "holders"}}
					for _, o := range offices {
						names := make([]string, len(o.Holders))
						for i, h := range o.Holders {
							names[i] = h.Holder
						}
						t.add(o.Country, o.Office, o.Holder, dateText(o.Since), strconv.Itoa(o.HoldersLast60d), strings.Join(names, " > "))
					}
					return t
				})
			})
		},
	}
	addCutFlags(cmd, cf)
	return cmd
}

func (m *Main) networkCommand(g *globalFlags) *cobra.Command {
	cf := &cutFlags{}
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Show the network of countries and agreements: degree and betweenness, hubs first",
		Long: `Countries are nodes; an agreement at stage negotiating or later (not
abandoned or terminated) is an edge between each pair of its parties.
Betweenness centrality is normalized to [0,1]; hubs come first.`,
		Example: `  accord network --as-of 2022-11-30 --output json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.query(cmd, g, cf, func(set *projections.Set, cut projections.Cut, format string) error {
				n := set.Network.At(cut)
				return render(m.Stdout, format, n, func() *table { return nodesTable(n.Nodes) })
			})
		},
	}
	addCutFlags(cmd, cf)
	return cmd
}

func nodesTable(nodes []projections.Node) *table {
	t := &table{header: []string{"country", "degree", "betweenness", "agreements"}}
	for _, n := range nodes {
		t.add(n.Country, strconv.Itoa(n.Degree), strconv.FormatFloat(n.Betweenness, 'f', 3, 64), strconv.Itoa(n.Agreements))
	}
	return t
}

func (m *Main) timelineCommand(g *globalFlags) *cobra.Command {
	cf := &cutFlags{}
	cmd := &cobra.Command{
		Use:   "timeline ID|COUNTRY",
		Short: "Show the events of an agreement or a country in valid-time order, with sources",
		Example: `  accord timeline gbr-jpn-raa
  accord timeline GBR --as-of 2022-12-31`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.query(cmd, g, cf, func(set *projections.Set, cut projections.Cut, format string) error {
				var entries []projections.Entry
				if countryArg.MatchString(args[0]) && strings.ToUpper(args[0]) == args[0] {
					entries = set.Timeline.Country(args[0], cut)
				} else {
					entries = set.Timeline.Agreement(args[0], cut)
				}
				if len(entries) == 0 {
					return fmt.Errorf("%w: no events for %q at this cut", events.ErrNotFound, args[0])
				}
				return render(m.Stdout, format, entries, func() *table {
					t := &table{header: []string{"occurred_at", "type", "summary", "source", "confidence"}}
					for _, e := range entries {
						t.add(dateText(e.OccurredAt), e.Type, clipText(e.Summary, 60), clipText(e.Source.Publication, 30), string(e.Confidence))
					}
					return t
				})
			})
		},
	}
	addCutFlags(cmd, cf)
	return cmd
}
