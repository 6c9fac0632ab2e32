package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/dataset"
)

// backtestJSON is the contract of 'accord backtest --output json', with
// the forecast parts kept raw for comparison.
type backtestJSON struct {
	Cases []struct {
		Agreement   string           `json:"agreement"`
		Stage       string           `json:"stage"`
		KnownAt     string           `json:"known_at"`
		Outcome     *string          `json:"outcome"`
		Censored    *bool            `json:"censored"`
		OutcomeDays *int             `json:"outcome_days"`
		From        string           `json:"from_stage"`
		FromDate    *string          `json:"from_date"`
		Horizon     string           `json:"horizon"`
		Winner      *string          `json:"winner"`
		Accord      *backtestModelJS `json:"accord"`
		Naive       *backtestModelJS `json:"naive"`
		Uniform     *backtestModelJS `json:"uniform"`
	} `json:"cases"`
	Summary map[string]map[string]json.RawMessage `json:"summary"`
	Paired  map[string]json.RawMessage            `json:"paired"`
}

type backtestModelJS struct {
	CRPSDays *float64        `json:"crps_days"`
	Brier    *float64        `json:"brier"`
	LogScore *float64        `json:"log_score"`
	Forecast json.RawMessage `json:"forecast"`
	Note     string          `json:"note"`
}

func parseBacktest(t *testing.T, out string) backtestJSON {
	t.Helper()
	var r backtestJSON
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("backtest json: %v\n%s", err, out)
	}
	return r
}

func summaryMean(t *testing.T, r backtestJSON, model, key string) float64 {
	t.Helper()
	var v float64
	if err := json.Unmarshal(r.Summary[model][key], &v); err != nil {
		t.Fatalf("summary.%s.%s: %v (%s)", model, key, err, r.Summary[model][key])
	}
	return v
}

