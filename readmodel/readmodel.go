// Package readmodel keeps accord's read models, ordinary SQL tables that
// analysts query with psql or a BI tool, in step with the event log, on
// PostgreSQL and SQLite alike. It is an adapter at the edge: the state comes
// from the pure folds of package projections; this package only writes it.
//
// Each projection (agreements, leadership, network, timeline) has its own
// tables and its own checkpoint, the position of the last event it has
// applied. A Projector writes the rows that a page of events changed and
// moves the checkpoint in ONE transaction, so a crash never applies an event
// twice or skips one: on restart the projector folds the log up to its
// checkpoint in memory (no writes) and carries on.
package readmodel

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
)

// The projection names.
const (
	Agreements = "agreements"
	Leadership = "leadership"
	Network    = "network"
	Timeline   = "timeline"
)

// Names returns every projection name, in the order they are run.
func Names() []string { return []string{Agreements, Leadership, Network, Timeline} }

// ValidName reports whether name is a projection.
func ValidName(name string) bool { return slices.Contains(Names(), name) }

// Tables returns the read-model tables of a projection.
func Tables(name string) []string {
	switch name {
	case Agreements:
		return []string{"rm_agreements", "rm_agreement_transitions", "rm_agreement_approvals", "rm_agreement_blockers"}
	case Leadership:
		return []string{"rm_leaders", "rm_tenures"}
	case Network:
		return []string{"rm_network_nodes", "rm_network_edges"}
	case Timeline:
		return []string{"rm_timeline"}
	}
	return nil
}

//go:embed migrations
var migrations embed.FS

// Migrate creates or updates the read-model tables and the checkpoint
// table. dialect is "postgres" or "sqlite". It is idempotent.
func Migrate(ctx context.Context, db *sqlx.DB, dialect string) error {
	var gd goose.Dialect
	switch dialect {
	case "postgres":
		gd = goose.DialectPostgres
	case "sqlite":
		gd = goose.DialectSQLite3
	default:
		return fmt.Errorf("readmodel: unknown dialect %q", dialect)
	}
	sub, err := fs.Sub(migrations, "migrations/"+dialect)
	if err != nil {
		return fmt.Errorf("readmodel: migrations: %w", err)
	}
	p, err := goose.NewProvider(gd, db.DB, sub, goose.WithDisableGlobalRegistry(true), goose.WithTableName("readmodel_db_version"))
	if err != nil {
		return fmt.Errorf("readmodel: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("readmodel: migrate: %w", err)
	}
	return nil
}
