package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

// OldSchemaLog returns the events of a small log as the stores' first
// schema held them (a column per envelope field), for the tests of the
// migration to the envelope layout: events of agreement and country
// streams with every kind of date and optional field, normalized, with
// positions, versions and RecordedAt set, and each one's encoded data.
// The stores' tests insert them with the first schema's SQL, migrate, and
// read them back.
func OldSchemaLog(c *events.Codec) ([]events.Event, [][]byte, error) {
	g := NewGen("mig")
	streams := []string{AgreementStream("mig-a"), CountryStream("JPN"), AgreementStream("mig-b"), CountryStream("GBR")}
	versions := map[string]int64{}
	rec := time.Date(2025, 3, 4, 5, 6, 7, 891000, time.UTC)
	var (
		out   []events.Event
		datas [][]byte
	)
	for i := range 40 {
		// One event per stream in turn, then runs of four events of a
		// stream at consecutive positions.
		k := i
		if i >= 12 {
			k = i / 4
		}
		s := streams[k%len(streams)]
		e := g.Event(s)
		if err := events.Normalize(c, &e); err != nil {
			return nil, nil, fmt.Errorf("event %d: %w", i, err)
		}
		versions[s]++
		e.Version, e.Position = versions[s], int64(i+1)
		e.RecordedAt = rec.Add(time.Duration(i/3) * time.Millisecond)
		data, err := c.Encode(e.Data)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, e)
		datas = append(datas, data)
	}
	return out, datas, nil
}

// oldSchemaColumns returns the values of the first schema's columns for e
// and its data, in the order position, id, stream, version, type,
// schema_version, data, occurred_at, occurred_precision, reported_at,
// reported_precision, recorded_at, source_publication, source_title,
// source_url, source_date, source_date_precision, confidence, analyst,
// correlation_id, causation_id: dates as YYYY-MM-DD, optional texts as nil
// when empty, recorded_at as recordedAt formats it.
func oldSchemaColumns(e *events.Event, data []byte, recordedAt func(time.Time) any) []any {
	opt := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	occ, occP := logcore.DateColumn(e.OccurredAt)
	rep, repP := logcore.DateColumn(e.ReportedAt)
	src, srcP := logcore.DateColumn(e.Source.Date)
	return []any{e.Position, e.ID, e.Stream, e.Version, e.Type, e.SchemaVersion, string(data),
		occ, occP, rep, repP, recordedAt(e.RecordedAt),
		e.Source.Publication, opt(e.Source.Title), opt(e.Source.URL), opt(src), opt(srcP),
		string(e.Confidence), opt(e.Analyst), opt(e.CorrelationID), opt(e.CausationID)}
}

// oldSchemaInsert is the first schema's INSERT of one event, with the
// placeholders of oldSchemaColumns.
const oldSchemaInsert = `INSERT INTO events (position, id, stream, version, type, schema_version, data,
	occurred_at, occurred_precision, reported_at, reported_precision, recorded_at,
	source_publication, source_title, source_url, source_date, source_date_precision,
	confidence, analyst, correlation_id, causation_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`

// Execer is what FillOldSchema needs of a database: *sql.DB and *sqlx.DB
// have it.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// FillOldSchema writes want (from OldSchemaLog, with their datas) into a
// database at the first schema the way the first store wrote them: each
// event's row, its stream's version in the streams table, and the log's
// head. recordedAt gives the value of a recorded_at column (the time
// itself, or the store's text form). The SQL is the one both stores
// accept ($n placeholders, ON CONFLICT ... DO UPDATE).
func FillOldSchema(ctx context.Context, db Execer, want []events.Event, datas [][]byte, recordedAt func(time.Time) any) error {
	for i := range want {
		e := &want[i]
		if _, err := db.ExecContext(ctx, `INSERT INTO streams (stream, version) VALUES ($1, $2)
			ON CONFLICT (stream) DO UPDATE SET version = excluded.version`, e.Stream, e.Version); err != nil {
			return fmt.Errorf("old stream version of event %d: %w", e.Position, err)
		}
		if _, err := db.ExecContext(ctx, oldSchemaInsert, oldSchemaColumns(e, datas[i], recordedAt)...); err != nil {
			return fmt.Errorf("old insert of event %d: %w", e.Position, err)
		}
	}
	last := want[len(want)-1]
	if _, err := db.ExecContext(ctx, `UPDATE log_head SET position = $1, recorded_at = $2`, last.Position, recordedAt(last.RecordedAt)); err != nil {
		return fmt.Errorf("old log head: %w", err)
	}
	return nil
}

