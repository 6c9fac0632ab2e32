package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/events"
)

// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes is
// 0: 1 MiB, room for a batch of a few hundred events.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxLag is the projection lag (events) up to which /readyz reports
// ready when Config.MaxLag is 0.
const DefaultMaxLag = 100

// Config configures a Server. Log is required; every other field has a
// default.
type Config struct {
	// Log is the event log.
	Log Log
	// Codec decodes events; nil means events.NewCodec().
	Codec *events.Codec
	// Views gives the projections; nil means a LiveSet over Log.
	Views Views
	// Status reports the read models' lag for /readyz and /metrics; nil
	// means readiness checks the log only and no lag is exported.
	Status ProjectionStatus
	// Scenarios is the what-if engine; nil makes /v1/forecast,
	// /v1/scenarios and /v1/scenarios/{name}/run answer 501.
	Scenarios Scenarios
	// Token is the bearer token that writes need. Empty disables writes
	// (they are answered with 403).
	Token string
	// CORSOrigins are the origins allowed to call the API from a browser
	// ("*" for any). Empty sends no CORS headers at all.
	CORSOrigins []string
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxLag is the largest projection lag, in events, at which /readyz
	// still reports ready; 0 means DefaultMaxLag, negative means 0.
	MaxLag int64
	// Logger receives request and error logs; nil discards them.
	Logger *slog.Logger
	// Metrics are the Prometheus metrics; nil means NewMetrics(nil).
	Metrics *Metrics
	// Now is the clock that as_of and known_at default to; nil means
	// time.Now.
	Now func() time.Time
}

// Server is the HTTP API and web page of accord. Build it with New and
// serve Handler; RunService does both and more.
type Server struct {
	cfg     Config
	log     *slog.Logger
	views   Views
	metrics *Metrics
	handler http.Handler
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		return nil, errors.New("httpapi: Config.Log is nil")
	}
	if cfg.Codec == nil {
		cfg.Codec = events.NewCodec()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	switch {
	case cfg.MaxLag == 0:
		cfg.MaxLag = DefaultMaxLag
	case cfg.MaxLag < 0:
		cfg.MaxLag = 0
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger, views: cfg.Views, metrics: cfg.Metrics}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.views == nil {
		s.views = NewLiveSet(cfg.Log, cfg.Codec)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics(nil)
	}
	if cfg.Status != nil {
		if err := s.metrics.watchProjections(cfg.Log, cfg.Status); err != nil {
			return nil, err
		}
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the server's http.Handler: the API, /openapi.json,
// /metrics, /healthz, /readyz and the web page.
func (s *Server) Handler() http.Handler { return s.handler }

// Metrics returns the server's metrics.
func (s *Server) Metrics() *Metrics { return s.metrics }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Reads.
	mux.HandleFunc("GET /v1/agreements", s.getAgreements)
	mux.HandleFunc("GET /v1/agreements/{id}", s.getAgreement)
	mux.HandleFunc("GET /v1/countries/{code}/leaders", s.getLeaders)
	mux.HandleFunc("GET /v1/network", s.getNetwork)
	mux.HandleFunc("GET /v1/timeline/{id}", s.getTimeline)
	mux.HandleFunc("GET /v1/events", s.getEvents)
	// Writes.
	mux.HandleFunc("POST /v1/events", s.postEvents)
	// Scenarios, forecasts, backtests.
	mux.HandleFunc("GET /v1/forecast", s.getForecast)
	mux.HandleFunc("GET /v1/scenarios", s.getScenarios)
	mux.HandleFunc("POST /v1/scenarios/{name}/run", s.runScenario)
	mux.HandleFunc("GET /v1/backtest", s.getBacktest)
	// Operations.
	mux.HandleFunc("GET /openapi.json", s.getOpenAPI)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("GET /healthz", s.getHealth)
	mux.HandleFunc("GET /readyz", s.getReady)
	// The web page.
	web := webHandler()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			s.writeError(w, r, &httpError{status: http.StatusNotFound, kind: "not_found",
				message: fmt.Sprintf("no such endpoint: %s %s (see /openapi.json)", r.Method, r.URL.Path)})
			return
		}
		web.ServeHTTP(w, r)
	})

	var h http.Handler = s.jsonFallback(mux)
	h = s.cors(h)
	h = s.instrument(h)
	h = s.recoverer(h)
	return s.withRequestID(h)
}

