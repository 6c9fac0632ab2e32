package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/accord-dev/accord/events"
)

// Config configures Open. The zero value of every field but DSN has a
// default (see the field comments).
type Config struct {
	// DSN is a lib/pq connection string, a URL
	// ("postgres://user@host:5432/db?sslmode=disable") or key=value pairs.
	// Required. Unknown parameters are sent as run-time parameters; the
	// Log sets plan_cache_mode=force_custom_plan unless the DSN sets it
	// (see the package comment).
	DSN string
	// MaxConns bounds the connection pool (default 10). Appends hold one
	// connection each for the length of their transaction.
	MaxConns int
	// Codec decodes and encodes payloads (default events.NewCodec()).
	Codec *events.Codec
	// Clock gives the RecordedAt of appended events (default time.Now). It
	// is read while the append holds the log's write lock; the store keeps
	// RecordedAt non-decreasing in position order whatever the clock does.
	Clock func() time.Time
	// SkipMigrate makes Open leave the schema alone; call Migrate before
	// using the log. By default Open migrates the database to the newest
	// schema (under a PostgreSQL advisory lock, so concurrent processes
	// may open the same database).
	SkipMigrate bool
}

// DefaultMaxConns is the pool size when Config.MaxConns is 0.
const DefaultMaxConns = 10

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.Codec == nil {
		c.Codec = events.NewCodec()
	}

	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// Validate reports what is wrong with c (after defaults), wrapping
// events.ErrInvalid.
func (c Config) Validate() error {
	var errs []error
	if c.DSN == "" {
		errs = append(errs, errors.New("DSN is required"))
	}
	if c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("MaxConns %d must not be negative", c.MaxConns))
	}

	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("postgres config: %w: %w", err, events.ErrInvalid)
	}
	return nil
}
