package scenarios

import (
	"slices"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// RunDays returns a copy of the runs' reach days, sorted ascending: day
// numbers since 1970-01-01 (as in ChartSeries.Days), one per run. A run
// that does not reach the stage has math.MaxInt32; a run may also reach it
// after the horizon (its day is then later than Horizon). Scores that need
// the raw Monte Carlo samples, such as the CRPS of a backtest, use it.
func (f *Forecast) RunDays() []int32 { return slices.Clone(f.sorted) }

// DayNumber returns the day number (whole days since 1970-01-01) of d's
// first day, the unit of RunDays.
func DayNumber(d events.Date) int32 { return dayNum(d.Day) }

// MilestoneDates reads an agreement's transitions as the models do: dates
// has one entry per milestone of Milestones, the date on which the
// agreement first reached that milestone or a later one (zero when it has
// not), and first is the index of the first milestone it has a record of
// (-1 when it has none). Milestones before first are unknown rather than
// skipped, so legs that start before first are not durations.
func MilestoneDates(st projections.AgreementState) (dates []events.Date, first int) {
	dates = make([]events.Date, nMilestones)
	first = -1
	for _, tr := range st.Transitions {
		lvl := reachLevel(tr.Stage)
		if lvl >= 0 && first < 0 {
			first = lvl
		}
		for m := 0; m <= lvl; m++ {
			if dates[m].IsZero() {
				dates[m] = tr.Date
			}
		}
	}
	return dates, first
}
