package scenarios

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"slices"
	"time"
)

// ChartSeries is one cumulative distribution on a chart.
type ChartSeries struct {
	// Label names the series in the legend.
	Label string
	// Days are the reach days of the runs (sorted or not), day numbers
	// since 1970-01-01; days after the chart's end count as not reached.
	Days []int32
	// Color is an SVG color; Dashed draws the line dashed (baselines).
	Color  string
	Dashed bool
}

// palette colors the forecasts of a chart in turn.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"}

// Chart writes an SVG chart of the report: for each forecast, the
// cumulative probability of having reached the stage by each date, the
// baseline dashed and the scenario solid in the same color, with axes,
// gridlines, labels and a legend. The SVG is self-contained and written by
// hand; it is the same bytes for the same report.
func (r *Report) Chart(w io.Writer) error {
	var series []ChartSeries
	bf, sf := r.Baseline.Forecasts, r.Scenario.Forecasts
	for i := range bf {
		c := palette[i%len(palette)]
		name := fmt.Sprintf("%s %s", bf[i].Agreement, bf[i].Stage)
		series = append(series,
			ChartSeries{Label: name + " (baseline)", Days: bf[i].sorted, Color: c, Dashed: true},
			ChartSeries{Label: name + " (scenario)", Days: sf[i].sorted, Color: c})
	}
	title := fmt.Sprintf("%s: probability reached by date (known at %s, %d runs)", r.Name, r.KnownAt, r.Runs)
	return WriteCDFChart(w, title, r.KnownAt.Day, r.Horizon.Day, series)
}

// ForecastChart writes the SVG chart of one forecast's cumulative
// probability.
func ForecastChart(w io.Writer, f *Forecast) error {
	title := fmt.Sprintf("%s %s: probability reached by date (known at %s, %d runs)", f.Agreement, f.Stage, f.KnownAt, f.Runs)
	return WriteCDFChart(w, title, f.KnownAt.Day, f.Horizon.Day, []ChartSeries{{Label: "forecast", Days: f.sorted, Color: palette[0]}})
}

// Chart geometry.
const (
	chartW, chartH             = 900, 520
	padL, padR, padT, padB     = 70, 30, 50, 150
	plotW                      = chartW - padL - padR
	plotH                      = chartH - padT - padB
	legendLineH                = 18
	maxChartSeries             = 12
	chartFont                  = "font-family=\"Helvetica, Arial, sans-serif\""
	chartTitleSize, chartLabel = 15, 11
)

// WriteCDFChart writes cumulative distributions of dates between from and
// to as an SVG document.
func WriteCDFChart(w io.Writer, title string, from, to time.Time, series []ChartSeries) error {
	if len(series) > maxChartSeries {
		series = series[:maxChartSeries]
	}
	d0, d1 := dayNum(from), dayNum(to)
	if d1 <= d0 {
		d1 = d0 + 1
	}
	x := func(d int32) float64 { return padL + float64(d-d0)/float64(d1-d0)*plotW }
	y := func(p float64) float64 { return padT + (1-p)*plotH }
	var b bytes.Buffer
	h := chartH + legendLineH*max(0, len(series)-6)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s>`+"\n", chartW, h, chartW, h, chartFont)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="white"/>`+"\n", chartW, h)
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="%d" font-weight="bold">%s</text>`+"\n", padL, chartTitleSize, html.EscapeString(title))

	// Horizontal gridlines and the probability axis.
	for i := 0; i <= 10; i++ {
		p := float64(i) / 10
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e0e0e0"/>`+"\n", padL, y(p), padL+plotW, y(p))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="%d" text-anchor="end">%.1f</text>`+"\n", padL-6, y(p)+4, chartLabel, p)
	}
	fmt.Fprintf(&b, `<text x="18" y="%d" font-size="%d" transform="rotate(-90 18 %d)" text-anchor="middle">probability reached by date</text>`+"\n", padT+plotH/2, chartLabel+1, padT+plotH/2)

	// Vertical gridlines at the first of each month (labelled by quarter,
	// or by year for long spans).
	start := dateOfDay(d0).Day
	m := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
	months := int(d1-d0) / 30
	step := 3
	if months > 48 {
		step = 12
	}
	for ; dayNum(m) <= d1; m = m.AddDate(0, 1, 0) {
		xd := x(dayNum(m))
		strong := (int(m.Month())-1)%step == 0
		color := "#f0f0f0"
		if strong {
			color = "#d0d0d0"
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", xd, padT, xd, padT+plotH, color)
		if strong {
			label := m.Format("2006-01")
			if step == 12 {
				label = m.Format("2006")
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="%d" text-anchor="middle">%s</text>`+"\n", xd, padT+plotH+16, chartLabel, label)
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" text-anchor="middle">date (cut %s, horizon %s)</text>`+"\n",
		padL+plotW/2, padT+plotH+36, chartLabel+1, dayString(d0), dayString(d1))
	// Axes.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", padL, padT+plotH, padL+plotW, padT+plotH)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", padL, padT, padL, padT+plotH)

	// The curves: a step function through the days on which the share
	// changes.
	for _, s := range series {
		days := slices.Clone(s.Days)
		slices.Sort(days)
		n := len(days)
		if n == 0 {
			continue
		}
		var pts bytes.Buffer
		k := 0
		for k < n && days[k] < d0 {
			k++
		}
		p := float64(k) / float64(n)
		fmt.Fprintf(&pts, "%.1f,%.1f", x(d0), y(p))
		for k < n && days[k] <= d1 {
			d := days[k]
			for k < n && days[k] == d {
				k++
			}
			fmt.Fprintf(&pts, " %.1f,%.1f", x(d), y(p))
			p = float64(k) / float64(n)
			fmt.Fprintf(&pts, " %.1f,%.1f", x(d), y(p))
		}
		fmt.Fprintf(&pts, " %.1f,%.1f", x(d1), y(p))
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6,4"`
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", html.EscapeString(s.Color), dash, pts.String())
	}

	// Legend.
	ly := padT + plotH + 58
	for i, s := range series {
		yy := ly + i*legendLineH
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6,4"`
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", padL, yy, padL+30, yy, html.EscapeString(s.Color), dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d">%s</text>`+"\n", padL+38, yy+4, chartLabel+1, html.EscapeString(s.Label))
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}
