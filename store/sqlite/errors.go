package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

// wrapErr gives a database error its accord kind, with op as context:
// a busy or locked database (after the busy timeout), a file that cannot
// be opened, read or written wraps events.ErrUnavailable; a file that is
// not a database wraps events.ErrInvalid; unique violations wrap
// logcore.ErrRetry (the append is run again); context cancellation is kept
// as is; anything else is wrapped with op only.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, events.ErrUnavailable, err)
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("sqlite: %s: %w: %w", op, err, logcore.ErrRetry)
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_PERM:
		return fmt.Errorf("sqlite: %s: %w: %w", op, events.ErrUnavailable, err)
	case sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("sqlite: %s: %w: %w", op, err, events.ErrInvalid)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
