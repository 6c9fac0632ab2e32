package readmodel

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// EventSource is what a Projector reads the log through: events.Log has it.
type EventSource interface {
	ReadAll(ctx context.Context, after int64, limit int) ([]events.Event, error)
}

// ProjectorConfig configures a Projector.
type ProjectorConfig struct {
	// Name is the projection: one of Names().
	Name string
	// DB is the database holding the read-model tables (the log's own).
	DB *sqlx.DB
	// Codec decodes corrections' replacement data; nil means events.NewCodec().
	Codec *events.Codec
	// Clock stamps checkpoints; nil means time.Now.
	Clock func() time.Time
	// PageSize is how many events Load reads at a time; 0 means 5000.
	PageSize int
	// BeforeCommit, when set, runs inside each Handle transaction just
	// before the commit; an error from it rolls the transaction back. It is
	// for tests that inject failures.
	BeforeCommit func(ctx context.Context) error
}

func (c ProjectorConfig) withDefaults() ProjectorConfig {
	if c.Codec == nil {
		c.Codec = events.NewCodec()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.PageSize <= 0 {
		c.PageSize = 5000
	}
	return c
}

// Validate reports a configuration error.
func (c ProjectorConfig) Validate() error {
	if !ValidName(c.Name) {
		return fmt.Errorf("%w: unknown projection %q (known: %s)", events.ErrInvalid, c.Name, strings.Join(Names(), ", "))
	}
	if c.DB == nil {
		return errors.New("readmodel: ProjectorConfig.DB is nil")
	}
	return nil
}

// Projector keeps one projection's read-model tables in step with the log.
// It holds the projection's state in memory (a projections.Set) and the
// hash of every entity's rows as last committed, so a page of events
// rewrites only the entities it changed.
//
// A Projector is not safe for concurrent use; run one per projection per
// process. Two processes running the same projection serialize on the
// checkpoint row, and the one that finds the checkpoint moved gets an
// error (ErrConflict) and should Load again.
type Projector struct {
	cfg ProjectorConfig
	// Only the projection named by cfg.Name is non-nil: each keeps just
	// the facts it needs.
	agreements *projections.Agreements
	leadership *projections.Leadership
	network    *projections.Network
	timeline   *projections.Timeline
	apply1     func(e *events.Event) error
	hashes     map[string]uint64
	streams    map[string]bool
	position   int64
}

// NewProjector returns a Projector at position 0; call Load before Handle.
func NewProjector(cfg ProjectorConfig) (*Projector, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Projector{cfg: cfg}
	p.resetMemory()
	return p, nil
}

func (p *Projector) resetMemory() {
	p.agreements, p.leadership, p.network, p.timeline = nil, nil, nil, nil
	switch p.cfg.Name {
	case Agreements:
		p.agreements = projections.NewAgreements(p.cfg.Codec)
		p.apply1 = p.agreements.Apply
	case Leadership:
		p.leadership = projections.NewLeadership(p.cfg.Codec)
		p.apply1 = p.leadership.Apply
	case Network:
		p.network = projections.NewNetwork(p.cfg.Codec)
		p.apply1 = p.network.Apply
	case Timeline:
		p.timeline = projections.NewTimeline(p.cfg.Codec)
		p.apply1 = p.timeline.Apply
	}
	p.hashes = map[string]uint64{}
	p.streams = map[string]bool{}
	p.position = 0
}

// Name returns the projection's name.
func (p *Projector) Name() string { return p.cfg.Name }

// Position returns the position of the last event applied and committed.
func (p *Projector) Position() int64 { return p.position }

// Load reads the projection's checkpoint and folds the log up to it in
// memory, without writing: the tables already hold that state.
func (p *Projector) Load(ctx context.Context, src EventSource) error {
	p.resetMemory()
	cp, err := Checkpoint(ctx, p.cfg.DB, p.cfg.Name)
	if err != nil {
		return err
	}
	for p.position < cp {
		page, err := src.ReadAll(ctx, p.position, min(p.cfg.PageSize, int(cp-p.position)))
		if err != nil {
			return fmt.Errorf("readmodel %s: load: %w", p.cfg.Name, err)
		}
		if len(page) == 0 {
			return fmt.Errorf("readmodel %s: checkpoint %d is beyond the log's head %d", p.cfg.Name, cp, p.position)
		}
		for i := range page {
			p.apply(&page[i])
		}
		p.position = page[len(page)-1].Position
	}
	for key, rows := range p.entities(nil, true) {
		p.hashes[key] = rows.hash()
	}
	return nil
}

func (p *Projector) apply(e *events.Event) {
	// Apply rejects only events without data, date or stream, which the
	// log never holds.
	_ = p.apply1(e)
	p.streams[e.Stream] = true
}

// Reset deletes the projection's rows and checkpoint (one transaction) and
// empties its memory: the next Handle starts from the first event.
func (p *Projector) Reset(ctx context.Context) error {
	tx, err := p.cfg.DB.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("readmodel %s: reset: %w", p.cfg.Name, err)
	}
	defer tx.Rollback()
	for _, t := range Tables(p.cfg.Name) {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t); err != nil {
			return fmt.Errorf("readmodel %s: reset %s: %w", p.cfg.Name, t, err)
		}
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM projection_checkpoints WHERE name = ?`), p.cfg.Name); err != nil {
		return fmt.Errorf("readmodel %s: reset checkpoint: %w", p.cfg.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("readmodel %s: reset: %w", p.cfg.Name, err)
	}
	p.resetMemory()
	return nil
}

// Handle applies a page of events, in position order, and commits the rows
// they change together with the new checkpoint. Events at or below the
// current position are skipped (redelivery is harmless). The page must
// continue the log without a gap. On any error nothing is committed and the
// Projector stays at its previous position; calling Handle again with the
// same page is safe.
func (p *Projector) Handle(ctx context.Context, page []events.Event) error {
	start := 0
	for start < len(page) && page[start].Position <= p.position {
		start++
	}
	page = page[start:]
	if len(page) == 0 {
		return nil
	}
	if page[0].Position != p.position+1 {
		return fmt.Errorf("readmodel %s: gap: at position %d, page starts at %d", p.cfg.Name, p.position, page[0].Position)
	}
	for i := 1; i < len(page); i++ {
		if page[i].Position != page[i-1].Position+1 {
			return fmt.Errorf("readmodel %s: page is not contiguous at position %d", p.cfg.Name, page[i].Position)
		}
	}
	for i := range page {
		p.apply(&page[i])
	}
	changed := p.entities(page, false)
	last := page[len(page)-1].Position
	if err := p.commit(ctx, changed, last); err != nil {
		return err
	}
	for key, rows := range changed {
		if rows == nil {
			delete(p.hashes, key)
		} else {
			p.hashes[key] = rows.hash()
		}
	}
	p.position = last
	return nil
}

func (p *Projector) commit(ctx context.Context, changed map[string]*entityRows, last int64) error {
	tx, err := p.cfg.DB.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("readmodel %s: begin: %w", p.cfg.Name, err)
	}
	defer tx.Rollback()
	cp, err := lockCheckpoint(ctx, tx, p.cfg.Name)
	if err != nil {
		return err
	}
	if cp != p.position {
		return fmt.Errorf("%w: readmodel %s: checkpoint is %d in the database, %d here: another process moved it", events.ErrConflict, p.cfg.Name, cp, p.position)
	}
	keys := make([]string, 0, len(changed))
	for k := range changed {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if err := p.writeEntities(ctx, tx, keys, changed); err != nil {
		return err
	}
	if err := setCheckpoint(ctx, tx, p.cfg.Name, last, p.cfg.Clock()); err != nil {
		return err
	}
	if p.cfg.BeforeCommit != nil {
		if err := p.cfg.BeforeCommit(ctx); err != nil {
			return fmt.Errorf("readmodel %s: before commit: %w", p.cfg.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("readmodel %s: commit: %w", p.cfg.Name, err)
	}
	return nil
}

// Checkpoint returns a projection's committed position (0 if it has none).
func Checkpoint(ctx context.Context, db *sqlx.DB, name string) (int64, error) {
	var pos int64
	err := db.GetContext(ctx, &pos, db.Rebind(`SELECT position FROM projection_checkpoints WHERE name = ?`), name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("readmodel %s: read checkpoint: %w", name, err)
	}
	return pos, nil
}

// Checkpoints returns every projection's committed position (0 for one
// that has never run), keyed by name.
func Checkpoints(ctx context.Context, db *sqlx.DB) (map[string]int64, error) {
	out := map[string]int64{}
	for _, n := range Names() {
		pos, err := Checkpoint(ctx, db, n)
		if err != nil {
			return nil, err
		}
		out[n] = pos
	}
	return out, nil
}

func lockCheckpoint(ctx context.Context, tx *sqlx.Tx, name string) (int64, error) {
	q := `SELECT position FROM projection_checkpoints WHERE name = ?`
	if tx.DriverName() == "postgres" {
		q += ` FOR UPDATE`
	}
	var pos int64
	err := tx.GetContext(ctx, &pos, tx.Rebind(q), name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("readmodel %s: lock checkpoint: %w", name, err)
	}
	return pos, nil
}

func setCheckpoint(ctx context.Context, tx *sqlx.Tx, name string, pos int64, now time.Time) error {
	ts := any(now.UTC())
	if tx.DriverName() != "postgres" {
		ts = now.UTC().Format(time.RFC3339Nano)
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO projection_checkpoints (name, position, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`), name, pos, ts)
	if err != nil {
		return fmt.Errorf("readmodel %s: write checkpoint: %w", name, err)
	}
	return nil
}

