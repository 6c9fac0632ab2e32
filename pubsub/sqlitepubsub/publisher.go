package sqlitepubsub

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/sqlite"
)

// Open opens (creating it if missing) a SQLite file for messages, with a
// codec that knows Message, and creates the consumer groups' offsets table.
// Close the Log when done; Publishers and Subscribers do not close it.
func Open(ctx context.Context, path string) (*sqlite.Log, error) {
	l, err := sqlite.Open(ctx, sqlite.Config{Path: path, Codec: Codec()})
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, l); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("sqlitepubsub: closed")

// PublisherConfig configures a Publisher. The zero value is ready to use.
type PublisherConfig struct {
	// Timeout bounds one Publish call (default 30s).
	Timeout time.Duration
}

// Publisher appends messages to the store. It is safe for concurrent use.
type Publisher struct {
	log    *sqlite.Log
	cfg    PublisherConfig
	closed atomic.Bool
}

var _ message.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher over l, which must have been opened
// with a codec that knows Message (see Open and Register).
func NewPublisher(l *sqlite.Log, cfg PublisherConfig) (*Publisher, error) {
	if l == nil {
		return nil, errors.New("sqlitepubsub: NewPublisher: nil log")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Publisher{log: l, cfg: cfg}, nil
}

// Publish stores msgs, in order, at the end of topic's stream, all in one
// transaction: when Publish returns nil, every message is stored and will
// be delivered to every consumer group. A message whose UUID was already
// published to the topic is not stored again (a retried Publish is safe);
// when only some of msgs were, the others are stored one by one.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	if p.closed.Load() {
		return ErrClosed
	}
	if len(msgs) == 0 {
		return nil
	}
	stream := StreamName(topic)
	today := events.DayOf(time.Now())
	evs := make([]events.Event, len(msgs))
	for i, m := range msgs {
		evs[i] = events.Event{
			ID:     EventID(topic, m.UUID),
			Stream: stream,
			Data: &Message{Topic: topic, UUID: m.UUID, Payload: m.Payload,
				Metadata: maps.Clone(map[string]string(m.Metadata))},
			OccurredAt: today,
			Source:     events.Source{Publication: "watermill", Title: "watermill message", Date: today},
			Confidence: events.Confirmed,
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.Timeout)
	defer cancel()
	_, err := p.log.Append(ctx, stream, events.Any, evs)
	if err != nil && len(evs) > 1 && errors.Is(err, events.ErrInvalid) {
		// Some of the messages are already stored (or one is repeated in
		// msgs): store each one on its own, which is idempotent.
		for i := range evs {
			if _, err := p.log.Append(ctx, stream, events.Any, evs[i:i+1]); err != nil {
				return fmt.Errorf("sqlitepubsub: publish %s to %q: %w", msgs[i].UUID, topic, err)
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlitepubsub: publish to %q: %w", topic, err)
	}
	return nil
}

// Close makes later Publish calls fail. It does not close the store.
func (p *Publisher) Close() error {
	p.closed.Store(true)
	return nil
}
