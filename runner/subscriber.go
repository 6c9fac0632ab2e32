// Package runner keeps the read models current by running one projector
// per projection behind a watermill Router (with the Recoverer and Retry
// middleware), fed by a subscriber of the log's own that is gap-safe on
// every backend: it follows the log by global position, which both stores
// hand out in commit order.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// headReader is what the subscriber needs of the log.
type headReader interface {
	Head(ctx context.Context) (int64, error)
}

// rangeMsg is the payload of one message: the half-open range of positions
// (After, Upto] that the handler is to apply. The log stays the source of
// truth; the message only says how far to read.
type rangeMsg struct {
	After int64 `json:"after"`
	Upto  int64 `json:"upto"`
}

// logSubscriber is a watermill Subscriber over the log. Each topic is a
// projection; Subscribe starts after the position that start returns and
// emits one message per range of at most pageSize new positions, waiting
// for the ack of each before the next (strict order, at-least-once; the
// projector skips what it has already applied). A nacked message is sent
// again, up to maxNacks times, after which the subscription ends and Err
// reports why.
type logSubscriber struct {
	log       headReader
	start     func(ctx context.Context, topic string) (int64, error)
	pageSize  int64
	poll      time.Duration
	untilHead bool // end the subscription once the log's head at start is reached
	maxNacks  int
	// onFail, when set, is called with the error that ended a
	// subscription, so that the runner stops as a whole (and its caller
	// can start it again) rather than run on without that projection.
	onFail func(error)

	mu     sync.Mutex
	err    error
	closed bool
	wg     sync.WaitGroup
}

// Subscribe implements message.Subscriber.
func (s *logSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	after, err := s.start(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", topic, err)
	}
	var target int64 = -1
	if s.untilHead {
		if target, err = s.log.Head(ctx); err != nil {
			return nil, fmt.Errorf("subscribe %s: %w", topic, err)
		}
	}
	out := make(chan *message.Message)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		if err := s.follow(ctx, topic, after, target, out); err != nil && !errors.Is(err, context.Canceled) {
			s.fail(err)
		}
	}()
	return out, nil
}

func (s *logSubscriber) follow(ctx context.Context, topic string, after, target int64, out chan<- *message.Message) error {
	for {
		if target >= 0 && after >= target {
			return nil
		}
		head, err := s.head(ctx)
		if err != nil {
			return fmt.Errorf("%s: read head: %w", topic, err)
		}
		if head <= after {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(s.poll):
			}
			continue
		}
		upto := min(head, after+s.pageSize)
		if target >= 0 {
			upto = min(upto, target)
		}
		payload, _ := json.Marshal(rangeMsg{After: after, Upto: upto})
		for nacks := 0; ; nacks++ {
			if nacks > s.maxNacks {
				return fmt.Errorf("%s: positions %d to %d failed %d times; giving up", topic, after+1, upto, nacks)
			}
			msg := message.NewMessage(topic+"-"+strconv.FormatInt(upto, 10)+"-"+strconv.Itoa(nacks), payload)
			msg.SetContext(ctx)
			select {
			case out <- msg:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case <-msg.Acked():
				after = upto
			case <-msg.Nacked():
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
			break
		}
	}
}

// headAttempts is how many times the subscriber reads the log's head
// before a failure (a dropped connection, a restarting server) ends the
// subscription.
const headAttempts = 5

// head reads the log's head, trying again after a pause (doubling from the
// poll interval) when the read fails, up to headAttempts times.
func (s *logSubscriber) head(ctx context.Context) (int64, error) {
	wait := s.poll
	for attempt := 1; ; attempt++ {
		head, err := s.log.Head(ctx)
		if err == nil || attempt == headAttempts || ctx.Err() != nil {
			return head, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (s *logSubscriber) fail(err error) {
	s.mu.Lock()
	first := s.err == nil
	if first {
		s.err = err
	}
	s.mu.Unlock()
	if first && s.onFail != nil {
		s.onFail(err)
	}
}

// Err returns the first error that ended a subscription, or nil.
func (s *logSubscriber) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close implements message.Subscriber; subscriptions end with their context.
func (s *logSubscriber) Close() error {
	s.wg.Wait()
	return nil
}
