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
)

const ukFile = "../../examples/uk-turnover.yaml"

type reportJSON struct {
	Baseline struct {
		Forecasts []struct {
			Agreement string             `json:"agreement"`
			Stage     string             `json:"stage"`
			Quantiles map[string]*string `json:"quantiles"`
			PBy       map[string]float64 `json:"p_by"`
		} `json:"forecasts"`
		States []struct {
			Agreement string `json:"agreement"`
			Stage     string `json:"stage"`
		} `json:"states"`
	} `json:"baseline"`
	Scenario struct {
		Forecasts []struct {
			Agreement string             `json:"agreement"`
			Stage     string             `json:"stage"`
			Quantiles map[string]*string `json:"quantiles"`
			PBy       map[string]float64 `json:"p_by"`
		} `json:"forecasts"`
	} `json:"scenario"`
	Delta struct {
		Explanation string `json:"explanation"`
		Forecasts   []struct {
			MedianShiftDays *int `json:"median_shift_days"`
		} `json:"forecasts"`
	} `json:"delta"`
}

// TestScenarioRunAcceptance: the scenario's median signature of
// gbr-jpn-raa is later than the baseline's, and the delta names the cause.
func TestScenarioRunAcceptance(t *testing.T) {
	db := bundledDB(t)
	chart := filepath.Join(t.TempDir(), "uk.svg")
	out, errs, code := cli(t, "", "--db", db, "scenario", "run", ukFile, "--output", "json", "--chart", chart)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r reportJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	b, s := r.Baseline.Forecasts[0], r.Scenario.Forecasts[0]
	if b.Agreement != "gbr-jpn-raa" || b.Stage != "signed" || b.Quantiles["0.50"] == nil || s.Quantiles["0.50"] == nil {
		t.Fatalf("forecasts: %+v %+v", b, s)
	}
	if *s.Quantiles["0.50"] <= *b.Quantiles["0.50"] {
		t.Errorf("median signature: scenario %s, baseline %s", *s.Quantiles["0.50"], *b.Quantiles["0.50"])
	}
	if len(b.PBy) == 0 || len(s.PBy) == 0 {
		t.Error("no p_by")
	}
	for _, want := range []string{"uk_leadership_delay", "leadership_changed GBR 2022-12-15"} {
		if !strings.Contains(r.Delta.Explanation, want) {
			t.Errorf("the delta does not name %q: %s", want, r.Delta.Explanation)
		}
	}
	svg, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("the chart is not XML: %v", err)
		}
	}
	// The same with one worker, byte for byte; diff prints the delta.
	out1, _, _ := cli(t, "", "--db", db, "scenario", "run", ukFile, "--output", "json", "--workers", "1")
	if out1 != out {
		t.Error("scenario run differs between workers")
	}
	out, errs, code = cli(t, "", "--db", db, "scenario", "diff", ukFile)
	if code != 0 || !strings.Contains(out, "MEDIAN SHIFT") || !strings.Contains(out, "uk_leadership_delay") {
		t.Errorf("diff: exit %d: %s %s", code, errs, out)
	}
}

