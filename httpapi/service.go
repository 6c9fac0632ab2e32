package httpapi

import (
	"context"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
	"github.com/accord-dev/accord/readmodel"
	"github.com/accord-dev/accord/runner"
)

// DefaultAddr is where RunService listens when ServiceConfig.Addr is empty:
// loopback only.
const DefaultAddr = "127.0.0.1:8080"

// Store is what RunService needs of an event store: the log, and the
// database its read-model tables live in (store.Store has both).
type Store interface {
	Log
	DB() *sqlx.DB
	Backend() string
}

// ServiceConfig configures RunService. Store is required.
type ServiceConfig struct {
	Store Store
	// Codec decodes events; nil means events.NewCodec().
	Codec *events.Codec
	// Addr is the listen address; empty means DefaultAddr (loopback).
	Addr string
	// Token, CORSOrigins, MaxBodyBytes, MaxLag, Scenarios and Now are
	// passed to the Server (see Config); a nil Scenarios means a
	// ScenarioEngine over Store.
	Token        string
	CORSOrigins  []string
	MaxBodyBytes int64
	MaxLag       int64
	Scenarios    Scenarios
	Now          func() time.Time
	// Timeouts of the http.Server; zero means the defaults: read header
	// 10s, read 30s, write 2m (scenario runs take time), idle 2m.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownTimeout bounds how long in-flight requests may take to
	// finish after ctx ends; 0 means 30s.
	ShutdownTimeout time.Duration
	// RunnerPoll is how often the projection runner looks for new events;
	// 0 means the runner's default.
	RunnerPoll time.Duration
	// Logger receives the logs; nil discards them.
	Logger *slog.Logger
	// Ready, when set, is called with the listening address once the
	// server accepts connections.
	Ready func(addr net.Addr)

	// wrap, in tests, wraps the server's handler.
	wrap func(http.Handler) http.Handler
}

// RunService is `accord serve`: it migrates the read-model tables, starts
// the projection runner in the background (following the log, so the
// read models stay current), and serves the API and the web page on
// cfg.Addr until ctx ends. Then it shuts down gracefully: it stops
// accepting connections and lets in-flight requests finish (up to
// ShutdownTimeout), then cancels the runner and waits for it to return;
// every page the runner applied has been committed with its checkpoint.
func RunService(ctx context.Context, cfg ServiceConfig) error {
	if cfg.Store == nil {
		return errors.New("httpapi: ServiceConfig.Store is nil")
	}
	if cfg.Codec == nil {
		cfg.Codec = events.NewCodec()
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := cfg.Store
	if err := readmodel.Migrate(ctx, st.DB(), st.Backend()); err != nil {
		return fmt.Errorf("read models: %w: %w", events.ErrUnavailable, err)
	}
	views := NewLiveSet(st, cfg.Codec)
	if cfg.Scenarios == nil {
		cfg.Scenarios = NewScenarioEngine(st, cfg.Codec)
	}
	srv, err := New(Config{
		Log: st, Codec: cfg.Codec, Views: views, Status: Checkpoints{DB: st.DB()}, Scenarios: cfg.Scenarios,
		Token: cfg.Token, CORSOrigins: cfg.CORSOrigins, MaxBodyBytes: cfg.MaxBodyBytes, MaxLag: cfg.MaxLag,
		Logger: log, Now: cfg.Now,
	})
	if err != nil {
		return err
	}
	handler := srv.Handler()
	if cfg.wrap != nil {
		handler = cfg.wrap(handler)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		log.Warn("listening beyond loopback: reads are open to anyone who can reach this address", "addr", ln.Addr().String())
	}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: orDefault(cfg.ReadHeaderTimeout, 10*time.Second),
		ReadTimeout:       orDefault(cfg.ReadTimeout, 30*time.Second),
		WriteTimeout:      orDefault(cfg.WriteTimeout, 2*time.Minute),
		IdleTimeout:       orDefault(cfg.IdleTimeout, 2*time.Minute),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	// The projection runner has a context of its own: it is cancelled
	// after the HTTP server has drained, not when ctx ends.
	runCtx, stopRunner := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRunner()
	runnerDone := make(chan struct{})
	go func() {
		defer close(runnerDone)
		runProjections(runCtx, st, cfg.Codec, cfg.RunnerPoll, log, srv.Metrics().Registry)
	}()
	go func() {
		// Warm the query cache so the first request does not fold the log.
		if err := views.View(runCtx, func(*projections.Set) error { return nil }); err != nil && runCtx.Err() == nil {
			log.Warn("warming the query cache failed", "err", err)
		}
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	log.Info("accord serve listening", "addr", ln.Addr().String(), "backend", st.Backend(), "writes", cfg.Token != "")
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr())
	}

	var result error
	select {
	case err := <-serveErr:
		result = fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
		log.Info("shutting down: finishing in-flight requests")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), orDefault(cfg.ShutdownTimeout, 30*time.Second))
		if err := hs.Shutdown(sctx); err != nil {
			log.Warn("in-flight requests did not finish in time; closing", "err", err)
			hs.Close()
		}
		cancel()
		<-serveErr
	}
	stopRunner()
	<-runnerDone
	log.Info("stopped: projections checkpointed")
	return result
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// runProjections runs the projection runner (all read models, following
// the log) until ctx ends, restarting it with a backoff when it fails (a
// checkpoint moved by another process, a database error).
func runProjections(ctx context.Context, st Store, codec *events.Codec, poll time.Duration, log *slog.Logger, reg prometheus.Registerer) {
	routerLog := slog.New(minLevel{Handler: log.Handler(), min: slog.LevelWarn}).With("component", "projection-runner")
	backoff := time.Second
	for {
		err := runOnce(ctx, st, codec, poll, routerLog, reg)
		if ctx.Err() != nil {
			return
		}
		log.Error("projection runner stopped; restarting", "err", err, "in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func runOnce(ctx context.Context, st Store, codec *events.Codec, poll time.Duration, log *slog.Logger, reg prometheus.Registerer) error {
	var projectors []*readmodel.Projector
	for _, n := range readmodel.Names() {
		p, err := readmodel.NewProjector(readmodel.ProjectorConfig{Name: n, DB: st.DB(), Codec: codec})
		if err != nil {
			return err
		}
		projectors = append(projectors, p)
	}
	err := runner.Run(ctx, runner.Config{Log: st, Projectors: projectors, Poll: poll, Logger: log, Metrics: reg})
	if err == nil && ctx.Err() == nil {
		err = errors.New("runner returned")
	}
	return err
}

// minLevel drops records below min (the watermill router logs every
// handler start at info).
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(as), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
