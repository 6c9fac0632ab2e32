package postgres_test

import (
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
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
	codec := events.NewCodec()
	want, datas, err := storetest.OldSchemaLog(codec)
	if err != nil {
		t.Fatal(err)
	}
	db := l.DB()
	if err := storetest.FillOldSchema(ctx, db, want, datas, func(t time.Time) any { return t }); err != nil {
		t.Fatal(err)
	}
	if err := l.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	storetest.CheckMigrated(t, l, want)
	// The streams table is gone; versions come from the events.
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'streams' AND table_schema = current_schema()`); err != nil || n != 0 {
		t.Errorf("streams table: %d, %v", n, err)
	}
	// Migrating again is a no-op.
	if err := l.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
}
