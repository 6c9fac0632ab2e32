package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

// envelopeMigration is migration 3, in Go: it moves the events table from
// a column per envelope field (migration 1) to the envelope layout of
// envelopeTableSQL. The events are copied in position order, their
// envelopes built by logcore.AppendEnvelope, and the streams table is
// dropped (the unique index on (stream, version) answers a stream's
// version). It runs in the migration's transaction: a failure leaves the
// old table as it was.
func envelopeMigration() *goose.Migration {
	return goose.NewGoMigration(3, &goose.GoFunc{RunTx: migrateEnvelope}, nil)
}

// envelopeTableSQL creates the events table of the envelope layout (as
// events_new; migrateEnvelope renames it). Every field of the envelope is
// in envelope (see logcore.AppendEnvelope), which is what the read path
// selects; the other columns are there for plain SQL and for the indexes.
// id and stream compare bytewise (COLLATE "C"): faster index inserts than
// the database's collation, and the order of ids and stream names carries
// no meaning.
const envelopeTableSQL = `CREATE TABLE events_new (
    position    bigint      NOT NULL CHECK (position > 0),
    id          text        COLLATE "C" NOT NULL,
    stream      text        COLLATE "C" NOT NULL,
    version     bigint      NOT NULL CHECK (version > 0),
    type        text        NOT NULL,
    occurred_at date        NOT NULL,
    reported_at date        NOT NULL,
    recorded_at timestamptz NOT NULL,
    envelope    bytea       NOT NULL,
    data        text        NOT NULL,
    CONSTRAINT events_new_pkey PRIMARY KEY (position),
    CONSTRAINT events_new_id_key UNIQUE (id),
    CONSTRAINT events_new_stream_version_key UNIQUE (stream, version)
)`

// migrationPage is how many events migrateEnvelope copies per statement.
const migrationPage = 2000

func migrateEnvelope(ctx context.Context, tx *sql.Tx) error {
	var done bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'events' AND column_name = 'envelope')`).Scan(&done); err != nil {
		return fmt.Errorf("migration 3: %w", err)
	}
	if done {
		return nil
	}
	if _, err := tx.ExecContext(ctx, envelopeTableSQL); err != nil {
		return fmt.Errorf("migration 3: create table: %w", err)
	}
	var (
		after int64
		in    logcore.Interner
	)
	for {
		n, last, err := copyEnvelopePage(ctx, tx, after, &in)
		if err != nil {
			return fmt.Errorf("migration 3: copy events after position %d: %w", after, err)
		}
		if n == 0 {
			break
		}
		after = last
	}
	for _, q := range []string{
		`DROP TABLE events`,
		`DROP TABLE streams`,
		`ALTER TABLE events_new RENAME TO events`,
		`ALTER TABLE events RENAME CONSTRAINT events_new_pkey TO events_pkey`,
		`ALTER TABLE events RENAME CONSTRAINT events_new_id_key TO events_id_key`,
		`ALTER TABLE events RENAME CONSTRAINT events_new_stream_version_key TO events_stream_version_key`,
		`COMMENT ON TABLE events IS 'accord event log: one row per event, append-only; position is the gap-free global commit order; envelope holds every field but data (see store/internal/logcore)'`,
		`COMMENT ON COLUMN events.occurred_at IS 'valid time: the first day of a partial date (the precision is in envelope)'`,
		`COMMENT ON COLUMN events.reported_at IS 'when it became public: the first day of a partial date'`,
		`COMMENT ON COLUMN events.recorded_at IS 'transaction time: when this log stored the event'`,
		`COMMENT ON COLUMN events.data IS 'the payload as JSON text (data::jsonb to query it)'`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("migration 3: %s: %w", q, err)
		}
	}
	return nil
}

// oldReadSQL reads a page of the first schema's events: the data and the
// other columns in the packed form of logcore.ParsePacked.
const oldReadSQL = `SELECT data::text, textsend(concat(
	position, ' ', version, ' ', schema_version, ' ',
	occurred_at - DATE '1970-01-01', ' ', reported_at - DATE '1970-01-01', ' ', source_date - DATE '1970-01-01', ' ',
	` + logcore.PackedTexts + `,
	recorded_at))
FROM events WHERE position > $1 ORDER BY position LIMIT $2`

// copyEnvelopePage copies the events after position after (a page of them)
// from the old table to events_new and returns how many it copied and the
// last position.
func copyEnvelopePage(ctx context.Context, tx *sql.Tx, after int64, in *logcore.Interner) (int, int64, error) {
	rows, err := tx.QueryContext(ctx, oldReadSQL, after, migrationPage)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	b := newBatch(false)
	b.perRowRecordedAt()
	var last int64
	for rows.Next() {
		var data, packed []byte
		if err := rows.Scan(&data, &packed); err != nil {
			return 0, 0, err
		}
		var e events.Event
		if err := logcore.ParsePacked(packed, in, &e); err != nil {
			return 0, 0, err
		}
		b.add(&e, data)
		last = e.Position
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	if err := rows.Close(); err != nil {
		return 0, 0, err
	}
	if b.n == 0 {
		return 0, 0, nil
	}
	args := b.columns()
	// recorded_at comes from each envelope here (the batch function gives
	// one to the whole batch).
	if _, err := tx.ExecContext(ctx, `INSERT INTO events_new (position, id, stream, version, type, occurred_at, reported_at, recorded_at, envelope, data)
		SELECT u.position, u.id, u.stream, u.version, u.type, u.occurred_at, u.reported_at, u.recorded_at, u.envelope, u.data
		FROM unnest($6::bigint[], $3::text[], $4::text[], $7::bigint[], $5::text[], $8::date[], $9::date[], $10::timestamptz[], $2::bytea[], $1::text[])
		AS u(position, id, stream, version, type, occurred_at, reported_at, recorded_at, envelope, data)`,
		append(args, b.recordedAt.value())...); err != nil {
		return 0, 0, err
	}
	return b.n, last, nil
}