// entityRows is everything one entity (an agreement, an office, the
// network, a stream's timeline) has in the projection's tables.
type entityRows struct {
	tables []tableRows
}

type tableRows struct {
	table string
	cols  []string
	rows  [][]any
}

func (e *entityRows) add(table string, cols []string, vals ...any) {
	for i := range e.tables {
		if e.tables[i].table == table {
			e.tables[i].rows = append(e.tables[i].rows, vals)
			return
		}
	}
	e.tables = append(e.tables, tableRows{table: table, cols: cols, rows: [][]any{vals}})
}

func (e *entityRows) hash() uint64 {
	h := fnv.New64a()
	for _, t := range e.tables {
		fmt.Fprintf(h, "%s\x00", t.table)
		for _, r := range t.rows {
			for _, v := range r {
				fmt.Fprintf(h, "%v\x1f", v)
			}
			h.Write([]byte{0x1e})
		}
	}
	return h.Sum64()
}

// writeEntities replaces the rows of the changed entities (keys, sorted;
// nil rows: delete them): per table, one DELETE for many entities, then
// INSERTs of many rows each, so that a page costs a few statements per
// table rather than a few per entity.
func (p *Projector) writeEntities(ctx context.Context, tx *sqlx.Tx, keys []string, changed map[string]*entityRows) error {
	for _, t := range Tables(p.cfg.Name) {
		per := max(1, maxInsertParams/2)
		for start := 0; start < len(keys); start += per {
			where, args := entitiesWhere(t, keys[start:min(start+per, len(keys))])
			if _, err := tx.ExecContext(ctx, tx.Rebind("DELETE FROM "+t+where), args...); err != nil {
				return fmt.Errorf("readmodel %s: delete %s: %w", p.cfg.Name, t, err)
			}
			if where == "" {
				break // the whole table
			}
		}
	}
	var all []tableRows
	for _, k := range keys {
		rows := changed[k]
		if rows == nil {
			continue
		}
	next:
		for _, t := range rows.tables {
			for i := range all {
				if all[i].table == t.table && slices.Equal(all[i].cols, t.cols) {
					all[i].rows = append(all[i].rows, t.rows...)
					continue next
				}
			}
			all = append(all, tableRows{table: t.table, cols: t.cols, rows: slices.Clone(t.rows)})
		}
	}
	for _, t := range all {
		// Many rows per statement: one round trip per chunk instead of
		// one per row.
		per := max(1, maxInsertParams/len(t.cols))
		for start := 0; start < len(t.rows); start += per {
			chunk := t.rows[start:min(start+per, len(t.rows))]
			args := make([]any, 0, len(chunk)*len(t.cols))
			for _, r := range chunk {
				args = append(args, r...)
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(insertSQL(t.table, t.cols, len(chunk))), args...); err != nil {
				return fmt.Errorf("readmodel %s: insert into %s: %w", p.cfg.Name, t.table, err)
			}
		}
	}
	return nil
}

