package postgres

import "context"

// SetOnBatch makes the writer call f with the size of every batch before
// writing it. Call it before the first Append.
func SetOnBatch(l *Log, f func(n int)) { l.onBatch = f }

// Queued returns the number of appends waiting for the writer.
func Queued(l *Log) int { return l.group.Len() }

// MigrateTo migrates the database of l up to version (an older schema, for
// the migration tests).
func MigrateTo(l *Log, version int64) error {
	p, err := l.migrationProvider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(context.Background(), version)
	return err
}
