package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

// wrapErr gives a database error its accord kind, with op as context:
// connection failures and server shutdowns wrap events.ErrUnavailable;
// unique violations, serialization failures, deadlocks, lock timeouts and
// a moved head or a wrong assumed version wrap logcore.ErrRetry (the append is run again); data exceptions (class 22)
// wrap events.ErrInvalid; context cancellation is kept as is (errors.Is
// context.Canceled / DeadlineExceeded still works); anything else is
// wrapped with op only.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	if isRetryable(err) {
		return fmt.Errorf("postgres: %s: %w: %w", op, err, logcore.ErrRetry)
	}
	if pe := pq.As(err); pe != nil && pe.Code.Class() == "22" {
		// data exception: a value the database cannot store (a payload
		// string with \u0000 for jsonb, an out-of-range date).
		return fmt.Errorf("postgres: %s: %w: %w", op, err, events.ErrInvalid)
	}
	if isUnavailable(err) {
		return fmt.Errorf("postgres: %s: %w: %w", op, events.ErrUnavailable, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// isRetryable reports whether the transaction that failed with err may
// succeed when run again: a unique violation (a concurrent writer's ids or
// positions), a serialization failure, a deadlock, a lock wait that timed
// out, or accord_append's moved head.
func isRetryable(err error) bool {
	pe := pq.As(err, pqerror.UniqueViolation, pqerror.TRSerializationFailure, pqerror.TRDeadlockDetected,
		pqerror.LockNotAvailable, errHeadMoved, errVersionAssumed)
	return pe != nil
}

// isUnavailable reports whether err means the database could not be reached
// or is (temporarily) not serving: the operation may succeed later.
func isUnavailable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	if pe := pq.As(err); pe != nil {
		switch pe.Code.Class() {
		case pqerror.ClassConnectionException, // 08: connection failure
			"53", // insufficient resources: too many connections, disk full, out of memory
			"57": // operator intervention: admin shutdown, crash shutdown, cannot connect now
			return pe.Code != "57014" // query_canceled is not an outage
		}
		// The database named in the DSN does not exist, or authentication
		// failed: the store is unreachable as configured.
		switch pe.Code {
		case "3D000", "28000", "28P01":
			return true
		}
	}
	return false
}