// TestScenarioStateKeepsLog: a branch that removes the signature shows the
// agreement agreed in principle; 'accord agreement' still shows the real
// state.
func TestScenarioStateKeepsLog(t *testing.T) {
	db := bundledDB(t)
	out, errs, code := cli(t, "", "--db", db, "scenario", "state", "../../examples/no-signature.yaml", "--agreement", "gbr-jpn-raa", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var st struct {
		Baseline struct{ Stage string } `json:"baseline"`
		Scenario struct{ Stage string } `json:"scenario"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if st.Scenario.Stage != "agreed_in_principle" || st.Baseline.Stage != "signed" {
		t.Errorf("branch %q, baseline %q", st.Scenario.Stage, st.Baseline.Stage)
	}
	out, _, code = cli(t, "", "--db", db, "agreement", "gbr-jpn-raa", "--output", "json")
	var real struct{ Stage string }
	if code != 0 || json.Unmarshal([]byte(out), &real) != nil || real.Stage != "in_force" {
		t.Errorf("the log's state: exit %d %q", code, real.Stage)
	}
	if n := countEvents(t, db); n != 153 {
		t.Errorf("the log has %d events, want 153", n)
	}
}

// TestScenarioSaveAndRerun: saved scenarios are versioned and give the
// same result later, even after the log has learned more.
func TestScenarioSaveAndRerun(t *testing.T) {
	db := bundledDB(t)
	file := writeFile(t, "uk.yaml", mustRead(t, ukFile))
	out, errs, code := cli(t, "", "--db", db, "scenario", "save", file)
	if code != 0 || !strings.Contains(out, "version 1") {
		t.Fatalf("save: exit %d: %s %s", code, out, errs)
	}
	if out, _, code := cli(t, "", "--db", db, "scenario", "save", file); code != 0 || !strings.Contains(out, "unchanged") {
		t.Errorf("save again: exit %d: %s", code, out)
	}
	first, errs, code := cli(t, "", "--db", db, "scenario", "run", "saved:uk-turnover", "--output", "json", "--runs", "2000")
	if code != 0 {
		t.Fatalf("run saved: exit %d: %s", code, errs)
	}
	// The log learns, later, of an earlier report that moves the forecast.
	time.Sleep(20 * time.Millisecond)
	late := `{"type":"agreed_in_principle","occurred_at":"2022-01-10","data":{"agreement":"can-gbr-raa","parties":["CAN","GBR"],"kind":"raa"},"source":{"publication":"Test","title":"late","date":"2022-01-10"},"confidence":"confirmed"}
{"type":"agreement_signed","occurred_at":"2022-03-10","data":{"agreement":"can-gbr-raa"},"source":{"publication":"Test","title":"late","date":"2022-03-10"},"confidence":"confirmed"}`
	if _, errs, code := cli(t, "", "--db", db, "import", writeFile(t, "late.jsonl", late+"\n")); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	now, _, _ := cli(t, "", "--db", db, "scenario", "run", file, "--output", "json", "--runs", "2000")
	again, errs, code := cli(t, "", "--db", db, "scenario", "run", "saved:uk-turnover@1", "--output", "json", "--runs", "2000")
	if code != 0 {
		t.Fatalf("run saved@1: exit %d: %s", code, errs)
	}
	if again != first {
		t.Error("the saved scenario gives another result after the log grew")
	}
	if now == first {
		t.Error("the late report did not change the file's result (the test proves nothing)")
	}
	// A changed file is a new version; list and show.
	changed := strings.Replace(mustRead(t, ukFile), "seed: 42", "seed: 43", 1)
	if out, _, code := cli(t, "", "--db", db, "scenario", "save", writeFile(t, "uk2.yaml", changed)); code != 0 || !strings.Contains(out, "version 2") {
		t.Errorf("save v2: %s", out)
	}
	out, _, code = cli(t, "", "--db", db, "scenario", "list", "--output", "json")
	var list []struct {
		Name     string `json:"name"`
		Versions int    `json:"versions"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].Name != "uk-turnover" || list[0].Versions != 2 {
		t.Errorf("list: %s", out)
	}
	out, _, code = cli(t, "", "--db", db, "scenario", "show", "uk-turnover", "--version", "1")
	if code != 0 || !strings.Contains(out, "seed: 42") || !strings.Contains(out, "version 1 of 2") {
		t.Errorf("show: %s", out)
	}
	if _, errs, code := cli(t, "", "--db", db, "scenario", "show", "nope"); code != 4 {
		t.Errorf("show unknown: exit %d %s", code, errs)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestScenarioErrors(t *testing.T) {
	db := bundledDB(t)
	bad := writeFile(t, "bad.yaml", "name: bad\nbase: {known_at: 2022-11-30}\nforecasts:\n  - {agreement: gbr-jpn-raa, stage: signed}\nrules:\n  - name: r\n    when: event.contry == \"GBR\"\n    delay: {fixed: {days: 3}}\n")
	_, errs, code := cli(t, "", "--db", db, "scenario", "run", bad)
	if code != 2 || !strings.Contains(errs, "bad.yaml:7:") || !strings.Contains(errs, "contry") {
		t.Errorf("bad rule: exit %d: %s", code, errs)
	}
	_, errs, code = cli(t, "", "--db", db, "scenario", "check", "../../scenarios/testdata/bad/shift-unknown-id.yaml")
	if code != 2 || !strings.Contains(errs, "shift-unknown-id.yaml:7:") {
		t.Errorf("check: exit %d: %s", code, errs)
	}
	if _, _, code := cli(t, "", "--db", db, "scenario", "run", "no-such-file.yaml"); code != 4 {
		t.Errorf("missing file: exit %d", code)
	}
	if _, _, code := cli(t, "", "--db", db, "scenario", "run"); code != 2 {
		t.Errorf("no argument: exit %d", code)
	}
	if out, _, code := cli(t, "", "--db", db, "scenario", "check", "example:philippines"); code != 0 || !strings.Contains(out, "valid") {
		t.Errorf("check example: exit %d %s", code, out)
	}
}

func TestDemoHeadline(t *testing.T) {
	out, errs, code := cli(t, "", "demo")
	if code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errs)
	}
	for _, want := range []string{"uk-turnover", "gbr-jpn-raa signed:", "instead of", "days)", "uk_leadership_delay"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo lacks %q:\n%s", want, out)
		}
	}
}
