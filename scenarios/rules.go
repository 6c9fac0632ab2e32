package scenarios

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/accord-dev/accord/events"
)

// Scope says which side of a comparison a rule or hazard applies to.
type Scope string

// The scopes. The zero Scope means ScopeBoth.
const (
	ScopeBoth     Scope = "both"
	ScopeScenario Scope = "scenario"
	ScopeBaseline Scope = "baseline"
)

// applies reports whether something of scope s applies to side.
func (s Scope) applies(side Scope) bool {
	return s == "" || s == ScopeBoth || side == "" || s == side
}

// Valid reports whether s is a known scope (or empty).
func (s Scope) Valid() bool {
	return s == "" || s == ScopeBoth || s == ScopeScenario || s == ScopeBaseline
}

// RuleEnv is what a rule's expression sees: `event`, `agreement` and `now`.
// Dates are "YYYY-MM-DD" strings, which compare in date order.
type RuleEnv struct {
	// Event is `event`; Agreement is `agreement`.
	Event     RuleEvent     `expr:"event"`
	Agreement RuleAgreement `expr:"agreement"`
	// Now is the cut's date.
	Now string `expr:"now"`
}

// RuleEvent is the event a rule is evaluated on.
type RuleEvent struct {
	// ID is the event id; Type its type ("leadership_changed").
	ID   string `expr:"id"`
	Type string `expr:"type"`
	// Date is the event's OccurredAt (its first day).
	Date string `expr:"date"`
	// Country and Office are set for leadership changes and other
	// country events; Agreement for agreement events.
	Country   string `expr:"country"`
	Office    string `expr:"office"`
	Agreement string `expr:"agreement"`
	// ExpectedType, ExpectedStage and ExpectedBy are set for
	// expectation_reported: the lifecycle type, the milestone it reaches
	// ("signed"), and the expected date as given ("2023-01").
	ExpectedType  string `expr:"expected_type"`
	ExpectedStage string `expr:"expected_stage"`
	ExpectedBy    string `expr:"expected_by"`
	SaidBy        string `expr:"said_by"`
	// Confidence is confirmed, reported or rumoured.
	Confidence string `expr:"confidence"`
	// Hypothetical is true for events a scenario edit added; Stochastic for
	// leadership changes drawn from a hazard.
	Hypothetical bool `expr:"hypothetical"`
	Stochastic   bool `expr:"stochastic"`
}

// RuleAgreement is the agreement a rule is evaluated for.
type RuleAgreement struct {
	// ID, Kind and Parties (alpha-3 codes) identify the agreement.
	ID      string   `expr:"id"`
	Kind    string   `expr:"kind"`
	Parties []string `expr:"parties"`
	// Stage is the milestone the agreement is at when the event happens
	// (in the run): proposed, negotiating, agreed_in_principle, signed,
	// approved or in_force.
	Stage string `expr:"stage"`
	// Since is the date that milestone was reached, DaysInStage the days
	// from then to the event. Rules that use them are evaluated in every
	// run rather than once.
	Since       string `expr:"since"`
	DaysInStage int    `expr:"days_in_stage"`
}

// Rule is an effect of events written as an expression. Exactly one of
// Delay and Weight is set:
//
//   - a delay rule (Delay) fires on a future event while the agreement is
//     in a leg, and pushes the end of the leg back by a draw from Delay;
//   - an expectation rule (Weight in (0, 1]) fires on the agreement's
//     latest expectation at the cut and, with probability Weight, puts the
//     expected milestone within the expected period.
type Rule struct {
	// Name identifies the rule in explanations: lower case, digits and _.
	Name string
	// Description is free text.
	Description string
	// When is the condition, an expr-lang expression of type bool over
	// RuleEnv.
	When string
	// Delay is a delay rule's distribution (days).
	Delay Dist
	// Weight is an expectation rule's probability.
	Weight float64
	// Scope says whether the rule applies to the baseline, the scenario or
	// both (the default).
	Scope Scope

	prog     *vm.Program
	dynEvent bool // uses event.date, or the whole event
	dynAgree bool // uses agreement.since or agreement.days_in_stage, or the whole agreement
}

// Limits on rules: expressions are small and cheap to evaluate (expr has
// no loops, but ranges and builtins can build large arrays).
const (
	// MaxRuleLength is the longest rule expression accepted, in bytes.
	MaxRuleLength = 2000
	// MaxRuleNodes bounds the size of a rule's syntax tree.
	MaxRuleNodes = 400
	// RuleMemoryBudget bounds the memory one evaluation may allocate (in
	// expr's units, roughly array elements).
	RuleMemoryBudget = 100_000
)

var ruleNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// envNames puts the rule language's names for the environment's Go types
// into expr's messages.
var envNames = strings.NewReplacer(
	"type scenarios.RuleEvent", "event", "type scenarios.RuleAgreement", "agreement",
	"scenarios.RuleEvent", "event", "scenarios.RuleAgreement", "agreement", "scenarios.RuleEnv", "the rule environment",
)

// RuleError is a rule that does not compile or is malformed. Line and
// Column are 1-based positions in the expression (0 when the problem is not
// at a place in it). It wraps events.ErrInvalid.
type RuleError struct {
	// Rule is the rule's name.
	Rule string
	// Line and Column are 1-based positions in the expression, 0 when
	// the problem is not at a place in it.
	Line, Column int
	// Problem says what is wrong.
	Problem string
}

// Error reads "rule x: line 1, column 12: unexpected token EOF".
func (e *RuleError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("rule %s: line %d, column %d: %s", e.Rule, e.Line, e.Column, e.Problem)
	}
	return fmt.Sprintf("rule %s: %s", e.Rule, e.Problem)
}

