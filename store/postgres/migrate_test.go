package postgres_test

import (
	"testing"
	"time"

	"github.com/accord-dev/accord/store/pgtest"
	"github.com/accord-dev/accord/store/postgres"
	"github.com/accord-dev/accord/store/storetest"
)

// TestMigrateEnvelope fills a database at the first schema (migration 2:
// a column per envelope field, jsonb data, a streams table) the way the
// first store wrote it, then migrates it to the envelope layout: every
// event reads back exactly as it was written, and the log goes on from
// where it was.
func TestMigrateEnvelope(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.NewDatabase(t)
	l, err := postgres.Open(ctx, postgres.Config{DSN: dsn, SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := postgres.MigrateTo(l, 2); err != nil {
		t.Fatal(err)
	}
	db := l.DB()
	storetest.CheckMigration(t, l, db, func(t time.Time) any { return t })
	// The streams table is gone; versions come from the events.
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'streams' AND table_schema = current_schema()`); err != nil || n != 0 {
		t.Errorf("streams table: %d, %v", n, err)
	}
}
