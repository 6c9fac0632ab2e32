package events

import (
	"context"
	"strconv"
)

// ExpectedVersion is the optimistic-concurrency condition of an append:
// an exact stream version (1 or more), or one of Any and NoStream.
type ExpectedVersion int64

const (
	// Any appends whatever the stream's version is.
	Any ExpectedVersion = -1
	// NoStream requires that the stream has no events yet (version 0).
	NoStream ExpectedVersion = 0
)

// Exact returns the condition "the stream is at version v".
func Exact(v int64) ExpectedVersion { return ExpectedVersion(v) }

// String reads "any", "no stream" or the number.
func (v ExpectedVersion) String() string {
	switch v {
	case Any:
		return "any"
	case NoStream:
		return "0 (no stream)"
	}
	return strconv.FormatInt(int64(v), 10)
}

// Matches reports whether a stream at version actual satisfies v.
func (v ExpectedVersion) Matches(actual int64) bool {
	return v == Any || int64(v) == actual
}

// AppendResult reports where appended events went. Positions[i] and
// Versions[i] belong to the i-th event of the request; for an event whose id
// was already in the log they are the original event's.
type AppendResult struct {
	Positions []int64
	Versions  []int64
	// Duplicates counts events of the request that were already in the log.
	Duplicates int
}

// Log is the contract every event store of accord implements and passes in
// the shared conformance suite (store/storetest).
//
// Ordering: every event has a global Position, 1-based, gap-free as readers
// see it: a reader that has seen position p will never later see a new event
// with a position at or below p, and positions follow commit order. Every
// event also has a Version in its stream, 1-based and contiguous.
//
// Concurrency: all methods are safe for concurrent use.
type Log interface {
	// Append writes evs to stream atomically, all or nothing. Each event's
	// Stream must be empty or equal stream. The store sets ID (when empty, it
	// must already have been derived; see Normalize), Version, Position and
	// RecordedAt.
	//
	// If every event's ID is already in the log, Append is a no-op that
	// returns the original positions, whatever expected is: retries are
	// safe. If only some are, the request is invalid (ErrInvalid).
	// Otherwise, when expected does not match the stream's version, it
	// returns a *ConflictError (errors.Is ErrConflict) and writes nothing.
	// An empty evs is invalid.
	Append(ctx context.Context, stream string, expected ExpectedVersion, evs []Event) (AppendResult, error)

	// ReadStream returns up to limit events of stream with Version >= from,
	// in version order. An unknown stream gives an empty slice, not an error.
	ReadStream(ctx context.Context, stream string, from int64, limit int) ([]Event, error)

	// ReadAll returns up to limit events with Position > after, in position
	// order. Call it again with the last position seen to page or to follow
	// the log.
	ReadAll(ctx context.Context, after int64, limit int) ([]Event, error)

	// Head returns the highest position visible to readers (0 for an empty
	// log).
	Head(ctx context.Context) (int64, error)

	// StreamVersion returns the stream's current version (0 if it has no
	// events).
	StreamVersion(ctx context.Context, stream string) (int64, error)
}
