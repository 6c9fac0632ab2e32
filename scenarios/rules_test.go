package scenarios

import (
	"errors"
	"strings"
	"testing"

	"github.com/expr-lang/expr/vm"

	"github.com/accord-dev/accord/events"
)

func TestRuleCompileErrors(t *testing.T) {
	d, _ := Fixed(10)
	cases := []struct {
		name      string
		r         Rule
		line, col int
		want      string
	}{
		{"syntax", Rule{Name: "r", When: `event.type ==`, Delay: d}, 1, 13, "unexpected token EOF"},
		{"unknown field on line 2", Rule{Name: "r", When: "event.type == \"x\" &&\n  agreement.stagee == \"signed\"", Delay: d}, 2, 13, "agreement has no field stagee"},
		{"not bool", Rule{Name: "r", When: `agreement.days_in_stage + 1`, Delay: d}, 0, 0, "expected bool"},
		{"bad name", Rule{Name: "Bad Name", When: `true`, Delay: d}, 0, 0, "not a rule name"},
		{"no effect", Rule{Name: "r", When: `true`}, 0, 0, "give a delay"},
		{"both effects", Rule{Name: "r", When: `true`, Delay: d, Weight: 0.5}, 0, 0, "not both"},
		{"weight", Rule{Name: "r", When: `true`, Weight: 2}, 0, 0, "not between 0 and 1"},
		{"too long", Rule{Name: "r", When: "true" + strings.Repeat(" && true", 300), Delay: d}, 0, 0, "limit"},
		{"too many nodes", Rule{Name: "r", When: "1" + strings.Repeat(" + 1", 450) + " > 0", Delay: d}, 1, -1, "exceeds maximum allowed nodes"},
		{"scope", Rule{Name: "r", When: `true`, Delay: d, Scope: "sometimes"}, 0, 0, "scope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.r.Compile()
			var re *RuleError
			if !errors.As(err, &re) || !errors.Is(err, events.ErrInvalid) {
				t.Fatalf("%T %v", err, err)
			}
			if re.Line != tc.line || tc.col >= 0 && re.Column != tc.col {
				t.Errorf("at %d:%d, want %d:%d (%v)", re.Line, re.Column, tc.line, tc.col, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestRuleEvalAndDependencies(t *testing.T) {
	d, _ := Fixed(10)
	cases := []struct {
		when               string
		dynEvent, dynAgree bool
		fires              bool
	}{
		{`event.type == "leadership_changed" && event.country in agreement.parties && agreement.stage in ["negotiating", "agreed_in_principle"]`, false, false, true},
		{`event.date >= "2022-12-01"`, true, false, true},
		{`agreement.days_in_stage > 300`, false, true, false},
		{`agreement.since < now`, false, true, true},
		{`let a = agreement; a.stage == "agreed_in_principle"`, false, true, true},
		{`event.hypothetical && !event.stochastic`, false, false, true},
	}
	env := &RuleEnv{
		Now:       "2022-11-30",
		Event:     RuleEvent{Type: "leadership_changed", Country: "GBR", Date: "2022-12-15", Hypothetical: true},
		Agreement: RuleAgreement{ID: "gbr-jpn-raa", Parties: []string{"GBR", "JPN"}, Stage: "agreed_in_principle", Since: "2022-05-05", DaysInStage: 224},
	}
	var m vm.VM
	for _, tc := range cases {
		r := &Rule{Name: "r", When: tc.when, Delay: d}
		if err := r.Compile(); err != nil {
			t.Fatalf("%s: %v", tc.when, err)
		}
		if r.dynEvent != tc.dynEvent || r.dynAgree != tc.dynAgree {
			t.Errorf("%s: dependencies %v %v, want %v %v", tc.when, r.dynEvent, r.dynAgree, tc.dynEvent, tc.dynAgree)
		}
		got, err := r.Eval(&m, env)
		if err != nil || got != tc.fires {
			t.Errorf("%s: %v %v, want %v", tc.when, got, err, tc.fires)
		}
	}
}

// TestRuleBudget: expr has no loops, but a rule can still try to build
// huge arrays; the memory budget stops it with an error.
func TestRuleBudget(t *testing.T) {
	d, _ := Fixed(1)
	for _, when := range []string{
		`len(1..100000000) > 0`,
		`reduce(1..100000, reduce(1..100000, #acc + 1, 0) + #acc, 0) > 0`,
	} {
		r := &Rule{Name: "greedy", When: when, Delay: d}
		if err := r.Compile(); err != nil {
			t.Fatal(err)
		}
		var m vm.VM
		if _, err := r.Eval(&m, &RuleEnv{}); err == nil || !strings.Contains(err.Error(), "memory budget") {
			t.Errorf("%s: %v", when, err)
		}
	}
}

func TestDefaultRules(t *testing.T) {
	rs := DefaultRules()
	m := DefaultModel()
	if len(rs) != 3 || len(m.Rules) != 3 || m.Validate() != nil {
		t.Fatalf("%d rules, %v", len(rs), m.Validate())
	}
	for _, r := range rs {
		if !r.Compiled() {
			t.Errorf("%s is not compiled", r.Name)
		}
	}
	dup := Model{Rules: []*Rule{rs[0], rs[0]}}
	if err := dup.Validate(); err == nil {
		t.Error("a duplicated rule is accepted")
	}
}
