package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// bundledDB returns a fresh SQLite store holding the bundled history.
func bundledDB(t *testing.T) string {
	t.Helper()
	db := "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	if _, errs, code := cli(t, "", "--db", db, "import", "--bundled"); code != 0 {
		t.Fatalf("import --bundled: exit %d: %s", code, errs)
	}
	return db
}

// TestForecastAcceptance: the acceptance command prints the contract, and
// the same bytes with 1 and 8 workers.
func TestForecastAcceptance(t *testing.T) {
	db := bundledDB(t)
	args := []string{"--db", db, "forecast", "--agreement", "gbr-jpn-raa", "--stage", "signed", "--known-at", "2022-11-30", "--runs", "20000", "--seed", "1", "--output", "json"}
	var outs []string
	for _, w := range []string{"1", "8"} {
		out, errs, code := cli(t, "", append(args, "--workers", w)...)
		if code != 0 {
			t.Fatalf("workers %s: exit %d: %s", w, code, errs)
		}
		outs = append(outs, out)
	}
	if outs[0] != outs[1] {
		t.Fatal("the output differs between --workers 1 and --workers 8")
	}
	var f struct {
		Agreement string             `json:"agreement"`
		Stage     string             `json:"stage"`
		KnownAt   string             `json:"known_at"`
		Runs      int                `json:"runs"`
		Seed      uint64             `json:"seed"`
		Reached   *bool              `json:"reached"`
		ReachedOn *string            `json:"reached_on"`
		PBy       map[string]float64 `json:"p_by"`
		Quantiles map[string]*string `json:"quantiles"`
		Mean      *string            `json:"mean"`
	}
	if err := json.Unmarshal([]byte(outs[0]), &f); err != nil {
		t.Fatal(err)
	}
	if f.Agreement != "gbr-jpn-raa" || f.Stage != "signed" || f.KnownAt != "2022-11-30" || f.Runs != 20000 || f.Seed != 1 {
		t.Errorf("header: %+v", f)
	}
	if f.Reached == nil || *f.Reached || f.ReachedOn != nil {
		t.Errorf("reached %v on %v", f.Reached, f.ReachedOn)
	}
	if len(f.Quantiles) != 19 || f.Quantiles["0.05"] == nil || f.Quantiles["0.95"] == nil || f.Mean == nil {
		t.Errorf("quantiles %v mean %v", f.Quantiles, f.Mean)
	}
	if len(f.PBy) < 12 || f.PBy["2022-12-31"] >= f.PBy["2023-12-31"] {
		t.Errorf("p_by %v", f.PBy)
	}
	for _, key := range []string{`"p_by"`, `"quantiles"`, `"mean"`, `"reached_on": null`} {
		if !strings.Contains(outs[0], key) {
			t.Errorf("output lacks %s", key)
		}
	}
	// Known after the signature: reached, with its date.
	out, errs, code := cli(t, "", "--db", db, "forecast", "--agreement", "gbr-jpn-raa", "--stage", "signed", "--known-at", "2023-02-01", "--runs", "100", "--output", "json")
	if code != 0 || !strings.Contains(out, `"reached": true`) || !strings.Contains(out, `"reached_on": "2023-01-11"`) {
		t.Errorf("reached: exit %d %s %s", code, errs, out)
	}
	// The table form.
	out, errs, code = cli(t, "", "--db", db, "forecast", "--agreement", "gbr-jpn-raa", "--stage", "in_force", "--known-at", "2022-11-30", "--runs", "1000")
	if code != 0 || !strings.Contains(out, "median") || !strings.Contains(out, "agreed_in_principle") {
		t.Errorf("table: exit %d %s %s", code, errs, out)
	}
}

func TestForecastErrors(t *testing.T) {
	db := bundledDB(t)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--agreement", "gbr-jpn-raa", "--stage", "ratified"}, 2, "--stage"},
		{[]string{"--stage", "signed"}, 2, "--agreement"},
		{[]string{"--agreement", "gbr-jpn-raa", "--stage", "signed", "--known-at", "2022-13-01"}, 2, "known-at"},
		{[]string{"--agreement", "gbr-jpn-raa", "--stage", "signed", "--runs", "-5"}, 2, "--runs"},
		{[]string{"--agreement", "gbr-jpn-raa", "--stage", "signed", "--workers", "0"}, 2, "--workers"},
		{[]string{"--agreement", "gbr-kor-raa", "--stage", "signed", "--known-at", "2022-11-30"}, 4, "gbr-kor-raa"},
		{[]string{"--agreement", "jpn-phl-raa", "--stage", "signed", "--known-at", "2020-01-01"}, 4, "no events known"},
	}
	for _, tc := range cases {
		_, errs, code := cli(t, "", append([]string{"--db", db, "forecast"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

// TestForecastEmptyLog: a store without agreements falls back to the
// bundled history, and says so.
func TestForecastEmptyLog(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "empty.db")
	out, errs, code := cli(t, "", "--db", db, "forecast", "--agreement", "gbr-jpn-raa", "--stage", "signed", "--known-at", "2022-11-30", "--runs", "500", "--output", "json")
	if code != 0 || !strings.Contains(errs, "bundled history") || !strings.Contains(out, `"agreement": "gbr-jpn-raa"`) {
		t.Errorf("exit %d: %s %s", code, errs, out)
	}
}
