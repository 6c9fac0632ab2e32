package logcore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/accord-dev/accord/events"
)

// Commit processes a batch of prepared requests in one transaction (see
// the package comment). On a nil return every request has its outcome
// (Result or Err); an error means that the transaction failed as a whole
// and wrote nothing (or, when the connection was lost during the commit,
// that its outcome is unknown): every request of the batch fails with it.
type Commit func(ctx context.Context, reqs []*Request) error

// Group is a group-commit queue. Append calls (on any goroutine) prepare
// their request and Submit it; one writer goroutine takes every request
// queued, up to MaxBatchEvents events, hands them to the backend as one
// batch, and answers each caller with its own outcome. While a batch is
// being written the next calls queue, so the cost of a transaction (the
// log's write lock, the round trips, the commit's disk flush) is shared by
// all the appends that arrived during the previous one.
//
// A caller whose context ends while its request is queued is answered with
// the context's error and its request is dropped; once its batch has been
// handed to the backend, the request may be written even though the caller
// has gone (as when a connection is lost during a commit: a retry with the
// same ids is safe).
type Group struct {
	commit Commit
	ctx    context.Context // the writer's: ends with Close
	cancel context.CancelFunc

	mu     sync.Mutex
	queue  []*call
	closed bool
	// want is how many queued calls wake the writer: it sets it to the
	// number it waits for, so that it is not woken by every call.
	want int
	wake chan struct{} // capacity 1: want calls are queued
	once sync.Once
	done chan struct{} // closed when the writer goroutine has returned
}

// MaxBatchEvents bounds the events of one group-commit batch.
const MaxBatchEvents = 2000

// call is one queued request and where its caller waits.
type call struct {
	ctx  context.Context
	req  *Request
	done chan error // capacity 1
}

// NewGroup returns a group-commit queue that writes with commit, one batch
// at a time. Its writer goroutine starts with the first Submit; Close
// stops it.
func NewGroup(commit Commit) *Group {
	ctx, cancel := context.WithCancel(context.Background())
	return &Group{commit: commit, ctx: ctx, cancel: cancel, want: 1, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// ErrClosed is the error of calls submitted to, or still queued in, a
// closed Group.
var ErrClosed = fmt.Errorf("the log is closed: %w", events.ErrUnavailable)

// Submit queues req and waits until its batch has been processed or ctx
// ends. A nil error means that req.Result or req.Err is its outcome; an
// error is the batch's failure, ErrClosed or ctx's error.
func (g *Group) Submit(ctx context.Context, req *Request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	g.once.Do(func() { go g.run() })
	c := &call{ctx: ctx, req: req, done: make(chan error, 1)}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return ErrClosed
	}
	g.queue = append(g.queue, c)
	signal := len(g.queue) >= g.want
	g.mu.Unlock()
	if signal {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
	select {
	case err := <-c.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the writer after the batch in progress, failing the calls
// still queued with ErrClosed, and waits for it. Later Submits fail with
// ErrClosed.
func (g *Group) Close() {
	g.mu.Lock()
	g.closed = true
	queued := g.queue
	g.queue = nil
	g.mu.Unlock()
	for _, c := range queued {
		c.done <- ErrClosed
	}
	g.cancel()
	started := true
	g.once.Do(func() { started = false })
	if started {
		<-g.done
	}
}

// run is the writer goroutine.
//
// Before it takes a batch it may wait a little for more calls: with
// synchronous callers, the callers answered by the last batch come back
// with their next call right away, and waiting for them puts them
// together into the next batch. Without the wait, a batch would start
// with the first caller back, the others would wait for the next one, and
// the callers would settle into alternating halves, each paying a whole
// commit. While it waits it is woken only when all the callers it waits
// for are queued (setWant), or when the wait is over.
func (g *Group) run() {
	defer close(g.done)
	var (
		expected int           // callers expected in the next batch
		wait     time.Duration // how long to wait for them at most
		since    time.Time     // when the next batch began to wait
		timer    = time.NewTimer(time.Hour)
	)
	timer.Stop()
	for g.ctx.Err() == nil {
		want := 1 // wake for the first call
		if n := g.queued(); n > 0 {
			if since.IsZero() {
				since = time.Now()
			}
			if n >= expected || time.Since(since) >= wait {
				start := time.Now()
				batch := g.take()
				g.process(batch)
				// The callers just answered, and those that queued
				// during the commit, are the ones to expect.
				expected = len(batch) + g.queued()
				wait = min(time.Since(start)/2, MaxLinger)
				since = time.Time{}
				continue
			}
			want = expected
			timer.Reset(wait - time.Since(since))
		}
		if !g.setWant(want) {
			continue // they came meanwhile
		}
		select {
		case <-g.wake:
		case <-timer.C:
		case <-g.ctx.Done():
		}
		timer.Stop()
	}
}

// setWant sets how many queued calls wake the writer, and reports false
// when that many are already queued (then the writer goes on at once).
func (g *Group) setWant(n int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.want = n
	return len(g.queue) < n
}

// MaxLinger bounds how long the writer waits for expected callers before
// taking a batch. The wait is also at most half the time the last batch
// took, so that it cannot cost more than a third of the throughput when
// the callers do not come back.
const MaxLinger = 2 * time.Millisecond

// Len returns the number of calls waiting for a batch (not counting the
// batches being written).
func (g *Group) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}

// queued returns the number of queued calls, or MaxBatchEvents when they
// already fill a batch.
func (g *Group) queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, events := len(g.queue), 0
	for _, c := range g.queue {
		if events += len(c.req.Events); events >= MaxBatchEvents {
			return MaxBatchEvents
		}
	}
	return n
}

// take removes the calls of the next batch from the queue: the oldest
// ones, up to MaxBatchEvents events (at least one call).
func (g *Group) take() []*call {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, events := 0, 0
	for n < len(g.queue) && (n == 0 || events+len(g.queue[n].req.Events) <= MaxBatchEvents) {
		events += len(g.queue[n].req.Events)
		n++
	}
	batch := g.queue[:n:n]
	if n == len(g.queue) {
		g.queue = nil
	} else {
		g.queue = g.queue[n:]
	}
	return batch
}

// process commits one batch and answers its callers; calls whose context
// has ended are answered with its error and dropped first.
func (g *Group) process(batch []*call) {
	live := batch[:0:0]
	reqs := make([]*Request, 0, len(batch))
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.done <- err
			continue
		}
		live = append(live, c)
		reqs = append(reqs, c.req)
	}
	if len(reqs) == 0 {
		return
	}
	err := g.commit(g.ctx, reqs)
	if err != nil && g.ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = ErrClosed
	}
	for _, c := range live {
		c.done <- err
	}
}

