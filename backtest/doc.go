// Package backtest measures accord's forecasts the way forecasting
// platforms score forecasters: each case is forecast with only what was
// known at a date, then scored against what happened later, side by side
// with two baselines.
//
// It is pure, like packages projections and scenarios: no SQL, HTTP or
// messaging, no clock and no global random source. The log comes in as a
// slice of events, the end of the log (where outcomes are censored) is the
// log's own latest date unless Options.End is given, and randomness is
// Options.Seed.
//
// # Cases and what a forecast may see
//
// A Case is (agreement, stage, known_at). The forecast of a case sees an
// event only if it had been reported by the end of known_at (its
// reported_at, or occurred_at when it has none: projections.Cut.KnownAt)
// and, when Options.RecordedBy is set, also recorded by then (recorded_at,
// transaction time). Both filters are strict: an event outside them does
// not exist for the forecast, nor do the retractions and corrections
// outside them. Why is recorded-by not simply known_at? The bundled
// history, like most histories analysts assemble, was recorded in 2026,
// long after the facts: recorded_at <= known_at would leave nothing. So
// the knowledge filter is reported_at <= known_at, and --recorded-by adds
// transaction time for logs kept live (what did this log hold on that
// day). The outcome, by contrast, is read from the whole log as it stands.
//
// # Outcomes and censoring
//
// The outcome is the date the agreement reached the stage (the first
// transition to it or a later milestone, as scenarios.MilestoneDates reads
// it; a partial date counts from the first day of its period). When the
// log does not show it by its end, the case is censored there and scored
// only where the censoring allows: "reached within 90 days" is a known no
// once 90 days have passed, unknown before; a censored case is never
// counted as a miss. Each score's n says how many cases it covers.
//
// # Scores (all losses: lower is better)
//
//   - CRPS in days: the continuous ranked probability score of the Monte
//     Carlo samples (CRPS), E|X − y| − ½E|X − X′|, 0 for a forecast that
//     put everything on the right day; for a point forecast it is the
//     absolute error in days. Samples after the horizon (five years after
//     the known_at month, as in accord forecast), and runs that never
//     reach the stage, count as at the horizon, as does an outcome after
//     it: this is the CRPS of min(T, horizon), still a proper score. A
//     censored case has a CRPS only when the log runs past the horizon.
//   - Brier: (p − o)² for "reached within 90, 180 and 365 days", the mean
//     over the questions the outcome (or its censoring) answers.
//   - Log score: −ln of the probability given to what happened, for the
//     same questions and averaged the same way, with probabilities clipped
//     to [0.01, 0.99] (at most ln 100 ≈ 4.6 for a confident miss).
//
// # Models
//
//   - accord: scenarios.RunForecast with DefaultModel (the model of
//     `accord forecast` with follow-up censoring), Options.Runs runs and
//     Options.Seed for every case.
//   - naive: the median duration of the same transition among agreements
//     that had completed it by known_at, from the date the agreement
//     reached its milestone, as a point forecast (probabilities 0 or 1).
//     No forecast when no agreement had completed it. The variant
//     naive_clamped moves an overdue point to the day after known_at.
//   - uniform: every day from known_at to the horizon equally likely.
//
// A calibration table per model bins the probabilities of the three
// questions, pooled, by tenths against the share that happened;
// Report.ReliabilityChart draws it. docs/backtesting.md explains how to
// read it and reports the current scores on the bundled cases.
package backtest
