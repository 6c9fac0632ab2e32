package backtest

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
	"github.com/accord-dev/accord/scenarios"
)

// The models a backtest scores.
const (
	// ModelAccord is accord's forecast: scenarios.RunForecast with the
	// model of Options.Model (DefaultModel when nil).
	ModelAccord = "accord"
	// ModelNaive is the naive reference class: the median duration of the
	// same transition (from the milestone the agreement had reached at
	// known_at to the target) among the agreements that had completed it
	// by known_at, added to the date the agreement reached that milestone,
	// as a point forecast. Like any naive reference class it ignores how
	// long the agreement has already waited, so its date may be before
	// known_at (overdue); VariantNaiveClamped is the variant that is not.
	ModelNaive = "naive"
	// ModelUniform is a uniform forecast over the days from known_at to
	// the horizon.
	ModelUniform = "uniform"
	// VariantNaiveClamped is the naive point forecast moved to the day
	// after known_at when it falls on or before known_at: a naive forecaster
	// that knows the stage had not been reached yet. It is reported beside
	// the three models (Report.Variants, Report.Paired), not as one of them.
	VariantNaiveClamped = "naive_clamped"
)

// Models returns the model names in report order.
func Models() []string { return []string{ModelAccord, ModelNaive, ModelUniform} }

// DefaultModel is the model a backtest scores as accord when
// Options.Model is nil: scenarios.DefaultModel, the model of `accord
// forecast`, whose reference classes censor a leg at the agreement's last
// event (follow-up censoring). CensorAtCutModel is the alternative. See
// docs/backtesting.md for the scores of both.
func DefaultModel() scenarios.Model { return scenarios.DefaultModel() }

// CensorAtCutModel is DefaultModel with reference-class legs censored at
// the cut instead of at each agreement's last event.
func CensorAtCutModel() scenarios.Model {
	m := scenarios.DefaultModel()
	m.CensorAtLastEvent = false
	return m
}

// DefaultRuns is the number of Monte Carlo runs per case when Options.Runs
// is zero: enough for scores stable to about a day of CRPS on the bundled
// cases, few enough that they run in seconds.
const DefaultRuns = 2000

// Options control a backtest. The zero value is usable.
type Options struct {
	// Runs and Seed are each case's Monte Carlo runs (zero: DefaultRuns)
	// and seed. Every case uses the same seed, so a case's accord forecast
	// is the one `accord forecast --known-at` gives with that seed.
	Runs int
	Seed uint64
	// Workers is the number of cases forecast at once (zero: one); the
	// report does not depend on it.
	Workers int
	// RecordedBy, when set, limits what the forecasts see on transaction
	// time as well: only events recorded by then (and reported by the
	// case's known_at). Outcomes are always read from the whole log.
	RecordedBy time.Time
	// End is the end of the log, where outcomes not reached are censored;
	// zero means the latest date on which an event of the log occurred or
	// was reported. When set, outcomes must have been reported by End.
	End time.Time
	// Model is accord's model; nil means DefaultModel(). ModelName names
	// it in the report.
	Model     *scenarios.Model
	ModelName string
	// Codec decodes corrections; nil means events.NewCodec().
	Codec *events.Codec
	// Progress, when set, is called after each case with the number of
	// cases done and the total (from one goroutine at a time).
	Progress func(done, total int)
}

// Report is the result of a backtest.
type Report struct {
	// Model names accord's model (Options.ModelName); Runs and Seed are
	// the Monte Carlo's; RecordedBy the transaction-time limit (null for
	// none); EndOfLog the censoring date.
	Model      string      `json:"model,omitempty"`
	Runs       int         `json:"runs"`
	Seed       uint64      `json:"seed"`
	RecordedBy *time.Time  `json:"recorded_by"`
	EndOfLog   events.Date `json:"end_of_log"`
	// HorizonsDays are the Brier and log-score questions (reached within
	// so many days); Clip is the log score's probability clip.
	HorizonsDays []int      `json:"horizons_days"`
	Clip         [2]float64 `json:"log_score_clip"`
	// Cases are in the order given.
	Cases []CaseResult `json:"cases"`
	// Summary has one entry per model.
	Summary Summary `json:"summary"`
	// Paired compares the models (and the variant) on the same cases:
	// those where all of them have the score.
	Paired Paired `json:"paired"`
	// Variants summarizes variants of the baselines (naive_clamped).
	Variants map[string]ModelSummary `json:"variants"`
	// Calibration bins each model's probabilities for the three horizons.
	Calibration Calibration `json:"calibration"`
}

