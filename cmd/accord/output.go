package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// table is a rectangular result that every --output format can render.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// writeTable renders t as aligned columns.
func writeTable(w io.Writer, t *table) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(t.header, "\t")))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// writeCSV renders t as RFC 4180 CSV with a header line.
func writeCSV(w io.Writer, t *table) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.header); err != nil {
		return err
	}
	if err := cw.WriteAll(t.rows); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// render writes a result: v as JSON, or t as a table or CSV.
func render(w io.Writer, format string, v any, t func() *table) error {
	switch format {
	case "json":
		return writeJSON(w, v)
	case "csv":
		return writeCSV(w, t())
	}
	return writeTable(w, t())
}

// progress prints a progress bar on a terminal, nothing otherwise.
type progress struct {
	w       io.Writer
	enabled bool
	label   string
	total   int
	last    int
}

func (m *Main) newProgress(label string, total int) *progress {
	return &progress{w: m.Stderr, enabled: m.stderrIsTerminal, label: label, total: total, last: -1}
}

// set reports that done of total units are complete.
func (p *progress) set(done int) {
	if !p.enabled || p.total <= 0 {
		return
	}
	pct := done * 100 / p.total
	if pct == p.last {
		return
	}
	p.last = pct
	const width = 30
	filled := pct * width / 100
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %d/%d", p.label, strings.Repeat("#", filled), strings.Repeat(".", width-filled), pct, done, p.total)
}

// finish ends the progress line.
func (p *progress) finish() {
	if p.enabled && p.last >= 0 {
		fmt.Fprintln(p.w)
	}
}

// writeJSONLine writes v as one compact JSON line.
func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
