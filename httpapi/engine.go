package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/accord-dev/accord/backtest"
	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/examples"
	"github.com/accord-dev/accord/scenarios"
)

// ScenarioEngine is the Scenarios of the API over package scenarios: the
// example scenarios bundled with accord (package examples) and the
// scenarios saved in the log (scenario_saved events; the latest save of a
// name wins over an example of the same name), run against the log as it
// is now. It keeps a copy of the log in memory, extended as the log grows
// (the cache key is the log's head), since the engine works on a slice of
// events.
//
// Runs are CPU-bound and cannot be interrupted, so at most MaxConcurrent
// run at once; others wait (or give up when their request ends).
type ScenarioEngine struct {
	log   EventReader
	codec *events.Codec
	sem   chan struct{}

	mu       sync.Mutex
	events   []events.Event
	position int64

	casesOnce sync.Once
	cases     []backtest.Case
	casesErr  error
}

// MaxConcurrent is how many scenario runs and forecasts a ScenarioEngine
// computes at once.
const MaxConcurrent = 2

// NewScenarioEngine returns a ScenarioEngine over log; codec may be nil.
func NewScenarioEngine(log EventReader, codec *events.Codec) *ScenarioEngine {
	if codec == nil {
		codec = events.NewCodec()
	}
	return &ScenarioEngine{log: log, codec: codec, sem: make(chan struct{}, MaxConcurrent)}
}

// snapshot returns the log's events up to its current head. The slice is
// shared and must not be modified (the engine never does).
func (e *ScenarioEngine) snapshot(ctx context.Context) ([]events.Event, error) {
	head, err := e.log.Head(ctx)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.position < head {
		page, err := e.log.ReadAll(ctx, e.position, min(livePage, int(head-e.position)))
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return nil, fmt.Errorf("log head is %d but no events follow position %d", head, e.position)
		}
		e.events = append(e.events, page...)
		e.position = page[len(page)-1].Position
	}
	return e.events[:len(e.events):len(e.events)], nil
}

// source is the text of a scenario and where it comes from.
type source struct {
	origin string
	yaml   []byte
}

// sources returns every scenario by name: the examples, overridden by the
// latest save of each name in log.
func (e *ScenarioEngine) sources(log []events.Event) map[string]source {
	out := map[string]source{}
	for _, n := range examples.Names() {
		if b, err := examples.File(n); err == nil {
			out[n] = source{origin: "example", yaml: b}
		}
	}
	for i := range log {
		if p, ok := log[i].Data.(*events.ScenarioSaved); ok {
			out[p.Name] = source{origin: "saved", yaml: []byte(p.YAML)}
		}
	}
	return out
}

// List implements Scenarios. A scenario whose file does not parse is
// listed with the parse error as its description.
func (e *ScenarioEngine) List(ctx context.Context) ([]ScenarioInfo, error) {
	log, err := e.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var out []ScenarioInfo
	for name, src := range e.sources(log) {
		info := ScenarioInfo{Name: name, Origin: src.origin, Forecasts: []string{}}
		sc, err := scenarios.Parse(name, src.yaml, e.codec)
		if err != nil {
			info.Description = "this scenario file does not parse: " + err.Error()
		} else {
			info.Description, info.KnownAt = sc.Description, sc.KnownAt
			for _, t := range sc.Targets {
				info.Forecasts = append(info.Forecasts, t.String())
			}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b ScenarioInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// acquire takes a run slot, or fails when ctx ends first.
func (e *ScenarioEngine) acquire(ctx context.Context) error {
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for a free scenario worker: %v", events.ErrUnavailable, ctx.Err())
	}
}

func (e *ScenarioEngine) release() { <-e.sem }

// Run implements Scenarios.
func (e *ScenarioEngine) Run(ctx context.Context, name string, opts RunOptions) (*ScenarioRun, error) {
	log, err := e.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	srcs := e.sources(log)
	src, ok := srcs[name]
	if !ok {
		var known []string
		for n := range srcs {
			known = append(known, n)
		}
		slices.Sort(known)
		return nil, errScenarioNotFound(name, known)
	}
	sc, err := scenarios.Parse(name, src.yaml, e.codec)
	if err != nil {
		return nil, err
	}
	if err := e.acquire(ctx); err != nil {
		return nil, err
	}
	defer e.release()
	rep, err := sc.Run(log, scenarios.RunOptions{Runs: opts.Runs, Seed: opts.Seed, Codec: e.codec})
	if err != nil {
		return nil, err
	}
	var svg bytes.Buffer
	if err := rep.Chart(&svg); err != nil {
		return nil, fmt.Errorf("chart of %s: %w", name, err)
	}
	return &ScenarioRun{Report: rep, ChartSVG: svg.String()}, nil
}

// Forecast implements Scenarios.
func (e *ScenarioEngine) Forecast(ctx context.Context, q ForecastQuery) (*ForecastResult, error) {
	log, err := e.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.acquire(ctx); err != nil {
		return nil, err
	}
	defer e.release()
	f, err := scenarios.RunForecast(log, scenarios.ForecastRequest{
		Agreement: q.Agreement, Stage: q.Stage, KnownAt: q.KnownAt, Codec: e.codec,
		Options: scenarios.Options{Runs: q.Runs, Seed: q.Seed},
	})
	if err != nil {
		return nil, err
	}
	var svg bytes.Buffer
	if err := scenarios.ForecastChart(&svg, &f); err != nil {
		return nil, fmt.Errorf("forecast chart: %w", err)
	}
	return &ForecastResult{Forecast: f, ChartSVG: svg.String()}, nil
}

// Backtest implements Scenarios: the bundled cases (derived from the
// bundled history, as `accord backtest` derives them) against the log as
// it is now. A log without the bundled agreements gives a not-found error
// naming them.
func (e *ScenarioEngine) Backtest(ctx context.Context, q BacktestQuery) (*backtest.Report, error) {
	e.casesOnce.Do(func() {
		hist, err := dataset.History(e.codec)
		if err != nil {
			e.casesErr = err
			return
		}
		e.cases, e.casesErr = backtest.DeriveCases(hist, e.codec, backtest.BundledOffsets())
	})
	if e.casesErr != nil {
		return nil, e.casesErr
	}
	log, err := e.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.acquire(ctx); err != nil {
		return nil, err
	}
	defer e.release()
	name, model := "follow-up", backtest.DefaultModel()
	if q.Model == "censor-at-cut" {
		name, model = q.Model, backtest.CensorAtCutModel()
	}
	return backtest.Run(log, e.cases, backtest.Options{
		Runs: q.Runs, Seed: q.Seed, Workers: 2, RecordedBy: q.RecordedBy,
		Model: &model, ModelName: name, Codec: e.codec,
	})
}
