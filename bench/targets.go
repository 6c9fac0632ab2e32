package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/accord-dev/accord/events"
)

// Target is a store that the append workload writes to: accord's event log
// or one of the stores it is compared with.
type Target interface {
	// Name is what the phase is reported as.
	Name() string
	// Append writes evs to stream after version expected (0 for a new
	// stream). It returns the events' positions when the store has them
	// (nil otherwise) and the stream's new version, or conflict = true
	// when the stream was not at expected (nothing written).
	Append(ctx context.Context, stream string, expected int64, evs []events.Event) (positions []int64, version int64, conflict bool, err error)
	// Version re-reads the stream's current version.
	Version(ctx context.Context, stream string) (int64, error)
}

// LogTarget is accord's event log as a Target.
type LogTarget struct{ Log events.Log }

// Name returns "append".
func (LogTarget) Name() string { return "append" }

// Append appends with expected version Exact(expected), or NoStream for 0.
func (t LogTarget) Append(ctx context.Context, stream string, expected int64, evs []events.Event) ([]int64, int64, bool, error) {
	exp := events.NoStream
	if expected > 0 {
		exp = events.Exact(expected)
	}
	res, err := t.Log.Append(ctx, stream, exp, evs)
	var ce *events.ConflictError
	if errors.As(err, &ce) {
		return nil, 0, true, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	return res.Positions, res.Versions[len(res.Versions)-1], false, nil
}

// Version returns the stream's version.
func (t LogTarget) Version(ctx context.Context, stream string) (int64, error) {
	return t.Log.StreamVersion(ctx, stream)
}

// PlainTarget is the simplest event store with optimistic concurrency: one
// table with UNIQUE(stream, version) and a global bigserial position, one
// multi-row INSERT per append (in its own implicit transaction), a unique
// violation on (stream, version) being the conflict. It checks no ids and
// does not keep the global order gap-free for readers.
type PlainTarget struct {
	db     *sqlx.DB
	codec  *events.Codec
	sqlite bool
}

// plainSchema is the plain store's table, in SQL that both PostgreSQL and
// SQLite accept (the position is an identity column on PostgreSQL).
func plainSchema(sqlite bool) string {
	pos, dataType := "position bigserial PRIMARY KEY", "jsonb"
	if sqlite {
		pos, dataType = "position INTEGER PRIMARY KEY", "text"
	}
	return `CREATE TABLE IF NOT EXISTS plain_events (
	` + pos + `,
	id text NOT NULL UNIQUE,
	stream text NOT NULL,
	version bigint NOT NULL,
	type text NOT NULL,
	data ` + dataType + ` NOT NULL,
	occurred_at date NOT NULL,
	reported_at date NOT NULL,
	recorded_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
	source_publication text NOT NULL,
	source_title text,
	source_url text,
	source_date date,
	confidence text NOT NULL,
	UNIQUE (stream, version)
)`
}

// NewPlainTarget creates the plain store's table in db (backend "postgres"
// or "sqlite").
func NewPlainTarget(ctx context.Context, db *sqlx.DB, backend string, codec *events.Codec) (*PlainTarget, error) {
	t := &PlainTarget{db: db, codec: codec, sqlite: backend == "sqlite"}
	if _, err := db.ExecContext(ctx, plainSchema(t.sqlite)); err != nil {
		return nil, fmt.Errorf("plain store: create table: %w", err)
	}
	return t, nil
}

// Name returns "append-plain".
func (*PlainTarget) Name() string { return "append-plain" }

const plainColumns = 11

// Append inserts evs with versions expected+1... in one statement.
func (t *PlainTarget) Append(ctx context.Context, stream string, expected int64, evs []events.Event) ([]int64, int64, bool, error) {
	var q strings.Builder
	q.WriteString(`INSERT INTO plain_events (id, stream, version, type, data, occurred_at, reported_at, source_publication, source_title, source_url, source_date, confidence) VALUES `)
	args := make([]any, 0, len(evs)*(plainColumns+1))
	for i := range evs {
		e := &evs[i]
		data, err := t.codec.Encode(e.Data)
		if err != nil {
			return nil, 0, false, err
		}
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for c := range plainColumns + 1 {
			if c > 0 {
				q.WriteByte(',')
			}
			q.WriteString(t.placeholder(len(args) + c + 1))
		}
		q.WriteByte(')')
		typ := e.Type
		if typ == "" {
			typ = e.Data.EventType()
		}
		args = append(args, e.ID, stream, expected+int64(i)+1, typ, string(data),
			e.OccurredAt.Day.Format("2006-01-02"), e.KnownAt().Day.Format("2006-01-02"),
			e.Source.Publication, e.Source.Title, e.Source.URL, e.Source.Date.Day.Format("2006-01-02"), string(e.Confidence))
	}
	_, err := t.db.ExecContext(ctx, q.String(), args...)
	if err != nil {
		if t.isVersionConflict(err) {
			return nil, 0, true, nil
		}
		return nil, 0, false, fmt.Errorf("plain store: insert: %w", err)
	}
	return nil, expected + int64(len(evs)), false, nil
}

func (t *PlainTarget) placeholder(n int) string {
	if t.sqlite {
		return "?"
	}
	return "$" + strconv.Itoa(n)
}

// isVersionConflict reports whether err is a unique violation of
// (stream, version).
func (t *PlainTarget) isVersionConflict(err error) bool {
	if t.sqlite {
		return strings.Contains(err.Error(), "UNIQUE constraint failed: plain_events.stream, plain_events.version")
	}
	pe := pq.As(err, "23505")
	return pe != nil && strings.Contains(pe.Constraint, "stream")
}

// Version reads max(version) of the stream.
func (t *PlainTarget) Version(ctx context.Context, stream string) (int64, error) {
	var v int64
	err := t.db.GetContext(ctx, &v, `SELECT COALESCE(max(version), 0) FROM plain_events WHERE stream = `+t.placeholder(1), stream)
	return v, err
}

// WatermillTarget publishes the events with watermill-sql's publisher and
// its default PostgreSQL schema (one table per topic, one multi-row INSERT
// per Publish in its own implicit transaction, a transaction-id watermark
// for subscribers). It checks no versions and no ids: an append never
// conflicts.
type WatermillTarget struct {
	pub   *wsql.Publisher
	codec *events.Codec
}

// WatermillTopic is the topic the benchmark publishes to.
const WatermillTopic = "accord_bench"

// NewWatermillTarget returns a publisher on db (a PostgreSQL pool, wrapped
// with wsql.BeginnerFromStdSQL) and creates the topic's table.
func NewWatermillTarget(ctx context.Context, db *sqlx.DB, codec *events.Codec) (*WatermillTarget, error) {
	schema := wsql.DefaultPostgreSQLSchema{}
	// Create the topic's table now, outside the measured time, with the
	// adapter's own queries (in a transaction: the first takes a lock).
	qs, err := schema.SchemaInitializingQueries(wsql.SchemaInitializingQueriesParams{Topic: WatermillTopic})
	if err != nil {
		return nil, fmt.Errorf("watermill-sql: schema: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("watermill-sql: schema: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, q := range qs {
		if _, err := wsql.TxFromStdSQL(tx).ExecContext(ctx, q.Query, q.Args...); err != nil {
			return nil, fmt.Errorf("watermill-sql: schema: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("watermill-sql: schema: %w", err)
	}
	pub, err := wsql.NewPublisher(wsql.BeginnerFromStdSQL(db), wsql.PublisherConfig{SchemaAdapter: schema}, nil)
	if err != nil {
		return nil, fmt.Errorf("watermill-sql: %w", err)
	}
	return &WatermillTarget{pub: pub, codec: codec}, nil
}

// Name returns "append-watermill".
func (*WatermillTarget) Name() string { return "append-watermill" }

// Append publishes one message per event (payload: the event's wire JSON;
// metadata: stream and version) in one Publish call.
func (t *WatermillTarget) Append(ctx context.Context, stream string, expected int64, evs []events.Event) ([]int64, int64, bool, error) {
	msgs := make([]*message.Message, len(evs))
	for i := range evs {
		w, err := events.ToWire(t.codec, &evs[i])
		if err != nil {
			return nil, 0, false, err
		}
		payload, err := json.Marshal(w)
		if err != nil {
			return nil, 0, false, err
		}
		m := message.NewMessage(evs[i].ID, payload)
		m.Metadata.Set("stream", stream)
		m.Metadata.Set("version", strconv.FormatInt(expected+int64(i)+1, 10))
		m.SetContext(ctx)
		msgs[i] = m
	}
	if err := t.pub.Publish(WatermillTopic, msgs...); err != nil {
		return nil, 0, false, err
	}
	return nil, expected + int64(len(evs)), false, nil
}

// Version returns 0: watermill keeps no stream versions (an append never
// conflicts, so the workload never asks).
func (*WatermillTarget) Version(context.Context, string) (int64, error) { return 0, nil }

// Close closes the publisher.
func (t *WatermillTarget) Close() error { return t.pub.Close() }
