package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store"
)

// globalFlags are the flags every command takes.
type globalFlags struct {
	db     string
	output string
}

func (m *Main) rootCommand() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "accord",
		Short: "Event-sourced history, queries and what-if forecasts for international agreements",
		Long: `accord keeps an append-only log of sourced events about international
agreements (talks opened, signed, ratified, entered into force) and the
politics around them (leadership changes, statements, expectations), and
answers questions about it: the state of every agreement as of any date, as
it was known at any date, and what-if scenarios.

The log lives in an embedded SQLite file by default, or in PostgreSQL when
--db (or ACCORD_DB) is a postgres:// URL.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.db, "db", "", fmt.Sprintf(
		"event store: a postgres:// URL, sqlite:PATH or a file path (default $ACCORD_DB, else %s)", "$XDG_DATA_HOME/accord/accord.db or ~/.local/share/accord/accord.db"))
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "table", "output format: table, json or csv")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w: %v (see '%s --help')", events.ErrInvalid, err, c.CommandPath())
	})
	root.AddCommand(
		m.initCommand(g),
		m.appendCommand(g),
		m.importCommand(g),
		m.exportCommand(g),
		m.logCommand(g),
		m.demoCommand(g),
		m.agreementsCommand(g),
		m.agreementCommand(g),
		m.leadersCommand(g),
		m.networkCommand(g),
		m.timelineCommand(g),
		m.replayCommand(g),
		m.statusCommand(g),
		m.serveCommand(g),
		m.benchCommand(g),
		m.forecastCommand(g),
		m.scenarioCommand(g),
		m.backtestCommand(g),
	)
	for _, c := range root.Commands() {
		c.Args = wrapArgs(c.Args)
	}
	return root
}

// wrapArgs makes cobra's argument-count errors ErrInvalid.
func wrapArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	if v == nil {
		return nil
	}
	return func(c *cobra.Command, args []string) error {
		if err := v(c, args); err != nil {
			return fmt.Errorf("%w: %v (see '%s --help')", events.ErrInvalid, err, c.CommandPath())
		}
		return nil
	}
}

// dsn returns the store named by --db, ACCORD_DB or the default file.
func (m *Main) dsn(g *globalFlags) (string, error) {
	if g.db != "" {
		return g.db, nil
	}
	if v := m.Getenv("ACCORD_DB"); v != "" {
		return v, nil
	}
	return store.DefaultPath()
}

// openStore opens (and migrates) the store the flags name.
func (m *Main) openStore(ctx context.Context, g *globalFlags) (store.Store, error) {
	dsn, err := m.dsn(g)
	if err != nil {
		return nil, err
	}
	s, err := store.Open(ctx, dsn, m.Codec)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", redact(dsn), err)
	}
	return s, nil
}

// outputFormat validates --output.
func outputFormat(g *globalFlags) (string, error) {
	switch g.output {
	case "table", "json", "csv":
		return g.output, nil
	}
	return "", fmt.Errorf("%w: --output %q: want table, json or csv", events.ErrInvalid, g.output)
}

// redact hides a password in a DSN shown to users.
func redact(dsn string) string {
	at := strings.Index(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	userinfo := dsn[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return dsn[:scheme+3] + userinfo[:i] + ":***" + dsn[at:]
	}
	return dsn
}
