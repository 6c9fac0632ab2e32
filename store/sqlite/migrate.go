package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

// envelopeMigration is migration 2, in Go: it moves the events table from
// a column per envelope field (migration 1) to the envelope layout of
// envelopeTableSQL, as store/postgres's migration 3 does. The events are
// copied in position order with their envelopes built by
// logcore.AppendEnvelope, and the streams table is dropped. It runs in the
// migration's (IMMEDIATE) transaction and does nothing on a file that is
// already migrated (two processes may open a new file at once).
func envelopeMigration() *goose.Migration {
	return goose.NewGoMigration(2, &goose.GoFunc{RunTx: migrateEnvelope}, nil)
}

// envelopeTableSQL creates the events table of the envelope layout (as
// events_new). Every field of the envelope is in envelope, which is what
// the read path selects; the other columns are there for plain SQL and
// for the indexes. Dates are ISO text (partial dates as their first day),
// recorded_at as in migration 1; data is JSON text.
const envelopeTableSQL = `CREATE TABLE events_new (
    position    INTEGER PRIMARY KEY CHECK (position > 0),
    id          TEXT    NOT NULL UNIQUE,
    stream      TEXT    NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    type        TEXT    NOT NULL,
    occurred_at TEXT    NOT NULL,
    reported_at TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    envelope    BLOB    NOT NULL,
    data        TEXT    NOT NULL,
    UNIQUE (stream, version)
) STRICT`

// oldReadSQL reads a page of the first schema's events: the data and the
// other columns in the packed form of logcore.ParsePacked.
const oldReadSQL = `SELECT data, concat(
	position, ' ', version, ' ', schema_version, ' ',
	CAST(julianday(occurred_at) - 2440587.5 AS INTEGER), ' ', CAST(julianday(reported_at) - 2440587.5 AS INTEGER), ' ',
	CAST(julianday(source_date) - 2440587.5 AS INTEGER), ' ',
	` + logcore.PackedTexts + `,
	recorded_at)
FROM events WHERE position > ? ORDER BY position LIMIT ?`

// migrationPage is how many events migrateEnvelope reads per statement.
const migrationPage = 2000

func migrateEnvelope(ctx context.Context, tx *sql.Tx) error {
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('events') WHERE name = 'envelope'`).Scan(&done); err != nil {
		return fmt.Errorf("migration 2: %w", err)
	}
	if done > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, envelopeTableSQL); err != nil {
		return fmt.Errorf("migration 2: create table: %w", err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO events_new (position, id, stream, version, type, occurred_at, reported_at, recorded_at, envelope, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("migration 2: %w", err)
	}
	defer ins.Close()
	var (
		after int64
		in    logcore.Interner
		env   []byte
	)
	for {
		page, err := readOldPage(ctx, tx, after, &in)
		if err != nil {
			return fmt.Errorf("migration 2: read events after position %d: %w", after, err)
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			e := &page[i].event
			env = logcore.AppendEnvelope(env[:0], e)
			if _, err := ins.ExecContext(ctx, rowArgs(e, env, page[i].data)...); err != nil {
				return fmt.Errorf("migration 2: copy event %d: %w", e.Position, err)
			}
		}
		after = page[len(page)-1].event.Position
	}
	for _, q := range []string{
		`DROP TABLE events`,
		`DROP TABLE streams`,
		`ALTER TABLE events_new RENAME TO events`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("migration 2: %s: %w", q, err)
		}
	}
	return nil
}

// oldRow is an event of the first schema, with its data.
type oldRow struct {
	event events.Event
	data  []byte
}

// readOldPage reads the first schema's events after position after.
func readOldPage(ctx context.Context, tx *sql.Tx, after int64, in *logcore.Interner) ([]oldRow, error) {
	rows, err := tx.QueryContext(ctx, oldReadSQL, after, migrationPage)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []oldRow
	for rows.Next() {
		var (
			r      oldRow
			packed []byte
		)
		if err := rows.Scan(&r.data, &packed); err != nil {
			return nil, err
		}
		if err := logcore.ParsePacked(packed, in, &r.event); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
