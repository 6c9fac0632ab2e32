package sqlite

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accord-dev/accord/events"
)

// Config configures Open. The zero value of every field but Path has a
// default (see the field comments).
type Config struct {
	// Path is the database file, created if missing (its directory must
	// exist). Required; in-memory databases are not supported (every pooled
	// connection would see its own empty database).
	Path string
	// Codec decodes and encodes payloads (default events.NewCodec()).
	Codec *events.Codec
	// Clock gives the RecordedAt of appended events (default time.Now). It
	// is read while the append holds the write lock; the store keeps
	// RecordedAt non-decreasing in position order whatever the clock does.
	Clock func() time.Time
	// BusyTimeout is how long a write waits for another process's write
	// lock before failing with ErrUnavailable (default 10s).
	BusyTimeout time.Duration
	// SkipMigrate makes Open leave the schema alone; call Migrate before
	// using the log. By default Open migrates the file to the newest schema.
	SkipMigrate bool
}

// DefaultBusyTimeout is the busy timeout when Config.BusyTimeout is 0.
const DefaultBusyTimeout = 10 * time.Second

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Codec == nil {
		c.Codec = events.NewCodec()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = DefaultBusyTimeout
	}
	return c
}

// Validate reports what is wrong with c (after defaults), wrapping
// events.ErrInvalid.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.Path == "":
		errs = append(errs, errors.New("Path is required"))
	case c.Path == ":memory:" || strings.Contains(c.Path, "mode=memory"):
		errs = append(errs, errors.New("in-memory databases are not supported: use a file (a temporary one for tests)"))
	}
	if c.BusyTimeout < 0 {
		errs = append(errs, fmt.Errorf("BusyTimeout %s must not be negative", c.BusyTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite config: %w: %w", err, events.ErrInvalid)
	}
	return nil
}