// maxInsertParams bounds the parameters of one statement, well below the
// limits of SQLite (32,766; 999 before 3.32) and PostgreSQL (65,535).
const maxInsertParams = 900

// insertSQL returns "INSERT INTO table (cols) VALUES (?, ...), ..." for n
// rows. table and cols are the fixed names of Tables and rows.go, never
// input.
func insertSQL(table string, cols []string, n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// entitiesWhere returns the WHERE clause that selects the rows of the
// entities keys in a table, or "" for the network's tables, which hold one
// entity and are rewritten whole.
func entitiesWhere(table string, keys []string) (string, []any) {
	var col string
	switch table {
	case "rm_agreements":
		col = "id"
	case "rm_agreement_transitions", "rm_agreement_approvals", "rm_agreement_blockers":
		col = "agreement"
	case "rm_timeline":
		col = "stream"
	case "rm_leaders", "rm_tenures":
		var b strings.Builder
		args := make([]any, 0, 2*len(keys))
		for i, k := range keys {
			if i > 0 {
				b.WriteString(" OR ")
			}
			b.WriteString("(country = ? AND office = ?)")
			country, office, _ := strings.Cut(k, "|")
			args = append(args, country, office)
		}
		return " WHERE " + b.String(), args
	default:
		return "", nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	return " WHERE " + col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ") + ")", args
}

// dateArgs returns a date's first day and precision as column values
// (NULLs for the zero date).
func dateArgs(d events.Date) (any, any) {
	if d.IsZero() {
		return nil, nil
	}
	return d.Day.Format("2006-01-02"), d.Precision.String()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }
