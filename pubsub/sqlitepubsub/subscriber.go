package sqlitepubsub

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/accord-dev/accord/store/sqlite"
)

// offsetsTable is created by migrate: one row per consumer group and
// topic, with the version of the last message the group acknowledged and
// the subscription that holds the group's lease on the topic.
const offsetsDDL = `CREATE TABLE IF NOT EXISTS watermill_offsets (
	consumer_group TEXT    NOT NULL,
	topic          TEXT    NOT NULL,
	acked          INTEGER NOT NULL DEFAULT 0,
	owner          TEXT,
	lease_until    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (consumer_group, topic)
)`

func migrate(ctx context.Context, l *sqlite.Log) error {
	if _, err := l.DB().ExecContext(ctx, offsetsDDL); err != nil {
		return fmt.Errorf("sqlitepubsub: create watermill_offsets: %w", err)
	}
	return nil
}

// SubscriberConfig configures a Subscriber. The zero value is ready to use.
type SubscriberConfig struct {
	// ConsumerGroup names the group the subscriber consumes for; each
	// group gets every message of a topic once (at least once; see the
	// package comment). The empty name is a group like any other.
	ConsumerGroup string
	// PollInterval is how often a subscription looks for new messages
	// when it has delivered them all, and for the group's lease when
	// another subscription holds it (default 100ms).
	PollInterval time.Duration
	// BatchSize is how many messages are read from the store at a time
	// (default 100).
	BatchSize int
	// LeaseTTL is how long a subscription keeps the group's lease on a
	// topic without renewing it; it renews it while it runs, so this is how
	// long the group waits after a subscriber died without closing
	// (default 10s).
	LeaseTTL time.Duration
	// NackResendDelay is the pause before a nacked message is delivered
	// again (default 10ms).
	NackResendDelay time.Duration
	// Logger receives errors that a subscription retries (default none).
	Logger watermill.LoggerAdapter
}

func (c SubscriberConfig) withDefaults() SubscriberConfig {
	if c.PollInterval <= 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 10 * time.Second
	}
	if c.NackResendDelay <= 0 {
		c.NackResendDelay = 10 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = watermill.NopLogger{}
	}
	return c
}

// Subscriber delivers the messages of topics to a consumer group. It is
// safe for concurrent use; each Subscribe call is a subscription of its own
// that competes for the group's lease on the topic.
type Subscriber struct {
	log *sqlite.Log
	cfg SubscriberConfig

	mu      sync.Mutex
	closed  bool
	closing chan struct{}
	wg      sync.WaitGroup
}

var _ message.Subscriber = (*Subscriber)(nil)

// NewSubscriber returns a Subscriber over l, which must have been opened
// with a codec that knows Message (see Open and Register). It creates the
// offsets table if it is missing.
func NewSubscriber(l *sqlite.Log, cfg SubscriberConfig) (*Subscriber, error) {
	if l == nil {
		return nil, errors.New("sqlitepubsub: NewSubscriber: nil log")
	}
	if err := migrate(context.Background(), l); err != nil {
		return nil, err
	}
	return &Subscriber{log: l, cfg: cfg.withDefaults(), closing: make(chan struct{})}, nil
}

// Subscribe starts a subscription to topic for the subscriber's consumer
// group. Messages come on the returned channel one at a time, in publishing
// order: the next after the previous was acked (a nacked one comes again).
// The channel is closed when ctx ends or the Subscriber is closed.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if topic == "" {
		return nil, errors.New("sqlitepubsub: Subscribe: empty topic")
	}
	subCtx, cancel := context.WithCancel(ctx)
	out := make(chan *message.Message)
	sub := &subscription{s: s, topic: topic, stream: StreamName(topic), owner: watermill.NewUUID(), out: out}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		defer cancel()
		go func() {
			select {
			case <-s.closing:
				cancel()
			case <-subCtx.Done():
			}
		}()
		sub.run(subCtx)
	}()
	return out, nil
}

// Close ends every subscription (each releases its lease, so that another
// subscriber of the group takes over at once) and waits for them. It does
// not close the store. Calling it again does nothing.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// subscription is one Subscribe call.
type subscription struct {
	s      *Subscriber
	topic  string
	stream string
	owner  string
	out    chan<- *message.Message
	// leaseUntil is when this subscription's lease ends, as last written.
	leaseUntil time.Time
}

func (sub *subscription) logf(msg string, err error) {
	sub.s.cfg.Logger.Error(msg, err, watermill.LogFields{"topic": sub.topic, "consumer_group": sub.s.cfg.ConsumerGroup})
}

// run delivers messages until ctx ends.
func (sub *subscription) run(ctx context.Context) {
	defer sub.release()
	cfg := sub.s.cfg
	for ctx.Err() == nil {
		acked, ok, err := sub.acquire(ctx)
		if err != nil && ctx.Err() == nil {
			sub.logf("sqlitepubsub: taking the lease failed; retrying", err)
		}
		if !ok {
			sleep(ctx, cfg.PollInterval)
			continue
		}
		evs, err := sub.s.log.ReadStream(ctx, sub.stream, acked+1, cfg.BatchSize)
		if err != nil {
			if ctx.Err() == nil {
				sub.logf("sqlitepubsub: reading messages failed; retrying", err)
			}
			sleep(ctx, cfg.PollInterval)
			continue
		}
		if len(evs) == 0 {
			sleep(ctx, cfg.PollInterval)
			continue
		}
		for i := range evs {
			m, ok := evs[i].Data.(*Message)
			if !ok || m.Topic != sub.topic {
				// Not a message of this topic (a hash collision of two
				// topic names): skip it.
				if !sub.ack(ctx, evs[i].Version) {
					break
				}
				continue
			}
			if !sub.deliver(ctx, m, evs[i].Version) {
				break
			}
		}
	}
}