// TestBacktestAcceptance: 'accord backtest --output json' prints the
// contract for the bundled cases, and accord's mean CRPS is lower than
// the naive baseline's.
func TestBacktestAcceptance(t *testing.T) {
	db := bundledDB(t)
	out, errs, code := cli(t, "", "--db", db, "backtest", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r := parseBacktest(t, out)
	if len(r.Cases) < 30 {
		t.Fatalf("%d cases, want at least 30", len(r.Cases))
	}
	// Every field of the contract is there, with the right type.
	var raw struct {
		Cases   []map[string]json.RawMessage `json:"cases"`
		Summary map[string]json.RawMessage   `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for i, c := range raw.Cases {
		for _, k := range []string{"agreement", "stage", "known_at", "outcome", "censored", "accord", "naive", "uniform"} {
			if _, ok := c[k]; !ok {
				t.Fatalf("case %d lacks %q", i, k)
			}
		}
		for _, m := range []string{"accord", "naive", "uniform"} {
			var scores map[string]json.RawMessage
			if err := json.Unmarshal(c[m], &scores); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"crps_days", "brier", "log_score"} {
				if _, ok := scores[k]; !ok {
					t.Fatalf("case %d %s lacks %q", i, m, k)
				}
			}
		}
	}
	if len(raw.Summary) != 3 {
		t.Errorf("summary has %d entries, want accord, naive and uniform", len(raw.Summary))
	}
	for _, m := range []string{"accord", "naive", "uniform"} {
		for _, k := range []string{"crps_days_mean", "brier_mean", "log_score_mean", "n"} {
			if _, ok := r.Summary[m][k]; !ok {
				t.Errorf("summary.%s lacks %q", m, k)
			}
		}
	}
	for _, c := range r.Cases {
		if c.Censored == nil || *c.Censored || c.Outcome == nil || c.Accord == nil || c.Accord.CRPSDays == nil {
			t.Errorf("bundled case %s %s %s: outcome %v censored %v", c.Agreement, c.Stage, c.KnownAt, c.Outcome, c.Censored)
		}
	}
	accord, naive := summaryMean(t, r, "accord", "crps_days_mean"), summaryMean(t, r, "naive", "crps_days_mean")
	t.Logf("bundled cases: mean CRPS accord %.1f, naive %.1f, uniform %.1f days; Brier %.3f / %.3f / %.3f; log %.3f / %.3f / %.3f",
		accord, naive, summaryMean(t, r, "uniform", "crps_days_mean"),
		summaryMean(t, r, "accord", "brier_mean"), summaryMean(t, r, "naive", "brier_mean"), summaryMean(t, r, "uniform", "brier_mean"),
		summaryMean(t, r, "accord", "log_score_mean"), summaryMean(t, r, "naive", "log_score_mean"), summaryMean(t, r, "uniform", "log_score_mean"))
	if accord >= naive {
		t.Errorf("accord's mean CRPS %.1f is not lower than naive's %.1f", accord, naive)
	}

	// Same bytes with one worker; the table names the winners and the
	// verdict; the chart is XML.
	out1, _, _ := cli(t, "", "--db", db, "backtest", "--output", "json", "--workers", "1")
	if out1 != out {
		t.Error("the output differs between --workers 1 and the default")
	}
	chart := filepath.Join(t.TempDir(), "rel.svg")
	tab, errs, code := cli(t, "", "--db", db, "backtest", "--chart", chart)
	if code != 0 || !strings.Contains(tab, "WINNER") || !strings.Contains(tab, "accord's mean CRPS is lower than naive's") || !strings.Contains(tab, "Calibration") {
		t.Errorf("table: exit %d %s\n%s", code, errs, tab)
	}
	b, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	checkXML(t, b)
	if !bytes.Contains(b, []byte("observed frequency")) {
		t.Error("the chart has no axis label")
	}
}

func checkXML(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not XML: %v", err)
		}
	}
}

// TestBacktestCasesFile: --cases on a log and cases that are not the
// bundled history's, on both backends.
func TestBacktestCasesFile(t *testing.T) {
	for name, newDB := range backends(t) {
		t.Run(name, func(t *testing.T) {
			db := newDB(t)
			if _, errs, code := cli(t, "", "--db", db, "import", "../../backtest/testdata/synthetic.jsonl"); code != 0 {
				t.Fatalf("import: exit %d: %s", code, errs)
			}
			cases := "../../backtest/testdata/synthetic_cases.csv"
			out, errs, code := cli(t, "", "--db", db, "backtest", "--cases", cases, "--runs", "300", "--output", "json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			r := parseBacktest(t, out)
			got := map[string]string{}
			for _, c := range r.Cases {
				o := "null"
				if c.Outcome != nil {
					o = *c.Outcome
				}
				got[c.Agreement+" "+c.Stage] = o
				if c.Agreement == "est-fin-pact" && (!*c.Censored || c.Accord.CRPSDays != nil || c.Accord.Brier == nil) {
					t.Errorf("est-fin-pact: censored %v, crps %v, brier %v", *c.Censored, c.Accord.CRPSDays, c.Accord.Brier)
				}
			}
			want := map[string]string{
				"dnk-swe-pact signed": "2012-06-01", "est-fin-pact signed": "null",
				"isl-nor-pact signed": "2014-01-10", "nor-swe-pact in_force": "2011-01-05",
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: outcome %s, want %s", k, got[k], v)
				}
			}
			if n := summaryMean(t, r, "naive", "n"); n != 3 {
				t.Errorf("naive n %g, want 3", n)
			}
			// The CSV output is itself a cases file.
			csvOut, errs, code := cli(t, "", "--db", db, "backtest", "--cases", cases, "--runs", "300", "--output", "csv")
			if code != 0 || !strings.HasPrefix(csvOut, "agreement,stage,known_at,outcome,censored") {
				t.Fatalf("csv: exit %d %s\n%s", code, errs, csvOut)
			}
			again := writeFile(t, "again.csv", csvOut)
			out2, errs, code := cli(t, "", "--db", db, "backtest", "--cases", again, "--runs", "300", "--output", "json")
			if code != 0 || out2 != out {
				t.Errorf("the CSV output as a cases file: exit %d %s", code, errs)
			}
		})
	}
}

func TestBacktestErrors(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "syn.db")
	if _, errs, code := cli(t, "", "--db", db, "import", "../../backtest/testdata/synthetic.jsonl"); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	bad := writeFile(t, "bad.csv", "agreement,stage,known_at\ndnk-swe-pact,signed,2012-03-01\ndnk-swe-pact,sighed,2012-03-01\nDNK,signed,2012-03-01\n")
	unknown := writeFile(t, "unknown.csv", "agreement,stage,known_at\ndnk-swe-pact,signed,2012-03-01\nnor-xyz-pact,signed,2012-03-01\n")
	early := writeFile(t, "early.csv", "agreement,stage,known_at\ndnk-swe-pact,signed,2011-03-01\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"bad rows", []string{"--cases", bad}, 2, []string{"bad.csv", "2 bad case(s)", "line 3: stage \"sighed\"", "line 4: agreement \"DNK\""}},
		{"missing file", []string{"--cases", filepath.Join(t.TempDir(), "none.csv")}, 4, []string{"--cases"}},
		{"unknown agreement", []string{"--cases", unknown}, 4, []string{"line 3: unknown agreement \"nor-xyz-pact\""}},
		{"not known yet", []string{"--cases", early}, 2, []string{"line 2", "no events known at 2011-03-01"}},
		{"bundled cases on another log", nil, 4, []string{"accord import --bundled", "unknown agreement"}},
		{"bad runs", []string{"--runs", "0"}, 2, []string{"--runs"}},
		{"bad model", []string{"--model", "oracle"}, 2, []string{"--model"}},
		{"bad recorded-by", []string{"--recorded-by", "2026-13-01"}, 2, []string{"recorded-by"}},
		{"bad output", []string{"--output", "xml"}, 2, []string{"--output"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := cli(t, "", append([]string{"--db", db, "backtest", "--runs", "50"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("error lacks %q: %s", w, errs)
				}
			}
		})
	}
}

// historyLines returns the bundled history as JSON objects, one per event.
func historyLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(string(dataset.HistoryJSONL()), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func jsonl(t *testing.T, evs []map[string]any) string {
	t.Helper()
	var b strings.Builder
	for _, e := range evs {
		l, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// knownDate is the date an event of the history counts as reported from
// (the first day of a partial date).
func knownDate(t *testing.T, e map[string]any) string {
	t.Helper()
	d, _ := e["reported_at"].(string)
	if d == "" {
		d = e["occurred_at"].(string)
	}
	switch len(d) {
	case 4:
		return d + "-01-01"
	case 7:
		return d + "-01"
	}
	return d
}

func lateEvent(typ, occurred, reported string, data map[string]any) map[string]any {
	return map[string]any{
		"type": typ, "occurred_at": occurred, "reported_at": reported, "data": data,
		"source":     map[string]any{"publication": "Leak test", "title": "an event the forecasts must not see", "date": reported},
		"confidence": "confirmed",
	}
}

// forecastParts returns, per case, everything the backtest says that was
// computed from the knowledge at known_at (the scores and outcomes come
// from the whole log and are left out).
func forecastParts(t *testing.T, out string) string {
	t.Helper()
	r := parseBacktest(t, out)
	var b strings.Builder
	for _, c := range r.Cases {
		b.WriteString(c.Agreement + " " + c.Stage + " " + c.KnownAt + " from " + c.From + " " + *c.FromDate + " horizon " + c.Horizon + "\n")
		for i, m := range []*backtestModelJS{c.Accord, c.Naive, c.Uniform} {
			b.WriteString("  " + []string{"accord", "naive", "uniform"}[i] + " " + string(m.Forecast) + " " + m.Note + "\n")
		}
	}
	return b.String()
}

// leakCases are cases with one known_at, so that "after known_at" means
// the same for all of them.
const leakKnownAt = "2022-10-13"

const leakCases = "agreement,stage,known_at\n" +
	"gbr-jpn-raa,signed," + leakKnownAt + "\n" +
	"gbr-jpn-raa,in_force," + leakKnownAt + "\n" +
	"aus-jpn-raa,in_force," + leakKnownAt + "\n" +
	"gbr-ita-jpn-gcap,signed," + leakKnownAt + "\n" +
	"jpn-nzl-isa,agreed_in_principle," + leakKnownAt + "\n"

// TestBacktestLeak is the leak test on both backends. Adding, removing or
// altering events reported after known_at never changes a forecast (the
// same seed gives byte-identical forecasts): the whole bundled history,
// the history cut down to what was reported by known_at, the history with
// events added that were reported later (among them a signature that
// happened before known_at but was revealed after it, a retraction and a
// correction), and the history with its later events altered. And with
// --recorded-by, events recorded after it change nothing either, even
// events reported long before known_at; without --recorded-by, the same
// events do change the forecasts (so the test can see a leak).
func TestBacktestLeak(t *testing.T) {
	hist := historyLines(t)
	var cut, altered []map[string]any
	added := append([]map[string]any{}, hist...)
	for _, e := range hist {
		late := knownDate(t, e) > leakKnownAt
		if !late {
			cut = append(cut, e)
			altered = append(altered, e)
			continue
		}
		// Altered: every later event six months later, lifecycle events of
		// the forecast agreements turned into abandonments.
		c := map[string]any{}
		for k, v := range e {
			c[k] = v
		}
		c["occurred_at"], c["reported_at"] = shiftMonths(t, e["occurred_at"].(string), 6), shiftMonths(t, knownDate(t, e), 6)
		if data, ok := e["data"].(map[string]any); ok && e["type"] == "agreement_signed" {
			c["type"] = "abandoned"
			d := map[string]any{}
			for _, k := range []string{"agreement", "parties", "kind", "title"} {
				if v, ok := data[k]; ok {
					d[k] = v
				}
			}
			c["data"] = d
		}
		altered = append(altered, c)
	}
	ids := eventIDs(t, hist)
	added = append(added,
		lateEvent("agreement_signed", "2022-10-01", "2022-10-20", map[string]any{"agreement": "gbr-jpn-raa"}),
		lateEvent("entered_into_force", "2022-10-14", "2022-10-14", map[string]any{"agreement": "aus-jpn-raa"}),
		lateEvent("talks_opened", "2022-06-01", "2023-01-05", map[string]any{"agreement": "jpn-phl-raa"}),
		lateEvent("expectation_reported", "2022-10-14", "2022-10-14", map[string]any{"agreement": "gbr-ita-jpn-gcap", "expected_type": "agreement_signed", "expected_by": "2022-11", "said_by": "officials"}),
		lateEvent("leadership_changed", "2022-09-01", "2022-11-01", map[string]any{"country": "JPN", "office": "prime_minister", "to": "Someone Else"}),
		lateEvent("event_retracted", "2022-10-15", "2022-10-15", map[string]any{"target": ids["gbr-jpn-raa agreed_in_principle"], "agreement": "gbr-jpn-raa"}),
		lateEvent("event_corrected", "2022-12-01", "2022-12-01", map[string]any{"target": ids["aus-jpn-raa agreement_signed"], "agreement": "aus-jpn-raa", "occurred_at": "2020-01-01"}),
		lateEvent("agreement_signed", "2022-03-01", "2022-12-01", map[string]any{"agreement": "nor-swe-raa", "parties": []string{"NOR", "SWE"}, "kind": "raa"}),
	)
	// Recorded late: reported before known_at, so they would matter.
	recordedLate := []map[string]any{
		lateEvent("expectation_reported", "2022-09-01", "2022-09-01", map[string]any{"agreement": "gbr-jpn-raa", "expected_type": "agreement_signed", "expected_by": "2022-11", "said_by": "officials"}),
		lateEvent("talks_stalled", "2022-08-01", "2022-08-01", map[string]any{"agreement": "jpn-nzl-isa"}),
		lateEvent("event_corrected", "2022-09-15", "2022-09-15", map[string]any{"target": ids["aus-jpn-raa agreement_signed"], "agreement": "aus-jpn-raa", "occurred_at": "2020-01-01"}),
		lateEvent("event_retracted", "2022-09-15", "2022-09-15", map[string]any{"target": ids["gbr-jpn-raa agreed_in_principle"], "agreement": "gbr-jpn-raa"}),
		lateEvent("agreement_signed", "2021-03-01", "2021-03-01", map[string]any{"agreement": "nor-swe-raa", "parties": []string{"NOR", "SWE"}, "kind": "raa"}),
	}
	cases := writeFile(t, "leak.csv", leakCases)
	args := []string{"backtest", "--cases", cases, "--runs", "400", "--seed", "11", "--output", "json"}

	for name, newDB := range backends(t) {
		t.Run(name, func(t *testing.T) {
			run := func(db string, extra ...string) string {
				t.Helper()
				out, errs, code := cli(t, "", append(append([]string{"--db", db}, args...), extra...)...)
				if code != 0 {
					t.Fatalf("backtest: exit %d: %s", code, errs)
				}
				return forecastParts(t, out)
			}
			load := func(evs []map[string]any) string {
				t.Helper()
				db := newDB(t)
				if _, errs, code := cli(t, "", "--db", db, "import", writeFile(t, "h.jsonl", jsonl(t, evs))); code != 0 {
					t.Fatalf("import: exit %d: %s", code, errs)
				}
				return db
			}
			full := load(hist)
			want := run(full)
			for variant, evs := range map[string][]map[string]any{"cut at known_at": cut, "added": added, "altered": altered} {
				if got := run(load(evs)); got != want {
					t.Errorf("%s: events reported after %s changed the forecasts:\nwant\n%s\ngot\n%s", variant, leakKnownAt, want, got)
				}
			}

			// Transaction time: recorded after --recorded-by.
			rb := lastRecordedAt(t, full)
			time.Sleep(20 * time.Millisecond)
			if _, errs, code := cli(t, "", "--db", full, "import", writeFile(t, "late.jsonl", jsonl(t, recordedLate))); code != 0 {
				t.Fatalf("import late: exit %d: %s", code, errs)
			}
			if got := run(full, "--recorded-by", rb); got != want {
				t.Errorf("events recorded after %s changed the forecasts:\nwant\n%s\ngot\n%s", rb, want, got)
			}
			if got := run(full); got == want {
				t.Error("without --recorded-by the late-recorded events changed nothing: the test could not see a leak")
			}
		})
	}
}

func shiftMonths(t *testing.T, d string, months int) string {
	t.Helper()
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if len(d) == len(layout) {
			v, err := time.Parse(layout, d)
			if err != nil {
				t.Fatal(err)
			}
			return v.AddDate(0, months, 0).Format(layout)
		}
	}
	t.Fatalf("date %q", d)
	return ""
}

// eventIDs returns the ids the log gives some events of the history, by
// "agreement type".
func eventIDs(t *testing.T, hist []map[string]any) map[string]string {
	t.Helper()
	db := "sqlite:" + filepath.Join(t.TempDir(), "ids.db")
	if _, errs, code := cli(t, "", "--db", db, "import", writeFile(t, "h.jsonl", jsonl(t, hist))); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	out, errs, code := cli(t, "", "--db", db, "log", "--output", "json")
	if code != 0 {
		t.Fatalf("log: %s", errs)
	}
	var evs []struct {
		ID   string         `json:"id"`
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &evs); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, e := range evs {
		if a, ok := e.Data["agreement"].(string); ok {
			ids[a+" "+e.Type] = e.ID
		}
	}
	return ids
}

// lastRecordedAt returns the latest recorded_at of the store's events.
func lastRecordedAt(t *testing.T, db string) string {
	t.Helper()
	out, errs, code := cli(t, "", "--db", db, "log", "--output", "json")
	if code != 0 {
		t.Fatalf("log: %s", errs)
	}
	var evs []struct {
		RecordedAt time.Time `json:"recorded_at"`
	}
	if err := json.Unmarshal([]byte(out), &evs); err != nil {
		t.Fatal(err)
	}
	var last time.Time
	for _, e := range evs {
		if e.RecordedAt.After(last) {
			last = e.RecordedAt
		}
	}
	if last.IsZero() {
		t.Fatal("no recorded_at in the log output")
	}
	return last.UTC().Format(time.RFC3339Nano)
}
