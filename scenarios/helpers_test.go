package scenarios

import (
	"sync"
	"testing"

	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
)

var (
	bundledOnce sync.Once
	bundledEvs  []events.Event
	bundledErr  error
)

// bundled returns the bundled history, parsed once (callers must not
// modify it).
func bundled(t testing.TB) []events.Event {
	t.Helper()
	bundledOnce.Do(func() { bundledEvs, bundledErr = dataset.History(events.NewCodec()) })
	if bundledErr != nil {
		t.Fatal(bundledErr)
	}
	return bundledEvs
}
