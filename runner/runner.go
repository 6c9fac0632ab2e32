package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/readmodel"
)

// Log is what the runner needs of the event log.
type Log interface {
	Head(ctx context.Context) (int64, error)
	ReadAll(ctx context.Context, after int64, limit int) ([]events.Event, error)
}

// Config configures a Runner.
type Config struct {
	// Log is the event log to follow.
	Log Log
	// Projectors are the projections to keep current; each must have been
	// created with readmodel.NewProjector (Run loads them).
	Projectors []*readmodel.Projector
	// PageSize is the most events one message covers; 0 means 1000.
	PageSize int
	// Poll is how often a caught-up subscriber looks for new events when
	// following; 0 means 200ms.
	Poll time.Duration
	// UntilHead makes Run return once every projection has reached the
	// log's head as it was when Run started (replay); otherwise Run follows
	// the log until ctx ends.
	UntilHead bool
	// MaxRetries is how often the Retry middleware retries a failed page
	// before the page is nacked and delivered again; 0 means 3.
	MaxRetries int
	// Logger receives the router's logs; nil discards them.
	Logger *slog.Logger
	// Progress, when set, is called after each committed page with the
	// projection name and its new position.
	Progress func(name string, position int64)
	// Metrics, when set, receives watermill's router metrics (handler
	// execution time, messages processed) under the namespace "accord",
	// subsystem "runner". Registering twice (a restarted runner) is fine.
	Metrics prometheus.Registerer
}

func (c Config) withDefaults() Config {
	if c.PageSize <= 0 {
		c.PageSize = 1000
	}
	if c.Poll <= 0 {
		c.Poll = 200 * time.Millisecond
	}
	if c.MaxRetries <= 0 {
		c.MaxRetries = 3
	}
	return c
}

// Validate reports a configuration error.
func (c Config) Validate() error {
	if c.Log == nil {
		return errors.New("runner: Config.Log is nil")
	}
	if len(c.Projectors) == 0 {
		return errors.New("runner: no projectors")
	}
	return nil
}

// Run loads every projector from its checkpoint, then feeds it pages of the
// log through a watermill Router until ctx ends (or, with UntilHead, until
// all have caught up). Each page is applied and committed with its
// checkpoint in one transaction by the projector; a failed page is retried
// by the Retry middleware and, failing that, redelivered; a panic in a
// handler is turned into an error by the Recoverer. When a projection's
// subscription fails for good (the log's head cannot be read after a few
// tries, a page keeps failing), Run stops every projection and returns the
// error; calling it again resumes from the checkpoints.
func Run(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	byName := map[string]*readmodel.Projector{}
	for _, p := range cfg.Projectors {
		if err := p.Load(ctx, cfg.Log); err != nil {
			return err
		}
		byName[p.Name()] = p
	}
	var logger watermill.LoggerAdapter = watermill.NopLogger{}
	if cfg.Logger != nil {
		logger = watermill.NewSlogLogger(cfg.Logger)
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, logger)
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	router.AddMiddleware(
		middleware.Recoverer,
		middleware.Retry{MaxRetries: cfg.MaxRetries, InitialInterval: 20 * time.Millisecond, MaxInterval: time.Second, Multiplier: 2, Logger: logger}.Middleware,
	)
	if cfg.Metrics != nil {
		metrics.NewPrometheusMetricsBuilder(cfg.Metrics, "accord", "runner").AddPrometheusRouterMetrics(router)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub := &logSubscriber{
		onFail:    func(error) { cancel() }, // one projection failing stops them all
		log:       cfg.Log,
		start:     func(_ context.Context, topic string) (int64, error) { return byName[topic].Position(), nil },
		pageSize:  int64(cfg.PageSize),
		poll:      cfg.Poll,
		untilHead: cfg.UntilHead,
		maxNacks:  5,
	}
	for _, p := range cfg.Projectors {
		p := p
		router.AddConsumerHandler(p.Name(), p.Name(), sub, func(msg *message.Message) error {
			return handle(msg, cfg, p)
		})
	}
	err = router.Run(runCtx)
	if serr := sub.Err(); serr != nil {
		return fmt.Errorf("runner: %w", serr)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("runner: %w", err)
	}
	if ctx.Err() != nil && !cfg.UntilHead {
		return nil
	}
	return ctx.Err()
}

// handle applies the range of positions a message names.
func handle(msg *message.Message, cfg Config, p *readmodel.Projector) error {
	var r rangeMsg
	if err := json.Unmarshal(msg.Payload, &r); err != nil {
		return fmt.Errorf("bad message %s: %w", msg.UUID, err)
	}
	ctx := msg.Context()
	for after := max(r.After, p.Position()); after < r.Upto; {
		page, err := cfg.Log.ReadAll(ctx, after, int(r.Upto-after))
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return fmt.Errorf("positions %d to %d are not in the log", after+1, r.Upto)
		}
		if err := p.Handle(ctx, page); err != nil {
			return err
		}
		after = page[len(page)-1].Position
		if cfg.Progress != nil {
			cfg.Progress(p.Name(), after)
		}
	}
	return nil
}
