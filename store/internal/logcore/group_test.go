package logcore_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
	"github.com/accord-dev/accord/store/storetest"
)

// TestPlanInBatchDuplicates checks that the same events submitted by two
// callers in one batch are written once, as if the calls were serial.
func TestPlanInBatchDuplicates(t *testing.T) {
	g := storetest.NewGen("ib")
	s := storetest.AgreementStream("ib")
	first := prepare(t, g, s, events.Exact(2), 2)
	again := &logcore.Request{Stream: s, Expected: events.Exact(2), Events: append([]events.Event(nil), first.Events...), Data: first.Data}
	partial := &logcore.Request{Stream: s, Expected: events.Any, Events: []events.Event{first.Events[0], g.Event(s)}, Data: [][]byte{first.Data[0], first.Data[0]}}
	p := logcore.MakePlan([]*logcore.Request{first, again, partial}, map[string]int64{s: 2}, 10, time.Now())
	if len(p.Rows) != 2 || p.Head != 12 || p.Streams[s] != 4 {
		t.Fatalf("plan: %d rows, head %d, streams %v", len(p.Rows), p.Head, p.Streams)
	}
	if first.Err != nil || !reflect.DeepEqual(first.Result.Positions, []int64{11, 12}) {
		t.Errorf("first: %+v, %v", first.Result, first.Err)
	}
	// The second call expected version 2 too, but its events are the
	// first call's: a duplicate with their positions, not a conflict.
	if again.Err != nil || again.Result.Duplicates != 2 || !reflect.DeepEqual(again.Result.Positions, first.Result.Positions) ||
		!reflect.DeepEqual(again.Result.Versions, []int64{3, 4}) {
		t.Errorf("again: %+v, %v", again.Result, again.Err)
	}
	if !errors.Is(partial.Err, events.ErrInvalid) {
		t.Errorf("partial: err %v, want ErrInvalid", partial.Err)
	}

	// When the first call conflicts, the second is judged on its own.
	first = prepare(t, g, s, events.Exact(1), 1)
	again = &logcore.Request{Stream: s, Expected: events.Exact(2), Events: append([]events.Event(nil), first.Events...), Data: first.Data}
	p = logcore.MakePlan([]*logcore.Request{first, again}, map[string]int64{s: 2}, 10, time.Now())
	var ce *events.ConflictError
	if !errors.As(first.Err, &ce) || again.Err != nil || again.Result.Duplicates != 0 || len(p.Rows) != 1 {
		t.Errorf("after a conflict: first %v, again %+v %v, %d rows", first.Err, again.Result, again.Err, len(p.Rows))
	}
}

// TestGroup checks the group-commit queue: concurrent calls share
// batches, each gets its own outcome, a batch error fails its calls only,
// a call whose context ends while queued is dropped, and Close fails what
// is still queued.
func TestGroup(t *testing.T) {
	var (
		mu      sync.Mutex
		sizes   []int
		failing atomic.Bool
		release = make(chan struct{})
		gate    atomic.Bool
	)
	grp := logcore.NewGroup(func(ctx context.Context, reqs []*logcore.Request) error {
		if gate.Load() {
			<-release
		}
		mu.Lock()
		sizes = append(sizes, len(reqs))
		mu.Unlock()
		time.Sleep(2 * time.Millisecond) // a commit
		if failing.Load() {
			return errors.New("connection lost")
		}
		for _, r := range reqs {
			if r.Expected == events.Exact(99) {
				r.Err, r.Done = &events.ConflictError{Stream: r.Stream, Expected: r.Expected}, true
				continue
			}
			r.Result, r.Done = events.AppendResult{Positions: []int64{int64(len(r.Events))}}, true
		}
		return nil
	})
	defer grp.Close()
	g := storetest.NewGen("grp")
	s := storetest.AgreementStream("grp")
	submit := func(ctx context.Context, exp events.ExpectedVersion) (*logcore.Request, error) {
		r := prepare(t, g, s, exp, 1)
		return r, grp.Submit(ctx, r)
	}

	// 8 synchronous callers, 25 calls each.
	var wg sync.WaitGroup
	var conflicts atomic.Int32
	for w := range 8 {
		wg.Go(func() {
			for i := range 25 {
				exp := events.Any
				if (w+i)%10 == 0 {
					exp = events.Exact(99)
				}
				r, err := submit(context.Background(), exp)
				if err != nil {
					t.Error(err)
					return
				}
				if r.Err != nil {
					conflicts.Add(1)
				} else if r.Result.Positions[0] != 1 {
					t.Errorf("result %+v", r.Result)
				}
			}
		})
	}
	wg.Wait()
	mu.Lock()
	n := len(sizes)
	mu.Unlock()
	if n >= 200 || conflicts.Load() != 19 {
		t.Errorf("%d batches for 200 calls (want fewer), %d conflicts (want 19)", n, conflicts.Load())
	}
	t.Logf("200 calls in %d batches", n)

	// A failing batch fails each of its calls with its error.
	failing.Store(true)
	if _, err := submit(context.Background(), events.Any); err == nil || err.Error() != "connection lost" {
		t.Errorf("failed batch: err = %v", err)
	}
	failing.Store(false)

	// A call whose context ends while it is queued returns at once.
	gate.Store(true)
	blocked := make(chan error, 1)
	go func() { _, err := submit(context.Background(), events.Any); blocked <- err }()
	for grp.Len() > 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond) // the writer waits at the gate
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	if _, err := submit(ctx, events.Any); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled call: err = %v", err)
	}
	cancel()
	// A call still queued when the group closes fails with ErrClosed.
	queued := make(chan error, 1)
	go func() { _, err := submit(context.Background(), events.Any); queued <- err }()
	for grp.Len() < 2 {
		time.Sleep(time.Millisecond)
	}
	go func() { time.Sleep(20 * time.Millisecond); close(release) }()
	grp.Close()
	if err := <-queued; !errors.Is(err, logcore.ErrClosed) || !errors.Is(err, events.ErrUnavailable) {
		t.Errorf("queued at Close: err = %v, want ErrClosed", err)
	}
	if err := <-blocked; err != nil {
		t.Errorf("the batch in progress at Close: %v", err)
	}
	if _, err := submit(context.Background(), events.Any); !errors.Is(err, logcore.ErrClosed) {
		t.Errorf("after Close: err = %v", err)
	}
}