// CaseResult is one case scored.
type CaseResult struct {
	Case
	// Outcome is the date the stage was reached in the whole log, or null;
	// Censored is true when it had not been reached by the end of the log
	// (it is then scored only where that is known: see the package
	// documentation).
	Outcome  events.Date `json:"outcome"`
	Censored bool        `json:"censored"`
	// OutcomeDays is the number of days from known_at to Outcome (null
	// when censored); ObservedDays the days from known_at to the end of
	// the log.
	OutcomeDays  *int `json:"outcome_days"`
	ObservedDays int  `json:"observed_days"`
	// From is the milestone the agreement had reached at known_at (as
	// known then), FromDate when; Horizon the last day forecast.
	From     projections.Stage `json:"from_stage"`
	FromDate events.Date       `json:"from_date"`
	Horizon  events.Date       `json:"horizon"`
	// Accord, Naive and Uniform are the models' forecasts and scores.
	Accord  ModelResult `json:"accord"`
	Naive   ModelResult `json:"naive"`
	Uniform ModelResult `json:"uniform"`
	// Winner is the model with the lowest CRPS ("tie" when two share it,
	// "" when the CRPS is not computable).
	Winner string `json:"winner"`
}

// ModelResult is one model's forecast of a case and its scores (lower is
// better; null when not computable).
type ModelResult struct {
	CRPSDays *float64 `json:"crps_days"`
	Brier    *float64 `json:"brier"`
	LogScore *float64 `json:"log_score"`
	// Forecast summarizes what the model said (null when it has no
	// forecast; Note then says why).
	Forecast *ForecastSummary `json:"forecast"`
	Note     string           `json:"note,omitempty"`
}

// ForecastSummary is what a model said about a case, from the knowledge of
// its known_at only.
type ForecastSummary struct {
	// PWithin maps "90", "180" and "365" to the probability of reaching the
	// stage within that many days after known_at.
	PWithin map[string]float64 `json:"p_within"`
	// MedianDays is the median number of days after known_at (null beyond
	// the horizon); Median the date.
	MedianDays *int        `json:"median_days"`
	Median     events.Date `json:"median"`
	// Accord only: PWithinHorizon is the share of runs that reach the
	// stage by the horizon, SamplesDigest a fingerprint (FNV-64a) of the
	// sorted run days: equal digests, identical samples.
	PWithinHorizon *float64 `json:"p_within_horizon,omitempty"`
	SamplesDigest  string   `json:"samples_digest,omitempty"`
	// Naive only: the reference class (agreements that had completed the
	// transition by known_at) and its median duration in days. The
	// naive's median is its point forecast, which is before known_at
	// (negative MedianDays) when the agreement was overdue.
	Reference          int  `json:"reference_agreements,omitempty"`
	MedianDurationDays *int `json:"median_duration_days,omitempty"`
}

// Summary has the totals and means of each model.
type Summary struct {
	Accord  ModelSummary `json:"accord"`
	Naive   ModelSummary `json:"naive"`
	Uniform ModelSummary `json:"uniform"`
}

// ModelSummary totals one model's scores. Each mean is over the cases
// where that score is computable (NCRPS, NBrier, NLogScore of them); N is
// the number of cases with at least one score. Means are null for no case.
type ModelSummary struct {
	CRPSDaysMean  *float64 `json:"crps_days_mean"`
	BrierMean     *float64 `json:"brier_mean"`
	LogScoreMean  *float64 `json:"log_score_mean"`
	N             int      `json:"n"`
	NCRPS         int      `json:"n_crps"`
	NBrier        int      `json:"n_brier"`
	NLogScore     int      `json:"n_log_score"`
	CRPSDaysTotal float64  `json:"crps_days_total"`
	BrierTotal    float64  `json:"brier_total"`
	LogScoreTotal float64  `json:"log_score_total"`
	// Wins counts the cases where the model had the lowest CRPS alone.
	Wins int `json:"crps_wins"`
}

// Paired holds each model's mean scores over the cases where every model
// and variant has that score (NCRPS and NBrier cases; the log score is
// computable exactly where the Brier score is).
type Paired struct {
	NCRPS        int         `json:"n_crps"`
	NBrier       int         `json:"n_brier"`
	Accord       PairedMeans `json:"accord"`
	Naive        PairedMeans `json:"naive"`
	Uniform      PairedMeans `json:"uniform"`
	NaiveClamped PairedMeans `json:"naive_clamped"`
}