// CheckMigrated checks a log migrated from the first schema that held the
// events of OldSchemaLog (want): every event reads back exactly as it was
// written, every stream is at its version, the next append follows the
// migrated events, and a retry of a migrated event is recognized.
func CheckMigrated(t *testing.T, l events.Log, want []events.Event) {
	t.Helper()
	ctx := context.Background()
	got := mustReadAll(t, l, 0, 1000)
	if len(got) != len(want) {
		t.Fatalf("read %d events after the migration, want %d", len(got), len(want))
	}
	versions := map[string]int64{}
	byStream := map[string][]events.Event{}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("event %d after the migration:\n got %+v\nwant %+v", i+1, got[i], want[i])
		}
		versions[want[i].Stream] = want[i].Version
		byStream[want[i].Stream] = append(byStream[want[i].Stream], want[i])
	}
	for s, v := range versions {
		if got := mustStreamVersion(t, l, s); got != v {
			t.Errorf("StreamVersion(%s) = %d; want %d", s, got, v)
		}
		// The whole stream, and two events from the middle.
		if got := mustReadStream(t, l, s, 1, 1000); !reflect.DeepEqual(got, byStream[s]) {
			t.Errorf("ReadStream(%s) after the migration: %d events, want %d (or they differ)", s, len(got), len(byStream[s]))
		}
		mid := v / 2
		if got := mustReadStream(t, l, s, mid, 2); !reflect.DeepEqual(got, byStream[s][mid-1:mid+1]) {
			t.Errorf("ReadStream(%s, from %d, 2) after the migration: %+v", s, mid, got)
		}
	}
	last := want[len(want)-1]
	g := NewGen("after")
	res, err := l.Append(ctx, last.Stream, events.Exact(versions[last.Stream]), g.Events(last.Stream, 2))
	if err != nil || res.Positions[0] != last.Position+1 || res.Versions[0] != versions[last.Stream]+1 {
		t.Fatalf("append after the migration: %+v, %v", res, err)
	}
	retry := want[0]
	retry.Position, retry.Version, retry.RecordedAt = 0, 0, time.Time{}
	res, err = l.Append(ctx, retry.Stream, events.Any, []events.Event{retry})
	if err != nil || res.Duplicates != 1 || res.Positions[0] != 1 {
		t.Errorf("retry of a migrated event: %+v, %v", res, err)
	}
}

// Migrator is a log that can migrate its database to its newest schema.
type Migrator interface {
	events.Log
	Migrate(ctx context.Context) error
}

// CheckMigration writes the events of OldSchemaLog into db, which must be
// at the first schema (FillOldSchema, with recordedAt), migrates l and
// checks the result (CheckMigrated); migrating once more must succeed.
func CheckMigration(t *testing.T, l Migrator, db Execer, recordedAt func(time.Time) any) {
	t.Helper()
	ctx := t.Context()
	want, datas, err := OldSchemaLog(events.NewCodec())
	if err != nil {
		t.Fatal(err)
	}
	if err := FillOldSchema(ctx, db, want, datas, recordedAt); err != nil {
		t.Fatal(err)
	}
	if err := l.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	CheckMigrated(t, l, want)
	if err := l.Migrate(ctx); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
}
