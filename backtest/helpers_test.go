package backtest

import (
	"os"
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

// synthetic returns the small synthetic log of testdata/synthetic.jsonl.
func synthetic(t testing.TB) []events.Event {
	t.Helper()
	b, err := os.ReadFile("testdata/synthetic.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	evs, errs := events.ReadLines(events.NewCodec(), b, 10)
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	return evs
}

func syntheticCases(t testing.TB) []Case {
	t.Helper()
	f, err := os.Open("testdata/synthetic_cases.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cs, err := ParseCases(f)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