// PairedMeans are one model's means in a Paired comparison (null for no
// case).
type PairedMeans struct {
	CRPSDaysMean *float64 `json:"crps_days_mean"`
	BrierMean    *float64 `json:"brier_mean"`
	LogScoreMean *float64 `json:"log_score_mean"`
}

// Calibration has one table per model.
type Calibration struct {
	Accord  []Bin `json:"accord"`
	Naive   []Bin `json:"naive"`
	Uniform []Bin `json:"uniform"`
}

// Bin is one row of a calibration table: the forecasts (case and horizon)
// whose probability was in [Lo, Hi) ([0.9, 1] for the last), how many, the
// mean probability and the share that happened.
type Bin struct {
	Lo            float64  `json:"lo"`
	Hi            float64  `json:"hi"`
	N             int      `json:"n"`
	MeanPredicted *float64 `json:"mean_predicted"`
	Observed      *float64 `json:"observed"`
}

// model returns the result of model name.
func (c *CaseResult) model(name string) *ModelResult {
	switch name {
	case ModelAccord:
		return &c.Accord
	case ModelNaive:
		return &c.Naive
	}
	return &c.Uniform
}

// Model returns the result of the named model (accord, naive or
// uniform).
func (c *CaseResult) Model(name string) ModelResult { return *c.model(name) }

// Model returns the summary of the named model.
func (s *Summary) Model(name string) ModelSummary { return *s.model(name) }

func (s *Summary) model(name string) *ModelSummary {
	switch name {
	case ModelAccord:
		return &s.Accord
	case ModelNaive:
		return &s.Naive
	}
	return &s.Uniform
}

// Model returns the calibration table of the named model.
func (c *Calibration) Model(name string) []Bin {
	switch name {
	case ModelAccord:
		return c.Accord
	case ModelNaive:
		return c.Naive
	}
	return c.Uniform
}

// caseWork is a case being prepared and scored.
type caseWork struct {
	res   CaseResult
	k     int32   // day number of known_at
	h     int32   // days from known_at to the horizon
	y     int32   // days from known_at to the outcome (when not censored)
	c     int32   // days from known_at to the end of the log
	naive float64 // the naive point, days after known_at
	hasNv bool
	// pairs are the (probability, happened) of each scorable horizon per
	// model, for the calibration tables
	pairs [3][]pair
	// clamped is the naive_clamped variant's result
	clamped ModelResult
}

type pair struct {
	p float64
	o bool
}

