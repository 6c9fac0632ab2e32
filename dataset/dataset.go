// Package dataset embeds accord's bundled history: the agreements, leaders
// and signals around the Japan–UK Reciprocal Access Agreement of November
// 2022, with a source citation and a confidence on every event. The same
// file, history.jsonl, is readable in the repository; SCHEMA.md describes
// its format.
package dataset

import (
	_ "embed"
	"fmt"

	"github.com/accord-dev/accord/events"
)

//go:embed history.jsonl
var history []byte

// HistoryJSONL returns a copy of the bundled history in the wire format,
// one event per line.
func HistoryJSONL() []byte {
	return append([]byte(nil), history...)
}

// History parses the bundled history with c. It returns an error if any line
// is invalid (a test keeps that from happening).
func History(c *events.Codec) ([]events.Event, error) {
	evs, errs := events.ReadLines(c, history, 10)
	if len(errs) > 0 {
		return nil, fmt.Errorf("bundled history: %w", errs[0])
	}
	return evs, nil
}
