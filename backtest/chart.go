package backtest

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"math"
)

// Chart geometry of the reliability diagram.
const (
	relW, relH             = 720, 680
	relL, relT, relSide    = 80, 60, 440
	relFont                = `font-family="Helvetica, Arial, sans-serif"`
	relTitleSize, relLabel = 15, 11
)

// modelColors colors the models on the chart.
var modelColors = map[string]string{ModelAccord: "#1f77b4", ModelNaive: "#d62728", ModelUniform: "#2ca02c"}

// ReliabilityChart writes the report's calibration tables as an SVG
// reliability diagram: for each model, one point per bin of predicted
// probability (pooled over the 90, 180 and 365-day questions) at the bin's
// mean prediction (x) and the share of those questions whose answer was
// yes (y), its area proportional to the number of forecasts in the bin,
// joined by a line. Points on the dashed diagonal are perfectly
// calibrated; below it the model was over-confident that the stage would
// be reached, above it under-confident. The SVG is written by hand and is
// the same bytes for the same report.
func (r *Report) ReliabilityChart(w io.Writer) error {
	x := func(p float64) float64 { return relL + p*relSide }
	y := func(p float64) float64 { return relT + (1-p)*relSide }
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s>`+"\n", relW, relH, relW, relH, relFont)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="white"/>`+"\n", relW, relH)
	title := fmt.Sprintf("Reliability: reached within 90/180/365 days (%d cases, %d runs, seed %d)", len(r.Cases), r.Runs, r.Seed)
	fmt.Fprintf(&b, `<text x="%d" y="30" font-size="%d" font-weight="bold">%s</text>`+"\n", relL-40, relTitleSize, html.EscapeString(title))

	// Grid and axes.
	for i := 0; i <= 10; i++ {
		p := float64(i) / 10
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eeeeee"/>`+"\n", x(p), relT, x(p), relT+relSide)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eeeeee"/>`+"\n", relL, y(p), relL+relSide, y(p))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="%d" text-anchor="middle">%.1f</text>`+"\n", x(p), relT+relSide+16, relLabel, p)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="%d" text-anchor="end">%.1f</text>`+"\n", relL-6, y(p)+4, relLabel, p)
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", relL, relT+relSide, relL+relSide, relT+relSide)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", relL, relT, relL, relT+relSide)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888888" stroke-dasharray="6,4"/>`+"\n", x(0), y(0), x(1), y(1))
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" text-anchor="middle">predicted probability (mean of the bin)</text>`+"\n", relL+relSide/2, relT+relSide+36, relLabel+1)
	fmt.Fprintf(&b, `<text x="24" y="%d" font-size="%d" transform="rotate(-90 24 %d)" text-anchor="middle">observed frequency</text>`+"\n", relT+relSide/2, relLabel+1, relT+relSide/2)

	// The models.
	maxN := 1
	for _, m := range Models() {
		for _, bin := range r.Calibration.Model(m) {
			maxN = max(maxN, bin.N)
		}
	}
	for _, m := range Models() {
		color := modelColors[m]
		var pts bytes.Buffer
		var dots bytes.Buffer
		for _, bin := range r.Calibration.Model(m) {
			if bin.N == 0 {
				continue
			}
			px, py := x(*bin.MeanPredicted), y(*bin.Observed)
			if pts.Len() > 0 {
				pts.WriteByte(' ')
			}
			fmt.Fprintf(&pts, "%.1f,%.1f", px, py)
			rad := 3 + 9*math.Sqrt(float64(bin.N)/float64(maxN))
			fmt.Fprintf(&dots, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s" fill-opacity="0.55" stroke="%s"><title>%s: %d forecasts in [%.1f, %.1f), mean %.3f, observed %.3f</title></circle>`+"\n",
				px, py, rad, color, color, m, bin.N, bin.Lo, bin.Hi, *bin.MeanPredicted, *bin.Observed)
		}
		if pts.Len() > 0 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", color, pts.String())
		}
		b.Write(dots.Bytes())
	}

	// Legend with the means.
	ly := relT + relSide + 64
	for i, m := range Models() {
		yy := ly + i*20
		s := r.Summary.Model(m)
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="6" fill="%s" fill-opacity="0.55" stroke="%s"/>`+"\n", relL+6, yy, modelColors[m], modelColors[m])
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d">%s: Brier %s, log score %s, CRPS %s days (n %d)</text>`+"\n",
			relL+20, yy+4, relLabel+1, m, fmtPtr(s.BrierMean, 3), fmtPtr(s.LogScoreMean, 3), fmtPtr(s.CRPSDaysMean, 1), s.N)
	}
	for i, line := range []string{
		"Dashed: perfect calibration. Below it, the model was too sure the stage would be reached;",
		"above it, not sure enough. Area: forecasts in the bin. Scores are losses: lower is better.",
	} {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" fill="#555555">%s</text>`+"\n", relL-40, ly+3*20+8+i*16, relLabel, line)
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// fmtPtr formats a score, or "-" for none.
func fmtPtr(v *float64, prec int) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, *v)
}
