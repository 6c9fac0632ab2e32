package main

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/httpapi"
)

// serveFlags are the flags of `accord serve`.
type serveFlags struct {
	addr         string
	token        string
	corsOrigins  []string
	maxBodyBytes int64
	maxLag       int64
	logFormat    string
	logLevel     string
	readTimeout  time.Duration
	writeTimeout time.Duration
	idleTimeout  time.Duration
	shutdown     time.Duration
}

func (m *Main) serveCommand(g *globalFlags) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API, the web page, /metrics and health probes; keep the read models current",
		Long: `Serve accord over HTTP: a JSON API (described at /openapi.json), a web page
at / with the agreements, their timelines, the network of countries and
scenario charts, Prometheus metrics at /metrics and the probes /healthz
(database reachable) and /readyz (database reachable and read models caught
up). The projection runner runs in the background and keeps the read-model
tables current.

Reads are open. Writes (POST /v1/events) need a bearer token, given with
--token or the environment variable ACCORD_TOKEN; without one, writes are
refused with 403. The server listens on loopback unless --addr says
otherwise, and sends no CORS headers unless --cors-origin is given.

SIGINT or SIGTERM shuts it down gracefully: in-flight requests finish, then
the runner stops with its projections checkpointed.`,
		Example: `  accord serve
  ACCORD_TOKEN=secret accord serve --addr 127.0.0.1:8080 --log-format json
  curl -s 'http://127.0.0.1:8080/v1/agreements/gbr-jpn-raa?as_of=2022-11-30'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := m.serveLogger(f)
			if err != nil {
				return err
			}
			token := f.token
			if token == "" {
				token = m.Getenv("ACCORD_TOKEN")
			}
			if token == "" {
				logger.Warn("no token configured: writes are disabled (give --token or set ACCORD_TOKEN to enable them)")
			}
			s, err := m.openStore(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer s.Close()
			maxLag := f.maxLag
			if maxLag == 0 {
				maxLag = -1 // strict: httpapi reads 0 as "the default"
			}
			return httpapi.RunService(cmd.Context(), httpapi.ServiceConfig{
				Store: s, Codec: m.Codec, Addr: f.addr, Token: token, CORSOrigins: f.corsOrigins,
				MaxBodyBytes: f.maxBodyBytes, MaxLag: maxLag, Now: m.Now, Logger: logger,
				ReadTimeout: f.readTimeout, WriteTimeout: f.writeTimeout, IdleTimeout: f.idleTimeout,
				ShutdownTimeout: f.shutdown,
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", httpapi.DefaultAddr, "listen address (loopback by default; 0.0.0.0:8080 exposes the API to the network)")
	fl.StringVar(&f.token, "token", "", "bearer token that writes need (default $ACCORD_TOKEN, which is safer: flags show in process lists; none: writes are refused)")
	fl.StringSliceVar(&f.corsOrigins, "cors-origin", nil, "allow browser calls from this origin (repeatable; '*' for any); default: no CORS")
	fl.Int64Var(&f.maxBodyBytes, "max-body-bytes", httpapi.DefaultMaxBodyBytes, "largest request body accepted")
	fl.Int64Var(&f.maxLag, "ready-max-lag", httpapi.DefaultMaxLag, "largest projection lag (events) at which /readyz reports ready (0: fully caught up)")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.DurationVar(&f.readTimeout, "read-timeout", 30*time.Second, "longest time to read a request")
	fl.DurationVar(&f.writeTimeout, "write-timeout", 2*time.Minute, "longest time to write a response (scenario runs included)")
	fl.DurationVar(&f.idleTimeout, "idle-timeout", 2*time.Minute, "how long an idle keep-alive connection stays open")
	fl.DurationVar(&f.shutdown, "shutdown-timeout", 30*time.Second, "how long in-flight requests may take to finish on SIGTERM")
	return cmd
}

// serveLogger builds the slog logger of --log-format and --log-level, on
// stderr.
func (m *Main) serveLogger(f *serveFlags) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", events.ErrInvalid, f.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	var w io.Writer = m.Stderr
	switch f.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("%w: --log-format %q: want text or json", events.ErrInvalid, f.logFormat)
}
