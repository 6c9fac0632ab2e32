// Package scenarios is accord's what-if engine: branches of the log, models
// that turn the present state of each agreement into possible futures,
// seeded Monte Carlo forecasts, baseline-versus-scenario comparisons with
// explanations, scenario files and SVG charts.
//
// It is pure, like package projections: no SQL, HTTP or messaging, no
// clock and no global random source. Time enters as the cut ("known at")
// and the horizon; randomness as a seed.
//
// # Branches
//
// A Branch is a Base (a cut of the log: a position, a known-at date and a
// recorded-by instant, over a slice of events that it refers to and never
// copies) plus an overlay of Edits: add hypothetical events, remove or
// retract events (by id or by a Filter on type, stream, agreement, country
// and date range), shift an event's valid time, replace its payload.
// Creating a branch costs time and memory in the size of the overlay only.
// Branch.Events yields the base events the cut includes, with the edits
// applied on the fly, then the added events; Branch.Fold runs the
// projections over them exactly as over the log. The log is never changed.
//
// # Models
//
// The lifecycle is read as a chain of milestones: proposed, negotiating,
// agreed_in_principle, signed, approved, in_force (see Milestones). A
// milestone is reached on the date of the first transition to it or to a
// later stage (so a signature with no recorded agreement in principle
// reaches both on that date; stalled counts as negotiating, provisional
// application as approved, and abandonment or termination as no progress).
// A leg is the time from one milestone to the next.
//
//   - Stage durations come from a reference class in the log as known at the
//     cut: the durations of the same leg among agreements of the same kind,
//     or of all agreements when the kind has fewer than Model.MinEvents
//     completed legs. Legs not completed at the cut are right-censored, not
//     dropped (at the cut, or with Model.CensorAtLastEvent at the
//     agreement's last event, its last follow-up), and an agreement counts only from its first recorded
//     milestone (earlier legs are unknown, not zero). The Kaplan–Meier
//     survival curve is linearly interpolated between its event times
//     (which spreads each step over the interval before it, giving smooth
//     quantiles), and beyond the last event time, when survival has not
//     reached zero, it continues with an exponential tail whose rate is the
//     class's events per day at risk (the constant-hazard estimate). An
//     agreement already in a leg for e days draws its remaining time from
//     the curve conditional on survival to e; past the last event time of a
//     curve that reached zero, from the exponential tail alone. Explicit
//     distributions (triangular, PERT, lognormal, uniform, exponential,
//     fixed; via gonum's distuv) can replace the reference class per leg,
//     per kind or per agreement; an explicit distribution whose support
//     ends before the elapsed time treats the leg as overdue (an
//     exponential wait with a mean of a quarter of its median, at least 7
//     days).
//   - Rules are expressions in expr-lang/expr over the event and the
//     agreement (see RuleEnv), compiled once. A delay rule fires on each
//     future event (a hypothetical event of the branch dated after the cut,
//     or a stochastic one) while the agreement is in a leg, and pushes the
//     end of that leg back by a draw from its distribution. An expectation
//     rule fires on the agreement's latest reported expectation at the cut
//     and, with its weight as probability, puts the expected milestone at a
//     uniformly drawn day of the expected period (from the day after the
//     cut when the period has begun). Events at or before the cut have no
//     rule effects: their effect is already in the elapsed time.
//   - Hazards are stochastic leadership changes per country: a Poisson
//     process with a rate given or taken from the log's history (changes
//     per year from the country's first recorded change to the cut, that
//     first change marking the start of the period), within the horizon.
//     Each drawn change is an event the delay rules see.
//
// A hypothetical lifecycle event of the agreement dated after the cut fixes
// its milestone on that date (and no earlier milestone can come later); a
// hypothetical abandonment or termination ends it.
//
// # Monte Carlo
//
// Prepare folds a branch once and precomputes, per forecast agreement, the
// legs' sampling tables (2,049-point inverse-CDF tables), the rule outcomes
// per event and stage, and the hazards; a run then only draws numbers and
// adds days, without folding events or allocating. Every run has its own
// random streams, derived from (seed, run index) with SplitMix64 and split
// by purpose (one PCG stream per leg of each agreement, per expectation,
// per hazard and per rule firing), so a run's draws do not depend on the
// number of workers nor on the other parts of the model: the baseline and
// the scenario use common random numbers, and a difference between them
// comes from the scenario. Results are kept per run index and aggregated
// in run order, with integer sums only, so the same seed gives
// byte-identical output with any number of workers.
package scenarios
