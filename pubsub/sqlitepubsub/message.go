// Package sqlitepubsub is a watermill Pub/Sub over accord's embedded event
// store (store/sqlite): a Publisher that appends each message as an event
// to a stream of its topic, and a Subscriber that follows a topic's stream
// by version, with the offset of every consumer group kept in the same
// SQLite file. It passes watermill's universal Pub/Sub tests
// (github.com/ThreeDotsLabs/watermill/pubsub/tests) with these features:
//
//   - Persistent: messages are events in the file; they outlive every
//     Publisher, Subscriber and process, and are never deleted.
//   - Consumer groups: each group has its own offset per topic and gets
//     every message of the topic; a new group starts from the topic's first
//     message. Subscribers of one group share its messages: one at a time
//     holds the group's lease on the topic and delivers, the others wait
//     and take over when it closes or its lease expires.
//   - Guaranteed order, also with many subscribers in a group: a topic's
//     messages are delivered in the order they were published (their
//     stream versions), one at a time, the next only after the previous
//     one was acknowledged.
//   - At-least-once, not exactly-once delivery: a message is acknowledged
//     to the store after the handler acks it; if the subscriber dies (or
//     loses its lease) between the two, the message is delivered again.
//     Handlers must be idempotent. A nacked message is delivered again.
//   - Idempotent publishing: a message is stored under an id derived from
//     its topic and UUID, so publishing the same message (UUID) to the same
//     topic again, as a retry after a timeout does, stores it once.
//
// Use a file of its own for messages (Open): the events it holds have the
// type watermill_message, which accord's projections and CLI do not know.
package sqlitepubsub

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/accord-dev/accord/events"
)

// EventType is the event type of a stored message.
const EventType = "watermill_message"

// Limits of a message.
const (
	// MaxPayloadBytes bounds a message's payload (1 MiB).
	MaxPayloadBytes = 1 << 20
	// MaxTopicBytes bounds a topic name.
	MaxTopicBytes = 1024
	// MaxMetadataBytes bounds the total size of a message's metadata keys
	// and values.
	MaxMetadataBytes = 64 << 10
)

// Message is the payload of the event that stores one watermill message.
type Message struct {
	Topic    string            `json:"topic"`
	UUID     string            `json:"uuid"`
	Payload  []byte            `json:"payload,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

var _ events.Payload = (*Message)(nil)

// EventType returns "watermill_message".
func (*Message) EventType() string { return EventType }

// StreamName returns the topic's stream.
func (m *Message) StreamName() string {
	if m.Topic == "" {
		return ""
	}
	return StreamName(m.Topic)
}

// Validate checks the topic, the UUID and the sizes.
func (m *Message) Validate() error {
	switch {
	case m.Topic == "":
		return &events.FieldError{Field: "topic", Problem: "is required"}
	case len(m.Topic) > MaxTopicBytes:
		return &events.FieldError{Field: "topic", Problem: fmt.Sprintf("is %d bytes long; the limit is %d", len(m.Topic), MaxTopicBytes)}
	case m.UUID == "":
		return &events.FieldError{Field: "uuid", Problem: "is required"}
	case len(m.UUID) > 256:
		return &events.FieldError{Field: "uuid", Problem: fmt.Sprintf("is %d bytes long; the limit is 256", len(m.UUID))}
	case len(m.Payload) > MaxPayloadBytes:
		return &events.FieldError{Field: "payload", Problem: fmt.Sprintf("is %d bytes long; the limit is %d", len(m.Payload), MaxPayloadBytes)}
	}
	n := 0
	for k, v := range m.Metadata {
		n += len(k) + len(v)
	}
	if n > MaxMetadataBytes {
		return &events.FieldError{Field: "metadata", Problem: fmt.Sprintf("is %d bytes long; the limit is %d", n, MaxMetadataBytes)}
	}
	return nil
}

// Register adds the Message payload type to c, so that a store with c can
// hold messages.
func Register(c *events.Codec) {
	c.Register(func() events.Payload { return new(Message) }, 1, nil)
}

// Codec returns a codec that knows accord's event types and Message.
func Codec() *events.Codec {
	c := events.NewCodec()
	Register(c)
	return c
}

// plainTopic is a topic name that can be a stream name as it is.
var plainTopic = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// StreamName returns the stream that holds a topic's messages:
// "watermill/<topic>" when the topic is made of letters, digits, '.', '_'
// and '-' (at most 100), else "watermill_h/<sha-256 of the topic>".
func StreamName(topic string) string {
	if plainTopic.MatchString(topic) {
		return "watermill/" + topic
	}
	sum := sha256.Sum256([]byte(topic))
	return "watermill_h/" + hex.EncodeToString(sum[:16])
}

// EventID returns the id of the event that stores the message uuid of
// topic: the same message published twice to a topic is stored once.
func EventID(topic, uuid string) string {
	h := sha256.New()
	h.Write([]byte(topic))
	h.Write([]byte{0})
	h.Write([]byte(uuid))
	return "wm-" + hex.EncodeToString(h.Sum(nil)[:20])
}
