package sqlitepubsub_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/accord-dev/accord/pubsub/sqlitepubsub"
	"github.com/accord-dev/accord/store/sqlite"
)

// features are what the adapter truly has (see the package comment):
// persistent, consumer groups, order guaranteed even with many subscribers
// of a group (one holds the lease at a time), at-least-once delivery.
var features = tests.Features{
	ConsumerGroups:                      true,
	ExactlyOnceDelivery:                 false,
	GuaranteedOrder:                     true,
	GuaranteedOrderWithSingleSubscriber: false,
	Persistent:                          true,
	// A new subscriber of a group continues from the group's offset; only
	// a new group starts from the first message.
	NewSubscriberReceivesOldMessages: false,
	// The short sizes (100 messages where the full suite has 5,000 or
	// 10,000) keep the suite at a few seconds in CI; with
	// ACCORD_WATERMILL_FULL=1 it runs at full size (about 35 s on two
	// cores).
	ForceShort: os.Getenv("ACCORD_WATERMILL_FULL") != "1",
}

// openLog opens one message file for a whole run of the suite: every
// Publisher and Subscriber the suite makes is a new instance over it, as
// separate processes sharing the file would be.
func openLog(t *testing.T) *sqlite.Log {
	t.Helper()
	l, err := sqlitepubsub.Open(context.Background(), filepath.Join(t.TempDir(), "messages.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func newPubSub(t *testing.T, l *sqlite.Log, group string) (message.Publisher, message.Subscriber) {
	t.Helper()
	pub, err := sqlitepubsub.NewPublisher(l, sqlitepubsub.PublisherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := sqlitepubsub.NewSubscriber(l, sqlitepubsub.SubscriberConfig{
		ConsumerGroup: group, PollInterval: 10 * time.Millisecond, LeaseTTL: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return pub, sub
}

// TestPubSub runs watermill's universal Pub/Sub test suite.
func TestPubSub(t *testing.T) {
	l := openLog(t)
	tests.TestPubSub(t, features,
		func(t *testing.T) (message.Publisher, message.Subscriber) { return newPubSub(t, l, "") },
		func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
			return newPubSub(t, l, group)
		},
	)
}

// TestPersistsAcrossReopen publishes, closes the file, opens it again (as
// a restarted process would) and checks that the messages and the
// group's offset are still there.
func TestPersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages.db")
	ctx := context.Background()
	l, err := sqlitepubsub.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	pub, sub := newPubSub(t, l, "g")
	var ids []string
	for i := range 5 {
		m := message.NewMessage(watermill.NewUUID(), []byte{byte('a' + i)})
		m.Metadata.Set("n", string(rune('0'+i)))
		ids = append(ids, m.UUID)
		if err := pub.Publish("orders", m); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := sub.Subscribe(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		m := <-ch
		if m.UUID != ids[i] || m.Metadata.Get("n") != string(rune('0'+i)) {
			t.Fatalf("message %d: %s %v", i, m.UUID, m.Metadata)
		}
		m.Ack()
	}
	// The third is delivered but not acked when the process "stops".
	<-ch
	sub.Close()
	pub.Close()
	l.Close()

	l2, err := sqlitepubsub.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	_, sub2 := newPubSub(t, l2, "g")
	defer sub2.Close()
	ch2, err := sub2.Subscribe(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i < 5; i++ {
		select {
		case m := <-ch2:
			if m.UUID != ids[i] {
				t.Fatalf("after reopening: message %s, want %s (the group continues from its offset)", m.UUID, ids[i])
			}
			m.Ack()
		case <-time.After(5 * time.Second):
			t.Fatalf("after reopening: message %d did not come", i)
		}
	}
	// A new group starts from the first message.
	_, sub3 := newPubSub(t, l2, "other")
	defer sub3.Close()
	ch3, err := sub3.Subscribe(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if m := <-ch3; m.UUID != ids[0] {
		t.Fatalf("a new group got %s first, want %s", m.UUID, ids[0])
	}
}

// TestPublishIsIdempotent: publishing the same message to a topic twice
// (a retry after a timeout) stores it once; to another topic, it is a
// message of that topic.
func TestPublishIsIdempotent(t *testing.T) {
	l := openLog(t)
	pub, sub := newPubSub(t, l, "g")
	defer sub.Close()
	a := message.NewMessage(watermill.NewUUID(), []byte("a"))
	b := message.NewMessage(watermill.NewUUID(), []byte("b"))
	for _, batch := range [][]*message.Message{{a}, {a, b}, {a, b}, {b}} {
		if err := pub.Publish("t", batch...); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Publish("u", a); err != nil {
		t.Fatal(err)
	}
	evs, err := l.ReadAll(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("%d events stored, want 3 (a and b on t, a on u)", len(evs))
	}
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish("t", message.NewMessage(watermill.NewUUID(), nil)); err == nil {
		t.Error("Publish after Close succeeded")
	}
}

// TestLeaseTakeover: when the subscriber that holds a group's lease dies
// without closing (its lease is not released), another subscriber of the
// group takes over once the lease expires, and redelivers the message that
// was in flight (at-least-once).
func TestLeaseTakeover(t *testing.T) {
	l := openLog(t)
	pub, _ := newPubSub(t, l, "g")
	m := message.NewMessage(watermill.NewUUID(), []byte("x"))
	if err := pub.Publish("lease", m); err != nil {
		t.Fatal(err)
	}
	sub1, err := sqlitepubsub.NewSubscriber(l, sqlitepubsub.SubscriberConfig{ConsumerGroup: "g", PollInterval: 10 * time.Millisecond, LeaseTTL: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx1, kill := context.WithCancel(context.Background())
	ch1, _ := sub1.Subscribe(ctx1, "lease")
	<-ch1 // delivered, never acked
	// Simulate a crash: the lease stays in the table, its owner gone.
	if _, err := l.DB().Exec(`UPDATE watermill_offsets SET owner = 'crashed' WHERE consumer_group = 'g'`); err != nil {
		t.Fatal(err)
	}
	kill()
	sub1.Close()
	if _, err := l.DB().Exec(`UPDATE watermill_offsets SET owner = 'crashed', lease_until = ? WHERE consumer_group = 'g'`, time.Now().Add(300*time.Millisecond).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	sub2, err := sqlitepubsub.NewSubscriber(l, sqlitepubsub.SubscriberConfig{ConsumerGroup: "g", PollInterval: 10 * time.Millisecond, LeaseTTL: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sub2.Close()
	began := time.Now()
	ch2, _ := sub2.Subscribe(context.Background(), "lease")
	select {
	case got := <-ch2:
		if got.UUID != m.UUID {
			t.Fatalf("got %s, want the in-flight %s", got.UUID, m.UUID)
		}
		if waited := time.Since(began); waited < 200*time.Millisecond {
			t.Errorf("took over after %s, before the lease expired", waited)
		}
		got.Ack()
	case <-time.After(5 * time.Second):
		t.Fatal("no takeover after the lease expired")
	}
}

// TestConcurrentGroupsEachGetEverything publishes from several goroutines
// while three groups consume; each group gets every message once, in
// publishing order per publisher.
func TestConcurrentGroupsEachGetEverything(t *testing.T) {
	l := openLog(t)
	pub, _ := newPubSub(t, l, "")
	const perPublisher, publishers = 50, 4
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range perPublisher {
				m := message.NewMessage(watermill.NewUUID(), []byte{byte(p), byte(i)})
				if err := pub.Publish("fan", m); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for _, g := range []string{"a", "b", "c"} {
		_, sub := newPubSub(t, l, g)
		ch, err := sub.Subscribe(context.Background(), "fan")
		if err != nil {
			t.Fatal(err)
		}
		next := make([]int, publishers)
		for range perPublisher * publishers {
			select {
			case m := <-ch:
				p, i := int(m.Payload[0]), int(m.Payload[1])
				if i != next[p] {
					t.Fatalf("group %s: publisher %d message %d, want %d", g, p, i, next[p])
				}
				next[p]++
				m.Ack()
			case <-time.After(10 * time.Second):
				t.Fatalf("group %s: timed out with %v", g, next)
			}
		}
		sub.Close()
	}
	wg.Wait()
}