// Unwrap makes errors.Is(err, events.ErrInvalid) true.
func (e *RuleError) Unwrap() error { return events.ErrInvalid }

// Compile checks r and compiles its expression; it must be called (once)
// before r is used in a Model. Errors are *RuleError.
func (r *Rule) Compile() error {
	bad := func(format string, args ...any) error {
		return &RuleError{Rule: r.Name, Problem: fmt.Sprintf(format, args...)}
	}
	switch {
	case !ruleNameRe.MatchString(r.Name):
		return bad("%q is not a rule name (lower-case letters, digits and _, starting with a letter)", r.Name)
	case r.When == "":
		return bad("when is required")
	case len(r.When) > MaxRuleLength:
		return bad("the expression is %d bytes; the limit is %d", len(r.When), MaxRuleLength)
	case r.Delay == nil && r.Weight == 0:
		return bad("give a delay (a distribution) or an expectation weight")
	case r.Delay != nil && r.Weight != 0:
		return bad("give a delay or an expectation weight, not both")
	case r.Weight < 0 || r.Weight > 1:
		return bad("the expectation weight %g is not between 0 and 1", r.Weight)
	case !r.Scope.Valid():
		return bad("scope %q is not both, scenario or baseline", r.Scope)
	}
	prog, err := expr.Compile(r.When, expr.Env(RuleEnv{}), expr.AsBool(), expr.MaxNodes(MaxRuleNodes))
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return &RuleError{Rule: r.Name, Line: fe.Line, Column: fe.Column + 1, Problem: envNames.Replace(fe.Message)}
		}
		return bad("%v", err)
	}
	r.prog = prog
	tree, err := parser.Parse(r.When)
	if err != nil {
		return bad("%v", err)
	}
	r.dynEvent, r.dynAgree = dependencies(tree.Node)
	return nil
}

// Compiled reports whether Compile has succeeded.
func (r *Rule) Compiled() bool { return r.prog != nil }

// IsDelay reports whether r is a delay rule.
func (r *Rule) IsDelay() bool { return r.Delay != nil }

// Eval evaluates the compiled rule on env with the given VM (a VM must not
// be shared between goroutines). The memory an evaluation may allocate is
// bounded by RuleMemoryBudget.
func (r *Rule) Eval(m *vm.VM, env *RuleEnv) (bool, error) {
	if r.prog == nil {
		return false, &RuleError{Rule: r.Name, Problem: "not compiled"}
	}
	m.MemoryBudget = RuleMemoryBudget
	out, err := m.Run(r.prog, env)
	if err != nil {
		return false, &RuleError{Rule: r.Name, Problem: "evaluation failed: " + err.Error()}
	}
	b, _ := out.(bool)
	return b, nil
}

// dependencies reports whether an expression uses the parts of the
// environment that vary from run to run: event.date (for stochastic
// events), agreement.since and agreement.days_in_stage. Any use of `event`
// or `agreement` other than a constant member access counts as using
// everything.
func dependencies(n ast.Node) (dynEvent, dynAgree bool) {
	covered := map[*ast.IdentifierNode]bool{}
	members := &memberCollector{covered: covered}
	ast.Walk(&n, members)
	dynEvent, dynAgree = members.dynEvent, members.dynAgree
	ids := &identCollector{covered: covered}
	ast.Walk(&n, ids)
	return dynEvent || ids.event, dynAgree || ids.agreement
}

type memberCollector struct {
	covered            map[*ast.IdentifierNode]bool
	dynEvent, dynAgree bool
}

func (c *memberCollector) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok {
		return
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return // event[x]: left uncovered, so it counts as dynamic
	}
	c.covered[id] = true
	switch {
	case id.Value == "event" && prop.Value == "date":
		c.dynEvent = true
	case id.Value == "agreement" && (prop.Value == "since" || prop.Value == "days_in_stage"):
		c.dynAgree = true
	}
}

type identCollector struct {
	covered          map[*ast.IdentifierNode]bool
	event, agreement bool
}

func (c *identCollector) Visit(node *ast.Node) {
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok || c.covered[id] {
		return
	}
	switch id.Value {
	case "event":
		c.event = true
	case "agreement":
		c.agreement = true
	}
}

// DefaultRules returns the rules of DefaultModel, compiled:
//
//   - leadership_delay: a leadership change in a party while the agreement
//     is negotiating, agreed in principle or signed (awaiting approval)
//     delays the next milestone by triangular(14, 45, 120) days;
//   - expectation: a confirmed or reported expectation puts its milestone
//     in the expected period with probability 0.5;
//   - expectation_rumoured: a rumoured one, with probability 0.25.
func DefaultRules() []*Rule {
	delay, _ := Triangular(14, 45, 120)
	rs := []*Rule{
		{
			Name:        "leadership_delay",
			Description: "a new head of government in a party re-examines the agreement",
			When:        `event.type == "leadership_changed" && event.country in agreement.parties && agreement.stage in ["negotiating", "agreed_in_principle", "signed"]`,
			Delay:       delay,
		},
		{
			Name:        "expectation",
			Description: "an expectation reported with a source moves probability toward its date",
			When:        `event.type == "expectation_reported" && event.confidence != "rumoured"`,
			Weight:      0.5,
		},
		{
			Name:        "expectation_rumoured",
			Description: "a rumoured expectation moves less probability toward its date",
			When:        `event.type == "expectation_reported" && event.confidence == "rumoured"`,
			Weight:      0.25,
		},
	}
	for _, r := range rs {
		if err := r.Compile(); err != nil {
			panic(err) // the defaults are constants
		}
	}
	return rs
}
