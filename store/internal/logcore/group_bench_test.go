package logcore_test

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/accord-dev/accord/bench"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
)

// groupLog is an events.Log whose appends go through logcore's group
// commit to a commit that plans the batch (as the stores do) and waits
// commitTime, as a database would; only the client side costs CPU.
type groupLog struct {
	events.Log
	g        *logcore.Group
	codec    *events.Codec
	mu       sync.Mutex
	versions map[string]int64
}

func newGroupLog(commitTime time.Duration) *groupLog {
	l := &groupLog{codec: events.NewCodec(), versions: map[string]int64{}}
	var head int64
	l.g = logcore.NewGroup(func(ctx context.Context, reqs []*logcore.Request) error {
		l.mu.Lock()
		p := logcore.MakePlan(reqs, l.versions, head, time.Now())
		head = p.Head
		for s, v := range p.Streams {
			l.versions[s] = v
		}
		l.mu.Unlock()
		time.Sleep(commitTime)
		return nil
	})
	return l
}

func (l *groupLog) Append(ctx context.Context, stream string, exp events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	return logcore.Append(ctx, l.codec, l.g, stream, exp, evs)
}

func (l *groupLog) StreamVersion(ctx context.Context, s string) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.versions[s], nil
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGroupClient runs the bench's append workload (8 writers,
// batches of 1..10) through the group-commit queue onto a commit that
// sleeps 1 ms: the client side of an append (the workload, Prepare, the
// queue, the plan) without a database. One op is one event; cpu-ns/event
// is the process's CPU time per event.
func BenchmarkGroupClient(b *testing.B) {
	l := newGroupLog(time.Millisecond)
	defer l.g.Close()
	p := bench.Params{Events: max(b.N, 1000)}.WithDefaults()
	c0 := processCPU()
	b.ResetTimer()
	st, err := bench.RunWriters(context.Background(), p, bench.NewWorkload(p.Streams, p.Seed), bench.LogTarget{Log: l}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(processCPU()-c0)/float64(st.Events), "cpu-ns/event")
	b.ReportMetric(float64(st.Events)/float64(st.Appends), "events/append")
}