// deliver sends one message until it is acked, and records the ack. It
// returns false when the subscription must stop delivering (ctx ended, or
// the lease was lost: another subscription of the group may deliver the
// message again).
func (sub *subscription) deliver(ctx context.Context, m *Message, version int64) bool {
	cfg := sub.s.cfg
	renew := time.NewTicker(cfg.LeaseTTL / 3)
	defer renew.Stop()
resend:
	for {
		msg := message.NewMessage(m.UUID, m.Payload)
		msg.Metadata = maps.Clone(message.Metadata(m.Metadata))
		if msg.Metadata == nil {
			msg.Metadata = message.Metadata{}
		}
		msgCtx, cancel := context.WithCancel(ctx)
		msg.SetContext(msgCtx)
		select {
		case sub.out <- msg:
		case <-ctx.Done():
			cancel()
			return false
		}
		for {
			select {
			case <-msg.Acked():
				cancel()
				return sub.ack(ctx, version)
			case <-msg.Nacked():
				cancel()
				sleep(ctx, cfg.NackResendDelay)
				if ctx.Err() != nil {
					return false
				}
				continue resend
			case <-renew.C:
				if !sub.renew(ctx) {
					cancel()
					return false
				}
			case <-ctx.Done():
				cancel()
				// An ack that raced with the end still counts.
				select {
				case <-msg.Acked():
					sub.ack(context.WithoutCancel(ctx), version)
				default:
				}
				return false
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// acquire takes or renews the group's lease on the topic and returns the
// version of the last message the group acknowledged. ok is false when
// another live subscription holds the lease.
func (sub *subscription) acquire(ctx context.Context) (acked int64, ok bool, err error) {
	db := sub.s.log.DB()
	group := sub.s.cfg.ConsumerGroup
	now := time.Now()
	var (
		owner sql.NullString
		until int64
	)
	err = db.QueryRowContext(ctx, `SELECT acked, owner, lease_until FROM watermill_offsets WHERE consumer_group = ? AND topic = ?`,
		group, sub.topic).Scan(&acked, &owner, &until)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		acked = 0
	case err != nil:
		return 0, false, err
	case owner.Valid && owner.String != sub.owner && until > now.UnixMilli():
		return 0, false, nil // held by another subscription
	case owner.String == sub.owner && now.Add(sub.s.cfg.LeaseTTL/2).Before(sub.leaseUntil):
		return acked, true, nil // ours, and not due for renewal
	}
	newUntil := now.Add(sub.s.cfg.LeaseTTL)
	res, err := db.ExecContext(ctx, `INSERT INTO watermill_offsets (consumer_group, topic, acked, owner, lease_until)
		VALUES (?, ?, 0, ?, ?)
		ON CONFLICT (consumer_group, topic) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
		WHERE watermill_offsets.owner IS NULL OR watermill_offsets.owner = excluded.owner OR watermill_offsets.lease_until <= ?`,
		group, sub.topic, sub.owner, newUntil.UnixMilli(), now.UnixMilli())
	if err != nil {
		return 0, false, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return 0, false, err // another subscription took it first
	}
	sub.leaseUntil = newUntil
	// Read the offset again: it may have moved between the two statements.
	if err := db.QueryRowContext(ctx, `SELECT acked FROM watermill_offsets WHERE consumer_group = ? AND topic = ? AND owner = ?`,
		group, sub.topic, sub.owner).Scan(&acked); err != nil {
		return 0, false, err
	}
	return acked, true, nil
}

// renew extends the lease; false when it was lost.
func (sub *subscription) renew(ctx context.Context) bool {
	newUntil := time.Now().Add(sub.s.cfg.LeaseTTL)
	res, err := sub.s.log.DB().ExecContext(ctx, `UPDATE watermill_offsets SET lease_until = ?
		WHERE consumer_group = ? AND topic = ? AND owner = ?`, newUntil.UnixMilli(), sub.s.cfg.ConsumerGroup, sub.topic, sub.owner)
	if err != nil {
		sub.logf("sqlitepubsub: renewing the lease failed", err)
		return false
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false
	}
	sub.leaseUntil = newUntil
	return true
}

// ack records that the group has handled the message at version; false
// when the lease was lost (the record is not written) or the write failed.
func (sub *subscription) ack(ctx context.Context, version int64) bool {
	newUntil := time.Now().Add(sub.s.cfg.LeaseTTL)
	for attempt := 0; ; attempt++ {
		res, err := sub.s.log.DB().ExecContext(ctx, `UPDATE watermill_offsets SET acked = ?, lease_until = ?
			WHERE consumer_group = ? AND topic = ? AND owner = ? AND acked < ?`,
			version, newUntil.UnixMilli(), sub.s.cfg.ConsumerGroup, sub.topic, sub.owner, version)
		if err == nil {
			n, _ := res.RowsAffected()
			if n == 1 {
				sub.leaseUntil = newUntil
			}
			return n == 1
		}
		if ctx.Err() != nil || attempt >= 5 {
			sub.logf("sqlitepubsub: recording an ack failed; the message will be delivered again", err)
			return false
		}
		sleep(ctx, sub.s.cfg.PollInterval)
	}
}

// release gives the lease up so that another subscription of the group
// takes over without waiting for it to expire.
func (sub *subscription) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := sub.s.log.DB().ExecContext(ctx, `UPDATE watermill_offsets SET owner = NULL, lease_until = 0
		WHERE consumer_group = ? AND topic = ? AND owner = ?`, sub.s.cfg.ConsumerGroup, sub.topic, sub.owner); err != nil {
		sub.logf("sqlitepubsub: releasing the lease failed; it will expire", err)
	}
}