// Run backtests cases against log (the whole log, in position order, as
// the store holds it): each case is forecast by each model from what was
// known at its known_at (and recorded by Options.RecordedBy), then scored
// against the outcome in the whole log. Cases that cannot be forecast (an
// agreement the log does not have, one with no events known at known_at,
// or a stage already reached and known by then) are all reported in one
// *CaseError before anything runs.
func Run(log []events.Event, cases []Case, o Options) (*Report, error) {
	if len(cases) == 0 {
		return nil, fmt.Errorf("%w: no cases", events.ErrInvalid)
	}
	if len(cases) > MaxCases {
		return nil, fmt.Errorf("%w: %d cases; the limit is %d", events.ErrInvalid, len(cases), MaxCases)
	}
	runs := o.Runs
	if runs <= 0 {
		runs = DefaultRuns
	}
	if runs > scenarios.MaxRuns {
		return nil, fmt.Errorf("%w: %d runs; the limit is %d", events.ErrInvalid, runs, scenarios.MaxRuns)
	}
	model := DefaultModel()
	if o.Model != nil {
		model = *o.Model
	}
	set := projections.NewSet(o.Codec)
	if err := set.ApplyAll(log); err != nil {
		return nil, err
	}
	end := o.End
	outcomeCut := projections.Cut{}
	if end.IsZero() {
		end = logEnd(log)
	} else {
		outcomeCut.KnownAt = endOfDay(end)
	}
	endDay := dayNum(end)
	r := &Report{
		Model: o.ModelName, Runs: runs, Seed: o.Seed, EndOfLog: events.DayOf(end), HorizonsDays: Horizons(),
		Clip: [2]float64{ClipLow, ClipHigh}, Cases: make([]CaseResult, len(cases)),
	}
	if !o.RecordedBy.IsZero() {
		rb := o.RecordedBy.UTC()
		r.RecordedBy = &rb
	}

	// Check every case, find its outcome and the naive forecast: these
	// read the projections, which are not safe for concurrent use.
	work := make([]*caseWork, len(cases))
	var problems []string
	notFound := 0
	for i, c := range cases {
		w, problem, missing := prepareCase(set, c, outcomeCut, endDay, o.RecordedBy)
		if problem != "" {
			problems = append(problems, c.where()+": "+problem)
			if missing {
				notFound++
			}
			continue
		}
		work[i] = w
	}
	if len(problems) > 0 {
		e := &CaseError{Problems: problems}
		if notFound == len(problems) {
			e.kind = events.ErrNotFound
		}
		return nil, e
	}

	// accord's forecasts, in parallel; each is independent of the others
	// and of the number of workers.
	nw := max(1, min(o.Workers, len(cases)))
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		done     int
		firstErr error
	)
	errs := make([]error, len(cases))
	for range nw {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(cases) {
					return
				}
				errs[i] = forecastAccord(log, work[i], model, scenarios.Options{Runs: runs, Seed: o.Seed, Workers: 1}, o)
				if o.Progress != nil {
					mu.Lock()
					done++
					o.Progress(done, len(cases))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", cases[i].where(), err)
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}

	var pairs [3][]pair
	clamped := make([]ModelResult, len(work))
	for i, w := range work {
		w.scoreNaive()
		w.scoreUniform()
		w.res.Winner = winner(&w.res)
		r.Cases[i] = w.res
		clamped[i] = w.clamped
		for m := range pairs {
			pairs[m] = append(pairs[m], w.pairs[m]...)
		}
	}
	r.Summary = summarize(r.Cases)
	r.Variants = map[string]ModelSummary{VariantNaiveClamped: summarizeOne(clamped, nil)}
	r.Paired = pairedMeans(r.Cases, clamped)
	r.Calibration = Calibration{Accord: calibrate(pairs[0]), Naive: calibrate(pairs[1]), Uniform: calibrate(pairs[2])}
	r.round()
	return r, nil
}

