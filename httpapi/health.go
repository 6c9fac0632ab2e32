package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/accord-dev/accord/readmodel"
)

// ProjectionPosition is how far one read-model projection has got.
type ProjectionPosition struct {
	Name     string `json:"projection"`
	Position int64  `json:"position"`
}

// ProjectionStatus reports the read-model projections' committed
// positions, in a fixed order.
type ProjectionStatus interface {
	Positions(ctx context.Context) ([]ProjectionPosition, error)
}

// Checkpoints is the ProjectionStatus of the read-model tables in a
// database: the rows of projection_checkpoints (readmodel.Checkpoints).
type Checkpoints struct{ DB *sqlx.DB }

// Positions implements ProjectionStatus.
func (c Checkpoints) Positions(ctx context.Context) ([]ProjectionPosition, error) {
	cps, err := readmodel.Checkpoints(ctx, c.DB)
	if err != nil {
		return nil, err
	}
	out := make([]ProjectionPosition, 0, len(cps))
	for _, n := range readmodel.Names() {
		out = append(out, ProjectionPosition{Name: n, Position: cps[n]})
	}
	return out, nil
}

// healthResponse is the body of /healthz and /readyz.
type healthResponse struct {
	Status string `json:"status"`
	// Checks maps a check (database, projections) to "ok" or what is
	// wrong.
	Checks map[string]string `json:"checks"`
	Head   *int64            `json:"head,omitempty"`
	// Projections are the read models' positions and lag (readyz only).
	Projections []projectionLag `json:"projections,omitempty"`
}

type projectionLag struct {
	ProjectionPosition
	Lag int64 `json:"lag"`
}

// probeTimeout bounds the database calls of a probe.
const probeTimeout = 2 * time.Second

// getHealth is the liveness probe: the process answers and the database is
// reachable.
func (s *Server) getHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
	defer cancel()
	resp := healthResponse{Status: "ok", Checks: map[string]string{}}
	if head, err := s.cfg.Log.Head(ctx); err != nil {
		s.log.WarnContext(ctx, "health: database unreachable", "err", err)
		resp.Status, resp.Checks["database"] = "unavailable", "unreachable"
	} else {
		resp.Checks["database"], resp.Head = "ok", &head
	}
	writeJSON(w, statusOf(resp.Status), resp)
}

// getReady is the readiness probe: the database is reachable and every
// read-model projection is within MaxLag events of the log's head.
func (s *Server) getReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
	defer cancel()
	resp := healthResponse{Status: "ok", Checks: map[string]string{}}
	head, err := s.cfg.Log.Head(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "ready: database unreachable", "err", err)
		resp.Status, resp.Checks["database"] = "unavailable", "unreachable"
		writeJSON(w, statusOf(resp.Status), resp)
		return
	}
	resp.Checks["database"], resp.Head = "ok", &head
	if s.cfg.Status == nil {
		writeJSON(w, http.StatusOK, resp)
		return
	}
	positions, err := s.cfg.Status.Positions(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "ready: projection checkpoints unreadable", "err", err)
		resp.Status, resp.Checks["projections"] = "unavailable", "checkpoints unreadable"
		writeJSON(w, statusOf(resp.Status), resp)
		return
	}
	resp.Checks["projections"] = "ok"
	for _, p := range positions {
		lag := max(0, head-p.Position)
		resp.Projections = append(resp.Projections, projectionLag{ProjectionPosition: p, Lag: lag})
		if lag > s.cfg.MaxLag {
			resp.Status = "unavailable"
			resp.Checks["projections"] = fmt.Sprintf("catching up (lag above %d events)", s.cfg.MaxLag)
		}
	}
	writeJSON(w, statusOf(resp.Status), resp)
}

func statusOf(s string) int {
	if s == "ok" {
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}
