package main

import (
	"encoding/json"
	"testing"
)

func jsonOf(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("bad json: %v\n%s", err, out)
	}
}

func TestQueryAcceptance(t *testing.T) {
	outputs := map[string]string{}
	for name, newDB := range backends(t) {
		t.Run(name, func(t *testing.T) {
			db := newDB(t)
			if _, errs, code := cli(t, "", "--db", db, "import", "--bundled"); code != 0 {
				t.Fatalf("import: %s", errs)
			}
			stage := func(args ...string) string {
				t.Helper()
				out, errs, code := cli(t, "", append([]string{"--db", db, "agreement", "gbr-jpn-raa", "--output", "json"}, args...)...)
				if code != 0 {
					t.Fatalf("agreement %v: exit %d: %s", args, code, errs)
				}
				var st struct {
					ID          string            `json:"id"`
					Parties     []string          `json:"parties"`
					Stage       string            `json:"stage"`
					Since       string            `json:"since"`
					Transitions []json.RawMessage `json:"transitions"`
					Approvals   []json.RawMessage `json:"approvals"`
				}
				jsonOf(t, out, &st)
				if st.ID != "gbr-jpn-raa" || len(st.Parties) != 2 || st.Since == "" || len(st.Transitions) == 0 || len(st.Approvals) != 2 {
					t.Errorf("agreement %v lacks contract fields: %s", args, out)
				}
				return st.Stage
			}
			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"--as-of", "2022-11-30"}, "agreed_in_principle"},
				{[]string{"--as-of", "2023-02-01"}, "signed"},
				{nil, "in_force"},
				{[]string{"--as-of", "2023-02-01", "--known-at", "2022-11-30"}, "agreed_in_principle"},
			} {
				if got := stage(tc.args...); got != tc.want {
					t.Errorf("agreement gbr-jpn-raa %v: stage %s, want %s", tc.args, got, tc.want)
				}
			}

			out, errs, code := cli(t, "", "--db", db, "leaders", "GBR", "--as-of", "2022-10-30", "--output", "json")
			if code != 0 {
				t.Fatal(errs)
			}
			var offices []struct {
				Office         string `json:"office"`
				Holder         string `json:"holder"`
				Since          string `json:"since"`
				HoldersLast60d int    `json:"holders_last_60d"`
			}
			jsonOf(t, out, &offices)
			found := false
			for _, o := range offices {
				if o.Office == "prime_minister" {
					found = true
					if o.Holder != "Rishi Sunak" || o.HoldersLast60d != 3 || o.Since != "2022-10-25" {
						t.Errorf("UK prime minister on 2022-10-30: %+v", o)
					}
				}
			}
			if !found {
				t.Errorf("no prime_minister office: %s", out)
			}

			out, errs, code = cli(t, "", "--db", db, "network", "--as-of", "2022-11-30", "--output", "json")
			if code != 0 {
				t.Fatal(errs)
			}
			var net struct {
				Nodes []struct {
					Country     string  `json:"country"`
					Degree      int     `json:"degree"`
					Betweenness float64 `json:"betweenness"`
				} `json:"nodes"`
				Edges []json.RawMessage `json:"edges"`
			}
			jsonOf(t, out, &net)
			top := false
			for i := 0; i < 3 && i < len(net.Nodes); i++ {
				top = top || net.Nodes[i].Country == "JPN"
			}
			if !top || len(net.Edges) == 0 {
				t.Errorf("JPN not among the first three nodes: %+v", net.Nodes)
			}

			out, errs, code = cli(t, "", "--db", db, "agreements", "--output", "json")
			if code != 0 {
				t.Fatal(errs)
			}
			outputs[name] = out

			for _, args := range [][]string{{"timeline", "gbr-jpn-raa"}, {"timeline", "GBR"}, {"replay"}, {"status", "--output", "json"}} {
				if _, errs, code := cli(t, "", append([]string{"--db", db}, args...)...); code != 0 {
					t.Errorf("%v: exit %d: %s", args, code, errs)
				}
			}
			if _, _, code := cli(t, "", "--db", db, "agreement", "xxx-yyy-raa"); code != 4 {
				t.Errorf("unknown agreement: exit %d, want 4", code)
			}
			if _, _, code := cli(t, "", "--db", db, "leaders", "Britain"); code != 2 {
				t.Errorf("bad country: exit %d, want 2", code)
			}
		})
	}
	if outputs["sqlite"] != "" && outputs["postgres"] != "" && outputs["sqlite"] != outputs["postgres"] {
		t.Errorf("accord agreements --output json differs between SQLite and PostgreSQL")
	}
}
