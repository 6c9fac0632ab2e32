package postgres

// SetOnBatch makes the writer call f with the size of every batch before
// writing it. Call it before the first Append.
func SetOnBatch(l *Log, f func(n int)) { l.onBatch = f }

// Queued returns the number of appends waiting for the writer.
func Queued(l *Log) int { return l.group.Len() }
