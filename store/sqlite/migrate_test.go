package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-dev/accord/store/sqlite"
	"github.com/accord-dev/accord/store/storetest"
)

// TestMigrateEnvelope fills a file at the first schema (migration 1: a
// column per envelope field, a streams table) the way the first store
// wrote it, then migrates it to the envelope layout: every event reads
// back exactly as it was written, and the log goes on from where it was.
func TestMigrateEnvelope(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	l, err := sqlite.Open(ctx, sqlite.Config{Path: path, SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := sqlite.MigrateTo(l, 1); err != nil {
		t.Fatal(err)
	}
	recordedAt := func(t time.Time) any { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
	storetest.CheckMigration(t, l, l.DB(), recordedAt)
}