// Retry runs attempt on reqs until it succeeds or fails with an error that
// does not wrap ErrRetry, at most MaxAttempts times, resetting the
// requests' outcomes before each run. When every attempt failed with
// ErrRetry the error wraps events.ErrConflict; op names the operation in
// it ("append", "import").
func Retry(ctx context.Context, op string, reqs []*Request, attempt func(ctx context.Context, reqs []*Request) error) error {
	var err error
	for range MaxAttempts {
		for _, r := range reqs {
			r.Reset()
		}
		if err = attempt(ctx, reqs); err == nil || !errors.Is(err, ErrRetry) {
			return err
		}
	}
	return fmt.Errorf("%w: %s gave up after %d attempts: %w", events.ErrConflict, op, MaxAttempts, err)
}

// Isolated runs commit on reqs; when that fails with ErrInvalid (a value
// the database rejects, which Prepare could not foresee) and the batch has
// several requests, it runs commit on each request alone, so that only the
// offending request fails (with its error as its outcome).
func Isolated(ctx context.Context, reqs []*Request, commit Commit) error {
	err := commit(ctx, reqs)
	if err == nil || len(reqs) == 1 || !errors.Is(err, events.ErrInvalid) {
		return err
	}
	for _, r := range reqs {
		err := commit(ctx, []*Request{r})
		switch {
		case errors.Is(err, events.ErrInvalid):
			r.Err, r.Done = err, true
		case err != nil:
			return err
		}
	}
	return nil
}

// ImportChunks runs batch on reqs (all the requests of an import, in one
// transaction) in chunks of ImportChunk, calling progress (when not nil)
// after each with the number of input events handled so far: dups (the
// input's own duplicates) plus the requests handled.
func ImportChunks(reqs []*Request, dups int, progress func(int), batch func(reqs []*Request) error) error {
	for start := 0; start < len(reqs); start += ImportChunk {
		end := min(start+ImportChunk, len(reqs))
		if err := batch(reqs[start:end]); err != nil {
			return err
		}
		if progress != nil {
			progress(dups + end)
		}
	}
	return nil
}

// Append is the Append method of the stores: it prepares the call
// (Prepare), submits it to g and returns its outcome:
//
//   - Every event is copied and normalized (events.Normalize); an event
//     whose Stream is neither empty nor stream, an invalid event, an empty
//     batch or an id given twice is an ErrInvalid error.
//   - If all ids are already in the log, nothing is written and the result
//     has the original positions and versions and Duplicates = len(evs),
//     whatever expected is. If only some are, the request is ErrInvalid.
//   - If expected does not match the stream's version, the error is a
//     *events.ConflictError naming both; nothing is written.
//   - Otherwise the events are appended, with versions after the
//     stream's and positions after the log's head.
func Append(ctx context.Context, c *events.Codec, g *Group, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	req, err := Prepare(c, stream, expected, evs)
	if err != nil {
		return events.AppendResult{}, err
	}
	if err := g.Submit(ctx, req); err != nil {
		return events.AppendResult{}, err
	}
	if req.Err != nil {
		return events.AppendResult{}, req.Err
	}
	return req.Result, nil
}

// Import is the Import method of the stores. It appends evs, which may
// belong to many streams, in one transaction: all or nothing. Each event
// goes to its Stream (or the stream its data implies) after the stream's
// current events, in input order, whatever the stream's version (expected
// version Any). Events whose id is already in the log, or earlier in evs,
// are skipped and counted as duplicates, so importing the same file twice
// appends nothing the second time. Invalid events fail the whole import
// with ErrInvalid naming the event ("input event 3").
//
// It prepares the input (PrepareImport), runs tx on the requests (with
// Retry) and counts the outcome. tx processes all the requests in one
// transaction, calling progress (when not nil) with the number of input
// events handled so far (ImportChunks), after every chunk of ImportChunk
// events.
func Import(ctx context.Context, c *events.Codec, evs []events.Event, progress func(done int),
	tx func(ctx context.Context, reqs []*Request, dups int, progress func(int)) error) (ImportResult, error) {
	reqs, dups, err := PrepareImport(c, evs)
	if err != nil {
		return ImportResult{}, err
	}
	err = Retry(ctx, "import", reqs, func(ctx context.Context, reqs []*Request) error {
		return tx(ctx, reqs, dups, progress)
	})
	if err != nil {
		return ImportResult{}, err
	}
	res, err := Count(reqs)
	res.Duplicates += dups
	return res, err
}