// round rounds every score, probability and mean of the report to four
// decimals (after the means and the winners were computed exactly), for
// output.
func (r *Report) round() {
	rp := func(p *float64) {
		if p != nil {
			*p = round4(*p)
		}
	}
	rm := func(mr *ModelResult) {
		rp(mr.CRPSDays)
		rp(mr.Brier)
		rp(mr.LogScore)
		if f := mr.Forecast; f != nil {
			for k, v := range f.PWithin {
				f.PWithin[k] = round4(v)
			}
			rp(f.PWithinHorizon)
		}
	}
	rs := func(s *ModelSummary) {
		rp(s.CRPSDaysMean)
		rp(s.BrierMean)
		rp(s.LogScoreMean)
		s.CRPSDaysTotal, s.BrierTotal, s.LogScoreTotal = round4(s.CRPSDaysTotal), round4(s.BrierTotal), round4(s.LogScoreTotal)
	}
	for i := range r.Cases {
		for _, m := range Models() {
			rm(r.Cases[i].model(m))
		}
	}
	for _, m := range Models() {
		rs(r.Summary.model(m))
		for i := range r.Calibration.Model(m) {
			b := &r.Calibration.Model(m)[i]
			rp(b.MeanPredicted)
			rp(b.Observed)
		}
	}
	for k, v := range r.Variants {
		rs(&v)
		r.Variants[k] = v
	}
	for _, pm := range []*PairedMeans{&r.Paired.Accord, &r.Paired.Naive, &r.Paired.Uniform, &r.Paired.NaiveClamped} {
		rp(pm.CRPSDaysMean)
		rp(pm.BrierMean)
		rp(pm.LogScoreMean)
	}
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// logEnd returns the latest date on which an event of log occurred or was
// reported (the first day of a partial date), or the Unix epoch for an
// empty log.
func logEnd(log []events.Event) time.Time {
	var end time.Time
	for i := range log {
		if k := log[i].KnownAt().Day; k.After(end) {
			end = k
		}
		if k := log[i].OccurredAt.Day; k.After(end) {
			end = k
		}
	}
	if end.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return end
}

// dayNum returns whole days since 1970-01-01 of t's date (UTC).
func dayNum(t time.Time) int32 { return scenarios.DayNumber(events.DayOf(t)) }

// dateOfDay is the inverse of dayNum.
func dateOfDay(d int32) events.Date { return events.DayOf(time.Unix(int64(d)*86400, 0)) }

// prepareCase checks c, finds its outcome and makes the naive forecast. A
// non-empty problem says why the case cannot be run (missing: the
// agreement is not in the log at all).
func prepareCase(set *projections.Set, c Case, outcomeCut projections.Cut, endDay int32, recordedBy time.Time) (w *caseWork, problem string, missing bool) {
	if c.KnownAt.IsZero() {
		return nil, "no known_at", false
	}
	c.KnownAt = events.DayOf(c.KnownAt.End()) // a partial date is its last day
	lvl := scenarios.MilestoneIndex(c.Stage)
	if lvl < 1 {
		return nil, fmt.Sprintf("stage %q: want one of %s", c.Stage, stageNames()), false
	}
	full, ok := set.Agreements.Get(c.Agreement, outcomeCut)
	if !ok {
		return nil, fmt.Sprintf("unknown agreement %q: the log has no event of it", c.Agreement), true
	}
	cut := cutAt(c.KnownAt, recordedBy)
	now, ok := set.Agreements.Get(c.Agreement, cut)
	if !ok {
		return nil, fmt.Sprintf("agreement %q has no events known at %s: nothing to forecast from", c.Agreement, c.KnownAt), false
	}
	nd, nf := scenarios.MilestoneDates(now)
	if !nd[lvl].IsZero() {
		return nil, fmt.Sprintf("%s had already been reached on %s, as known at %s: nothing to forecast", c.Stage, nd[lvl], c.KnownAt), false
	}
	w = &caseWork{res: CaseResult{Case: c}, k: scenarios.DayNumber(c.KnownAt)}
	w.h = dayNum(scenarios.DefaultHorizon(c.KnownAt.Day)) - w.k
	w.res.Horizon = dateOfDay(w.k + w.h)
	w.c = endDay - w.k
	w.res.ObservedDays = int(w.c)

	// The outcome, from the whole log.
	fd, _ := scenarios.MilestoneDates(full)
	if out := fd[lvl]; !out.IsZero() && scenarios.DayNumber(out) <= endDay {
		w.res.Outcome = out
		w.y = scenarios.DayNumber(out) - w.k
		y := int(w.y)
		w.res.OutcomeDays = &y
	} else {
		w.res.Censored = true
	}

	// Where the agreement stood at known_at, and the naive forecast: the
	// median duration of that transition among the agreements that had
	// completed it by then.
	from := -1
	for l := len(nd) - 1; l >= 0; l-- {
		if !nd[l].IsZero() {
			from = l
			break
		}
	}
	if from < 0 || nf < 0 {
		w.res.Naive.Note = "no milestone of the agreement was known at known_at"
		return w, "", false
	}
	w.res.From, w.res.FromDate = scenarios.Milestones()[from], nd[from]
	var durs []int32
	for _, st := range set.Agreements.At(cut) {
		if st.ID == c.Agreement {
			continue
		}
		d, f := scenarios.MilestoneDates(st)
		if f < 0 || f > from || d[from].IsZero() || d[lvl].IsZero() {
			continue
		}
		durs = append(durs, scenarios.DayNumber(d[lvl])-scenarios.DayNumber(d[from]))
	}
	if len(durs) == 0 {
		w.res.Naive.Note = fmt.Sprintf("no agreement had completed %s -> %s by known_at", scenarios.Milestones()[from], c.Stage)
		return w, "", false
	}
	slices.Sort(durs)
	n := len(durs)
	med := float64(durs[n/2])
	if n%2 == 0 {
		med = (float64(durs[n/2-1]) + float64(durs[n/2])) / 2
	}
	medDays := int(math.Round(med))
	point := scenarios.DayNumber(nd[from]) + int32(medDays) - w.k
	w.naive, w.hasNv = float64(point), true
	w.res.Naive.Forecast = &ForecastSummary{Reference: n, MedianDurationDays: &medDays}
	return w, "", false
}

// forecastAccord runs accord's forecast of a case and scores it.
func forecastAccord(log []events.Event, w *caseWork, model scenarios.Model, so scenarios.Options, o Options) error {
	f, err := scenarios.RunForecast(log, scenarios.ForecastRequest{
		Agreement: w.res.Agreement, Stage: w.res.Stage, KnownAt: w.res.KnownAt, RecordedBy: o.RecordedBy,
		Model: &model, Options: so, Codec: o.Codec,
	})
	if err != nil {
		return err
	}
	if f.Reached {
		return fmt.Errorf("%w: %s had been reached on %s", events.ErrInvalid, w.res.Stage, f.ReachedOn)
	}
	days := f.RunDays()
	hd := fnv.New64a()
	xs := make([]float64, len(days))
	for i, d := range days {
		var b [4]byte
		b[0], b[1], b[2], b[3] = byte(d), byte(d>>8), byte(d>>16), byte(d>>24)
		hd.Write(b[:])
		x := int64(d) - int64(w.k)
		xs[i] = float64(min(x, int64(w.h)))
	}
	pwh := f.PWithinHorizon
	fs := &ForecastSummary{
		PWithin: map[string]float64{}, PWithinHorizon: &pwh,
		SamplesDigest: fmt.Sprintf("%016x", hd.Sum64()),
	}
	w.res.Accord.Forecast = fs
	// xs is sorted: days is, and the map x -> min(x - k, h) keeps order.
	w.score(0, &w.res.Accord, xs, func(h int) float64 {
		n, _ := slices.BinarySearch(xs, float64(h)+0.5)
		return float64(n) / float64(len(xs))
	})
	// The median as Forecast.Quantiles defines it: the ⌈n/2⌉-th smallest.
	setMedian(fs, w, int32(xs[(len(xs)-1)/2]))
	return nil
}

func setMedian(fs *ForecastSummary, w *caseWork, med int32) {
	if med >= w.h {
		return // beyond the horizon (or at it): null
	}
	m := int(med)
	fs.MedianDays, fs.Median = &m, dateOfDay(w.k+med)
}

// scoreNaive scores the naive point forecast (the CRPS of a point
// forecast is its absolute error) and its clamped variant.
func (w *caseWork) scoreNaive() {
	if !w.hasNv {
		w.clamped.Note = w.res.Naive.Note
		return
	}
	x := math.Min(w.naive, float64(w.h))
	fs := w.res.Naive.Forecast
	fs.PWithin = map[string]float64{}
	w.score(1, &w.res.Naive, []float64{x}, func(h int) float64 { return b2f(x <= float64(h)) })
	setMedian(fs, w, int32(x))

	xc := math.Min(math.Max(w.naive, 1), float64(w.h))
	w.clamped.Forecast = &ForecastSummary{PWithin: map[string]float64{}}
	w.score(-1, &w.clamped, []float64{xc}, func(h int) float64 { return b2f(xc <= float64(h)) })
	setMedian(w.clamped.Forecast, w, int32(xc))
}

// scoreUniform scores the uniform forecast over days 1 to the horizon.
func (w *caseWork) scoreUniform() {
	xs := make([]float64, w.h)
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	fs := &ForecastSummary{PWithin: map[string]float64{}}
	w.res.Uniform.Forecast = fs
	w.score(2, &w.res.Uniform, xs, func(h int) float64 { return math.Min(1, float64(h)/float64(w.h)) })
	setMedian(fs, w, (w.h+1)/2)
}

// score computes a model's scores for the case from its sorted samples
// (capped at the horizon) and its probabilities of reaching the stage
// within each horizon, and records the calibration pairs of model m (none
// when m < 0).
func (w *caseWork) score(m int, mr *ModelResult, sorted []float64, pWithin func(h int) float64) {
	// CRPS: the outcome capped at the horizon, as the samples are. A
	// censored outcome is known only when the log runs past the horizon.
	switch {
	case !w.res.Censored:
		v := CRPS(sorted, true, float64(min(w.y, w.h)))
		mr.CRPSDays = &v
	case w.c >= w.h:
		v := CRPS(sorted, true, float64(w.h))
		mr.CRPSDays = &v
	}
	var bs, ls float64
	n := 0
	for _, h := range Horizons() {
		p := pWithin(h)
		mr.Forecast.PWithin[strconv.Itoa(h)] = p
		var happened bool
		switch {
		case !w.res.Censored:
			happened = w.y <= int32(h)
		case w.c >= int32(h):
			happened = false // not reached within h days: that much is known
		default:
			continue // censored before h: unknown, not a miss
		}
		bs += Brier(p, happened)
		ls += LogScore(p, happened)
		n++
		if m >= 0 {
			w.pairs[m] = append(w.pairs[m], pair{p, happened})
		}
	}
	if n > 0 {
		bs, ls = bs/float64(n), ls/float64(n)
		mr.Brier, mr.LogScore = &bs, &ls
	}
}

// winner names the model with the lowest CRPS.
func winner(c *CaseResult) string {
	best, name, tie := math.Inf(1), "", false
	for _, m := range Models() {
		v := c.model(m).CRPSDays
		if v == nil {
			continue
		}
		switch {
		case *v < best-1e-9:
			best, name, tie = *v, m, false
		case math.Abs(*v-best) <= 1e-9:
			tie = true
		}
	}
	if tie {
		return "tie"
	}
	return name
}

func summarize(cases []CaseResult) Summary {
	var s Summary
	for _, m := range Models() {
		rs := make([]ModelResult, len(cases))
		won := make([]bool, len(cases))
		for i := range cases {
			rs[i], won[i] = *cases[i].model(m), cases[i].Winner == m
		}
		*s.model(m) = summarizeOne(rs, won)
	}
	return s
}

// summarizeOne totals one model's results; won, when not nil, says in
// which cases it had the lowest CRPS.
func summarizeOne(rs []ModelResult, won []bool) ModelSummary {
	var ms ModelSummary
	for i := range rs {
		mr := &rs[i]
		if mr.CRPSDays == nil && mr.Brier == nil {
			continue
		}
		ms.N++
		if mr.CRPSDays != nil {
			ms.NCRPS++
			ms.CRPSDaysTotal += *mr.CRPSDays
		}
		if mr.Brier != nil {
			ms.NBrier++
			ms.BrierTotal += *mr.Brier
			ms.NLogScore++
			ms.LogScoreTotal += *mr.LogScore
		}
		if won != nil && won[i] {
			ms.Wins++
		}
	}
	ms.CRPSDaysMean = mean(ms.CRPSDaysTotal, ms.NCRPS)
	ms.BrierMean = mean(ms.BrierTotal, ms.NBrier)
	ms.LogScoreMean = mean(ms.LogScoreTotal, ms.NLogScore)
	return ms
}

// pairedMeans compares the models and the clamped naive on the cases
// where all of them have each score.
func pairedMeans(cases []CaseResult, clamped []ModelResult) Paired {
	var p Paired
	all := func(i int) []*ModelResult {
		return []*ModelResult{&cases[i].Accord, &cases[i].Naive, &cases[i].Uniform, &clamped[i]}
	}
	var crps, brier, logs [4]float64
	for i := range cases {
		rs := all(i)
		okC, okB := true, true
		for _, r := range rs {
			okC = okC && r.CRPSDays != nil
			okB = okB && r.Brier != nil
		}
		for k, r := range rs {
			if okC {
				crps[k] += *r.CRPSDays
			}
			if okB {
				brier[k] += *r.Brier
				logs[k] += *r.LogScore
			}
		}
		if okC {
			p.NCRPS++
		}
		if okB {
			p.NBrier++
		}
	}
	for k, pm := range []*PairedMeans{&p.Accord, &p.Naive, &p.Uniform, &p.NaiveClamped} {
		pm.CRPSDaysMean = mean(crps[k], p.NCRPS)
		pm.BrierMean = mean(brier[k], p.NBrier)
		pm.LogScoreMean = mean(logs[k], p.NBrier)
	}
	return p
}

func mean(total float64, n int) *float64 {
	if n == 0 {
		return nil
	}
	v := total / float64(n)
	return &v
}

// calibrate bins (probability, outcome) pairs in tenths.
func calibrate(ps []pair) []Bin {
	bins := make([]Bin, 10)
	sums := make([]float64, 10)
	hits := make([]int, 10)
	for i := range bins {
		bins[i].Lo, bins[i].Hi = float64(i)/10, float64(i+1)/10
	}
	for _, p := range ps {
		i := min(9, max(0, int(math.Floor(p.p*10+1e-9))))
		bins[i].N++
		sums[i] += p.p
		if p.o {
			hits[i]++
		}
	}
	for i := range bins {
		if bins[i].N > 0 {
			mp, ob := sums[i]/float64(bins[i].N), float64(hits[i])/float64(bins[i].N)
			bins[i].MeanPredicted, bins[i].Observed = &mp, &ob
		}
	}
	return bins
}
