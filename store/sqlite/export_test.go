package sqlite

import "context"

// MigrateTo migrates the file of l up to version (an older schema, for the
// migration tests).
func MigrateTo(l *Log, version int64) error {
	p, err := l.migrationProvider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(context.Background(), version)
	return err
}