// jsonFallback answers unknown routes and wrong methods with JSON errors
// instead of the ServeMux's plain text.
func (s *Server) jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// The mux's own 404 or 405 (or redirect) handler: find out which.
		rec := &statusRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", rec.header.Get("Allow"))
			s.writeError(w, r, &httpError{status: http.StatusMethodNotAllowed, kind: "method_not_allowed",
				message: fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, rec.header.Get("Allow"))})
		case http.StatusNotFound:
			s.writeError(w, r, &httpError{status: http.StatusNotFound, kind: "not_found",
				message: fmt.Sprintf("no such endpoint: %s %s (see /openapi.json)", r.Method, r.URL.Path)})
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

// statusRecorder captures the status and headers of the mux's fallback
// handlers.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header { return r.header }
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return len(b), nil
}

type ctxKey int

const requestIDKey ctxKey = 0

// requestID returns the request's id ("" outside a request).
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// withRequestID gives every request an id (the client's X-Request-ID when
// it is short and plain, else a random one) and echoes it in the response.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !plainID(id) {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func plainID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// recoverer turns a panic in a handler into a logged 500.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// responseWriter records the status and size of a response.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument logs every request and counts it in the HTTP metrics, by the
// route pattern that served it (never by the raw path, which would let
// clients create unbounded label values).
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &responseWriter{ResponseWriter: w}
		next.ServeHTTP(rw, r)
		if rw.status == 0 {
			rw.status = http.StatusOK
		}
		elapsed := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		s.metrics.observeHTTP(r.Method, route, rw.status, elapsed)
		level := slog.LevelInfo
		switch {
		case rw.status == http.StatusServiceUnavailable:
			level = slog.LevelWarn
		case rw.status >= 500:
			level = slog.LevelError
		}
		s.log.Log(r.Context(), level, "http request",
			"method", r.Method, "path", r.URL.Path, "route", route, "status", rw.status,
			"bytes", rw.bytes, "duration_ms", float64(elapsed.Microseconds())/1000,
			"remote", r.RemoteAddr, "request_id", requestID(r.Context()))
	})
}

// cors adds CORS headers for the configured origins and answers
// preflights. With no origins configured it adds nothing.
func (s *Server) cors(next http.Handler) http.Handler {
	if len(s.cfg.CORSOrigins) == 0 {
		return next
	}
	any := slices.Contains(s.cfg.CORSOrigins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (any || slices.Contains(s.cfg.CORSOrigins, origin)) {
			h := w.Header()
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "X-Request-ID")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-ID")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// authorize checks the bearer token of a write request.
func (s *Server) authorize(r *http.Request) error {
	if s.cfg.Token == "" {
		return errForbidden("writes are disabled on this server: start it with --token TOKEN or the environment variable ACCORD_TOKEN set, then send the header 'Authorization: Bearer TOKEN'")
	}
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	if auth == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
		return errUnauthorized("writes need the header 'Authorization: Bearer TOKEN'")
	}
	// Compare digests, so that the time taken does not even depend on the
	// token's length.
	got, want := sha256.Sum256([]byte(strings.TrimSpace(token))), sha256.Sum256([]byte(s.cfg.Token))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return errUnauthorized("the bearer token is not valid")
	}
	return nil
}

// checkParams rejects query parameters an endpoint does not know (so that
// "as-of" for "as_of" is an error, not a silently ignored filter).
func checkParams(r *http.Request, allowed ...string) error {
	for name := range r.URL.Query() {
		if !slices.Contains(allowed, name) {
			if len(allowed) == 0 {
				return invalidf(name, "unknown query parameter: this endpoint takes none")
			}
			return invalidf(name, "unknown query parameter (known: %s)", strings.Join(allowed, ", "))
		}
	}
	return nil
}

// intParam parses an integer query parameter within [lo, hi]; def when
// absent.
func intParam(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, invalidf(name, "%q is not an integer from %d to %d", clip(v), lo, hi)
	}
	return n, nil
}

// readBody reads a request body within the size limit.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
}

// clip shortens user input quoted in error messages.
func clip(v string) string {
	const n = 64
	if len(v) <= n {
		return v
	}
	return v[:n] + "..."
}
