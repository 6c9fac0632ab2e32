package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

// MaxFileBytes bounds a scenario file (it is saved in the log as one event).
const MaxFileBytes = events.MaxScenarioBytes

// FileError is a mistake in a scenario file, at a 1-based line and column.
// It wraps events.ErrInvalid, or events.ErrNotFound for an agreement the
// log does not know.
type FileError struct {
	// File is the name given to Parse.
	File string
	// Line and Column are 1-based.
	Line, Column int
	// Path is the place in the document, "edits[0].add.type".
	Path string
	// Problem says what is wrong.
	Problem string
	kind    error
}

// Error reads "uk.yaml:12:5: edits[0].add.type: unknown event type ...".
func (e *FileError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	fmt.Fprintf(&b, "%d:%d: ", e.Line, e.Column)
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// Unwrap returns the error kind.
func (e *FileError) Unwrap() error {
	if e.kind != nil {
		return e.kind
	}
	return events.ErrInvalid
}

// Scenario is a parsed scenario file (Check compares it with a log). See
// Parse, or examples/README.md, for the format.
type Scenario struct {
	// Name identifies the scenario (and its stream scenario/NAME when
	// saved); Description is free text.
	Name        string
	Description string
	// KnownAt is the cut: the base keeps the events reported by the end of
	// that date (its last day for a partial date). Zero when the base is
	// given by position only.
	KnownAt events.Date
	// Position, when positive, keeps the events at or before it.
	Position int64
	// RecordedBy, when set, keeps the events the log had recorded by then;
	// callers set it to re-run a saved scenario against the log as it was.
	RecordedBy time.Time
	// Horizon is the last day simulated; zero means five years after the
	// cut's month.
	Horizon events.Date
	// Runs and Seed are the simulation's defaults (10000 and 1).
	Runs int
	Seed uint64
	// Targets are the forecasts to make, in order.
	Targets []Target
	// Edits is the overlay of the scenario's branch; the baseline has none.
	Edits []Edit
	// Model applies to both sides, except its scoped rules and hazards.
	Model Model

	// File names the file in errors; Source is its text.
	File   string
	Source []byte

	doc *ast.File
}

// The YAML shapes. Every struct is decoded strictly.
type (
	yFile struct {
		Name        string    `yaml:"name"`
		Description string    `yaml:"description"`
		Base        *yBase    `yaml:"base"`
		Horizon     string    `yaml:"horizon"`
		Runs        *int      `yaml:"runs"`
		Seed        *uint64   `yaml:"seed"`
		Forecasts   []yTarget `yaml:"forecasts"`
		Edits       []yEdit   `yaml:"edits"`
		Model       *yModel   `yaml:"model"`
		Rules       *[]yRule  `yaml:"rules"`
	}
	yBase struct {
		KnownAt  string `yaml:"known_at"`
		Position int64  `yaml:"position"`
	}
	yTarget struct {
		Agreement string `yaml:"agreement"`
		Stage     string `yaml:"stage"`
	}
	yFilter struct {
		ID        string `yaml:"id"`
		Type      string `yaml:"type"`
		Stream    string `yaml:"stream"`
		Agreement string `yaml:"agreement"`
		Country   string `yaml:"country"`
		From      string `yaml:"from"`
		Until     string `yaml:"until"`
	}
	yEdit struct {
		Add     *yEvent   `yaml:"add"`
		Remove  *yFilter  `yaml:"remove"`
		Retract *yRetract `yaml:"retract"`
		Shift   *yShift   `yaml:"shift"`
		Replace *yReplace `yaml:"replace"`
		Label   string    `yaml:"label"`
	}
	yRetract struct {
		F      yFilter `yaml:",inline"`
		On     string  `yaml:"on"`
		Reason string  `yaml:"reason"`
	}
	yShift struct {
		F      yFilter `yaml:",inline"`
		To     string  `yaml:"to"`
		ByDays int     `yaml:"by_days"`
	}
	yReplace struct {
		F    yFilter        `yaml:",inline"`
		Data map[string]any `yaml:"data"`
	}
	yEvent struct {
		ID         string         `yaml:"id"`
		Type       string         `yaml:"type"`
		OccurredAt string         `yaml:"occurred_at"`
		ReportedAt string         `yaml:"reported_at"`
		Data       map[string]any `yaml:"data"`
		Confidence string         `yaml:"confidence"`
		Source     *ySource       `yaml:"source"`
	}
	ySource struct {
		Publication string `yaml:"publication"`
		Title       string `yaml:"title"`
		URL         string `yaml:"url"`
		Date        string `yaml:"date"`
	}
	yModel struct {
		MinEvents     *int       `yaml:"min_events"`
		Distributions []yLegDist `yaml:"distributions"`
		Hazards       []yHazard  `yaml:"hazards"`
	}
	yDist struct {
		Triangular  *yMMM    `yaml:"triangular"`
		PERT        *yMMM    `yaml:"pert"`
		LogNormal   *yLogN   `yaml:"lognormal"`
		Uniform     *yMinMax `yaml:"uniform"`
		Exponential *yMean   `yaml:"exponential"`
		Fixed       *yDays   `yaml:"fixed"`
	}
	yMMM struct {
		Min  *float64 `yaml:"min"`
		Mode *float64 `yaml:"mode"`
		Max  *float64 `yaml:"max"`
	}
	yLogN struct {
		Median *float64 `yaml:"median"`
		Sigma  *float64 `yaml:"sigma"`
	}
	yMinMax struct {
		Min *float64 `yaml:"min"`
		Max *float64 `yaml:"max"`
	}
	yMean struct {
		Mean *float64 `yaml:"mean"`
	}
	yDays struct {
		Days *float64 `yaml:"days"`
	}
	yLegDist struct {
		From      string `yaml:"from"`
		To        string `yaml:"to"`
		Agreement string `yaml:"agreement"`
		Kind      string `yaml:"kind"`
		D         yDist  `yaml:",inline"`
	}
	yHazard struct {
		Country string `yaml:"country"`
		Office  string `yaml:"office"`
		PerYear any    `yaml:"per_year"`
		Since   string `yaml:"since"`
		Scope   string `yaml:"scope"`
	}
	yRule struct {
		Name        string   `yaml:"name"`
		Description string   `yaml:"description"`
		When        string   `yaml:"when"`
		Delay       *yDist   `yaml:"delay"`
		Expect      *yExpect `yaml:"expect"`
		Scope       string   `yaml:"scope"`
	}
	yExpect struct {
		Weight *float64 `yaml:"weight"`
	}
)

var (
	scenarioNameRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	agreementRe    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	countryRe      = regexp.MustCompile(`^[A-Z]{3}$`)
)

// parser state: the file, its AST and the first error.
type fileParser struct {
	s     *Scenario
	codec *events.Codec
}

// fail returns a FileError at path ("$.edits[0].add.type", or "$" for the
// document).
func (fp *fileParser) fail(path, format string, args ...any) *FileError {
	line, col := fp.s.locate(path)
	return &FileError{File: fp.s.File, Line: line, Column: col, Path: shortPath(path), Problem: fmt.Sprintf(format, args...)}
}

func shortPath(p string) string {
	return strings.TrimPrefix(strings.TrimPrefix(p, "$"), ".")
}

// locate returns the line and column of the node at path, or of its
// nearest ancestor that exists.
func (s *Scenario) locate(path string) (int, int) {
	for p := path; p != "" && p != "$" && s.doc != nil; p = parentPath(p) {
		yp, err := yaml.PathString(p)
		if err != nil {
			continue
		}
		n, err := yp.FilterFile(s.doc)
		if err != nil || n == nil || n.GetToken() == nil {
			continue
		}
		pos := n.GetToken().Position
		return pos.Line, pos.Column
	}
	return 1, 1
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return "$"
	}
	return p[:i]
}

// Parse reads a scenario file strictly. name is used in error messages.
// Every mistake is a *FileError citing the line and column: YAML syntax,
// unknown or duplicate fields, values of the wrong type, bad dates,
// unknown stages and event types, malformed agreement ids and country
// codes, event data that does not validate, impossible distributions, and
// rules that do not compile. Mistakes that need the log (unknown
// agreements, edits that match nothing) are found by Check.
//
// The format (all dates YYYY-MM-DD, YYYY-MM or YYYY; durations in days):
//
//	name: uk-turnover                 # required: lower case, digits and '-'
//	description: text
//	base: {known_at: 2022-11-30}      # and/or position: N
//	horizon: 2027-12-31               # default: five years after the cut's month
//	runs: 10000                       # default 10000
//	seed: 42                          # default 1
//	forecasts:                        # required
//	  - {agreement: gbr-jpn-raa, stage: signed}
//	edits:                            # the scenario's overlay; the baseline has none
//	  - add: {type: leadership_changed, occurred_at: 2022-12-15,
//	          data: {country: GBR, office: prime_minister, to: Someone}}
//	  - remove: {type: agreement_signed, agreement: gbr-jpn-raa}
//	  - retract: {id: EVENT-ID, reason: text, on: 2023-02-01}
//	  - shift: {type: agreed_in_principle, agreement: x, by_days: 90}   # or to: DATE
//	  - replace: {type: leadership_changed, country: GBR, from: 2022-10, until: 2022-10,
//	              data: {...}}
//	  # filters: id, type, stream, agreement, country, from, until
//	model:
//	  min_events: 5
//	  distributions:
//	    - {from: signed, to: approved, kind: raa, lognormal: {median: 240, sigma: 0.5}}
//	    # triangular/pert {min, mode, max}, uniform {min, max},
//	    # exponential {mean}, fixed {days}
//	  hazards:
//	    - {country: GBR, office: prime_minister, per_year: history, scope: scenario}
//	rules:                            # absent: DefaultRules; [] for none
//	  - name: uk_leadership_delay
//	    when: event.type == "leadership_changed" && event.country == "GBR"
//	    delay: {triangular: {min: 30, mode: 60, max: 150}}
//	  - name: trust_expectations
//	    when: event.type == "expectation_reported"
//	    expect: {weight: 0.4}
func Parse(name string, data []byte, codec *events.Codec) (*Scenario, error) {
	if codec == nil {
		codec = events.NewCodec()
	}
	s := &Scenario{File: name, Source: data}
	s.Model.CensorAtLastEvent = true // as DefaultModel: see Model
	fp := &fileParser{s: s, codec: codec}
	if len(data) > MaxFileBytes {
		return nil, fp.fail("$", "the file is %d bytes; the limit is %d", len(data), MaxFileBytes)
	}
	doc, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fp.yamlError(err)
	}
	s.doc = doc
	var y yFile
	if err := decodeStrict(data, &y); err != nil {
		return nil, fp.yamlError(err)
	}
	if err := fp.build(&y); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeStrict decodes data into y, strictly. The YAML decoder panics on a
// few malformed documents (found by FuzzParseScenario: an alias or flow
// sequence in an odd place); such a panic is turned into an error instead
// of crashing the program.
func decodeStrict(data []byte, y *yFile) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML is malformed in a way the decoder cannot report (%v)", r)
		}
	}()
	return yaml.UnmarshalWithOptions(data, y, yaml.Strict())
}

// yamlError turns a go-yaml error into a FileError at its token.
func (fp *fileParser) yamlError(err error) error {
	fe := &FileError{File: fp.s.File, Line: 1, Column: 1, Problem: err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		fe.Problem = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil {
			fe.Line, fe.Column = tk.Position.Line, tk.Position.Column
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			fe.Problem = fmt.Sprintf("want %s, not %q", kindName(te.DstType.String()), tokenValue(ye))
		}
		var ue *yaml.UnknownFieldError
		if errors.As(err, &ue) {
			fe.Problem += " (not a field here; see the scenario format)"
		}
	}
	return fe
}

func tokenValue(ye yaml.Error) string {
	if tk := ye.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

func kindName(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "int", "int64", "uint64":
		return "an integer"
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	}
	switch {
	case strings.HasPrefix(goType, "[]"), strings.HasPrefix(goType, "*[]"):
		return "a list"
	case strings.HasPrefix(goType, "map"):
		return "a mapping"
	}
	return "a mapping"
}

func (fp *fileParser) date(path, v string) (events.Date, error) {
	d, err := events.ParseDate(v)
	if err != nil {
		return d, fp.fail(path, "%v", err)
	}
	return d, nil
}

func (fp *fileParser) build(y *yFile) error {
	s := fp.s
	switch {
	case y.Name == "":
		return fp.fail("$", "name is required (lower-case letters and digits joined by '-')")
	case len(y.Name) > 100 || !scenarioNameRe.MatchString(y.Name):
		return fp.fail("$.name", "%q is not a scenario name (lower-case letters and digits joined by '-', e.g. uk-turnover)", y.Name)
	case len(y.Description) > events.MaxTextBytes:
		return fp.fail("$.description", "is %d bytes; the limit is %d", len(y.Description), events.MaxTextBytes)
	}
	s.Name, s.Description = y.Name, y.Description
	if y.Base == nil || y.Base.KnownAt == "" && y.Base.Position == 0 {
		return fp.fail("$.base", "base is required: known_at (a date) and/or position (a log position)")
	}
	if y.Base.KnownAt != "" {
		d, err := fp.date("$.base.known_at", y.Base.KnownAt)
		if err != nil {
			return err
		}
		s.KnownAt = d
	}
	if y.Base.Position < 0 {
		return fp.fail("$.base.position", "must not be negative")
	}
	s.Position = y.Base.Position
	if y.Horizon != "" {
		d, err := fp.date("$.horizon", y.Horizon)
		if err != nil {
			return err
		}
		if !s.KnownAt.IsZero() && !d.End().After(s.KnownAt.End()) {
			return fp.fail("$.horizon", "%s is not after known_at %s", d, s.KnownAt)
		}
		s.Horizon = d
	}
	s.Runs = DefaultRuns
	if y.Runs != nil {
		if *y.Runs < 1 || *y.Runs > MaxRuns {
			return fp.fail("$.runs", "%d is not between 1 and %d", *y.Runs, MaxRuns)
		}
		s.Runs = *y.Runs
	}
	s.Seed = 1
	if y.Seed != nil {
		s.Seed = *y.Seed
	}
	if len(y.Forecasts) == 0 {
		return fp.fail("$", "forecasts is required: a list of {agreement, stage}")
	}
	for i, t := range y.Forecasts {
		path := fmt.Sprintf("$.forecasts[%d]", i)
		if !agreementRe.MatchString(t.Agreement) {
			return fp.fail(path+".agreement", "%q is not an agreement id (e.g. gbr-jpn-raa)", t.Agreement)
		}
		if MilestoneIndex(projections.Stage(t.Stage)) < 0 {
			return fp.fail(path+".stage", "%q is not a stage to forecast (%s)", t.Stage, milestoneList())
		}
		s.Targets = append(s.Targets, Target{Agreement: t.Agreement, Stage: projections.Stage(t.Stage)})
	}
	for i := range y.Edits {
		e, err := fp.edit(i, &y.Edits[i])
		if err != nil {
			return err
		}
		s.Edits = append(s.Edits, e)
	}
	if err := fp.model(y); err != nil {
		return err
	}
	if _, err := NewBranch(Base{}, s.Edits...); err != nil {
		var ee *EditError
		if errors.As(err, &ee) {
			return fp.fail(fmt.Sprintf("$.edits[%d]", ee.Index), "%s", ee.Problem)
		}
		return fp.fail("$.edits", "%v", err)
	}
	return nil
}

func milestoneList() string {
	var names []string
	for _, m := range milestones {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

func (fp *fileParser) edit(i int, y *yEdit) (Edit, error) {
	path := fmt.Sprintf("$.edits[%d]", i)
	n := 0
	for _, set := range []bool{y.Add != nil, y.Remove != nil, y.Retract != nil, y.Shift != nil, y.Replace != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return Edit{}, fp.fail(path, "an edit is exactly one of add, remove, retract, shift and replace (this one has %d)", n)
	}
	e := Edit{Label: y.Label}
	var err error
	switch {
	case y.Add != nil:
		e.Op = OpAdd
		e.Event, err = fp.event(path+".add", y.Add)
	case y.Remove != nil:
		e.Op = OpRemove
		e.Match, err = fp.filter(path+".remove", y.Remove)
	case y.Retract != nil:
		e.Op, e.Reason = OpRetract, y.Retract.Reason
		if e.Match, err = fp.filter(path+".retract", &y.Retract.F); err == nil && y.Retract.On != "" {
			e.RetractOn, err = fp.date(path+".retract.on", y.Retract.On)
		}
	case y.Shift != nil:
		e.Op, e.ShiftDays = OpShift, y.Shift.ByDays
		if e.Match, err = fp.filter(path+".shift", &y.Shift.F); err != nil {
			break
		}
		switch {
		case y.Shift.To != "" && y.Shift.ByDays != 0:
			err = fp.fail(path+".shift.to", "give to or by_days, not both")
		case y.Shift.To == "" && y.Shift.ByDays == 0:
			err = fp.fail(path+".shift", "give to (a date) or by_days (a non-zero number of days)")
		case y.Shift.To != "":
			e.ShiftTo, err = fp.date(path+".shift.to", y.Shift.To)
		}
	case y.Replace != nil:
		e.Op = OpReplace
		if e.Match, err = fp.filter(path+".replace", &y.Replace.F); err != nil {
			break
		}
		if e.Match.Type == "" {
			err = fp.fail(path+".replace", "replace needs the type of the events it replaces (type: ...)")
			break
		}
		if y.Replace.Data == nil {
			err = fp.fail(path+".replace", "data is required")
			break
		}
		e.Data, err = fp.payload(path+".replace", e.Match.Type, y.Replace.Data)
	}
	return e, err
}

func (fp *fileParser) filter(path string, y *yFilter) (Filter, error) {
	f := Filter{ID: y.ID, Type: y.Type, Stream: y.Stream, Agreement: y.Agreement, Country: y.Country}
	if y.Type != "" && !fp.codec.Knows(y.Type) {
		return f, fp.fail(path+".type", "unknown event type %q (known: %s)", y.Type, strings.Join(fp.codec.Types(), ", "))
	}
	if y.Agreement != "" && !agreementRe.MatchString(y.Agreement) {
		return f, fp.fail(path+".agreement", "%q is not an agreement id (e.g. gbr-jpn-raa)", y.Agreement)
	}
	if y.Country != "" && !countryRe.MatchString(y.Country) {
		return f, fp.fail(path+".country", "%q is not an ISO 3166 alpha-3 country code (e.g. GBR)", y.Country)
	}
	var err error
	if y.From != "" {
		if f.From, err = fp.date(path+".from", y.From); err != nil {
			return f, err
		}
	}
	if y.Until != "" {
		if f.To, err = fp.date(path+".until", y.Until); err != nil {
			return f, err
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.End().Before(f.From.Day) {
		return f, fp.fail(path+".until", "%s is before from %s", f.To, f.From)
	}
	if f.IsZero() {
		return f, fp.fail(path, "the filter is empty: give id, type, stream, agreement, country, from or until")
	}
	return f, nil
}

// payload decodes YAML data as typ strictly and validates it.
func (fp *fileParser) payload(path, typ string, data map[string]any) (events.Payload, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fp.fail(path+".data", "cannot be read as JSON: %v", err)
	}
	p, err := fp.codec.Decode(typ, 0, raw)
	if err == nil {
		err = p.Validate()
		if err != nil {
			err = prefixData(err)
		}
	}
	if err != nil {
		var fe *events.FieldError
		if errors.As(err, &fe) {
			return nil, fp.fail(path+"."+fe.Field, "%s", fe.Problem)
		}
		return nil, fp.fail(path+".data", "%v", err)
	}
	return p, nil
}

func prefixData(err error) error {
	var fe *events.FieldError
	if errors.As(err, &fe) {
		c := *fe
		c.Field = "data." + c.Field
		return &c
	}
	return err
}

func (fp *fileParser) event(path string, y *yEvent) (events.Event, error) {
	var e events.Event
	if y.Type == "" {
		return e, fp.fail(path, "type is required")
	}
	if !fp.codec.Knows(y.Type) {
		return e, fp.fail(path+".type", "unknown event type %q (known: %s)", y.Type, strings.Join(fp.codec.Types(), ", "))
	}
	if y.OccurredAt == "" {
		return e, fp.fail(path, "occurred_at is required")
	}
	occ, err := fp.date(path+".occurred_at", y.OccurredAt)
	if err != nil {
		return e, err
	}
	var rep events.Date
	if y.ReportedAt != "" {
		if rep, err = fp.date(path+".reported_at", y.ReportedAt); err != nil {
			return e, err
		}
	}
	if y.Data == nil {
		return e, fp.fail(path, "data is required")
	}
	p, err := fp.payload(path, y.Type, y.Data)
	if err != nil {
		return e, err
	}
	conf := events.Rumoured
	if y.Confidence != "" {
		conf = events.Confidence(y.Confidence)
		if !conf.Valid() {
			return e, fp.fail(path+".confidence", "%q is not one of confirmed, reported, rumoured", y.Confidence)
		}
	}
	src := events.Source{Publication: "scenario " + fp.s.Name, Title: "hypothetical event", Date: occ}
	if y.Source != nil {
		src = events.Source{Publication: y.Source.Publication, Title: y.Source.Title, URL: y.Source.URL}
		if y.Source.Date != "" {
			if src.Date, err = fp.date(path+".source.date", y.Source.Date); err != nil {
				return e, err
			}
		}
	}
	e = events.Event{ID: y.ID, Type: y.Type, Data: p, OccurredAt: occ, ReportedAt: rep, Source: src, Confidence: conf, Analyst: "scenario " + fp.s.Name}
	if err := events.Normalize(fp.codec, &e); err != nil {
		var fe *events.FieldError
		if errors.As(err, &fe) {
			return e, fp.fail(path+"."+fe.Field, "%s", fe.Problem)
		}
		return e, fp.fail(path, "%v", err)
	}
	return e, nil
}

// dist reads a distribution: exactly one of its kinds.
func (fp *fileParser) dist(path string, y *yDist) (Dist, error) {
	n := 0
	for _, set := range []bool{y.Triangular != nil, y.PERT != nil, y.LogNormal != nil, y.Uniform != nil, y.Exponential != nil, y.Fixed != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fp.fail(path, "a distribution is exactly one of triangular, pert, lognormal, uniform, exponential and fixed (this one has %d)", n)
	}
	need := func(sub string, vals map[string]*float64, order ...string) (map[string]float64, error) {
		out := map[string]float64{}
		for _, k := range order {
			if vals[k] == nil {
				return nil, fp.fail(path+"."+sub, "%s is required", k)
			}
			out[k] = *vals[k]
		}
		return out, nil
	}
	var (
		d   Dist
		err error
		sub string
	)
	switch {
	case y.Triangular != nil, y.PERT != nil:
		m, kind, f := y.Triangular, "triangular", Triangular
		if m == nil {
			m, kind, f = y.PERT, "pert", PERT
		}
		sub = kind
		v, e := need(kind, map[string]*float64{"min": m.Min, "mode": m.Mode, "max": m.Max}, "min", "mode", "max")
		if e != nil {
			return nil, e
		}
		d, err = f(v["min"], v["mode"], v["max"])
	case y.LogNormal != nil:
		sub = "lognormal"
		v, e := need(sub, map[string]*float64{"median": y.LogNormal.Median, "sigma": y.LogNormal.Sigma}, "median", "sigma")
		if e != nil {
			return nil, e
		}
		d, err = LogNormal(v["median"], v["sigma"])
	case y.Uniform != nil:
		sub = "uniform"
		v, e := need(sub, map[string]*float64{"min": y.Uniform.Min, "max": y.Uniform.Max}, "min", "max")
		if e != nil {
			return nil, e
		}
		d, err = Uniform(v["min"], v["max"])
	case y.Exponential != nil:
		sub = "exponential"
		v, e := need(sub, map[string]*float64{"mean": y.Exponential.Mean}, "mean")
		if e != nil {
			return nil, e
		}
		d, err = Exponential(v["mean"])
	case y.Fixed != nil:
		sub = "fixed"
		v, e := need(sub, map[string]*float64{"days": y.Fixed.Days}, "days")
		if e != nil {
			return nil, e
		}
		d, err = Fixed(v["days"])
	}
	if err != nil {
		var de *DistError
		if errors.As(err, &de) {
			return nil, fp.fail(path+"."+sub+"."+de.Field, "%s", de.Problem)
		}
		return nil, fp.fail(path+"."+sub, "%v", err)
	}
	return d, nil
}

func (fp *fileParser) model(y *yFile) error {
	s := fp.s
	if m := y.Model; m != nil {
		if m.MinEvents != nil {
			if *m.MinEvents < 1 {
				return fp.fail("$.model.min_events", "must be at least 1")
			}
			s.Model.MinEvents = *m.MinEvents
		}
		for i, yd := range m.Distributions {
			path := fmt.Sprintf("$.model.distributions[%d]", i)
			from, to := MilestoneIndex(projections.Stage(yd.From)), MilestoneIndex(projections.Stage(yd.To))
			switch {
			case from < 0 || from == nMilestones-1:
				return fp.fail(path+".from", "%q is not a stage with a next one (%s)", yd.From, milestoneList())
			case to != from+1:
				return fp.fail(path+".to", "%q is not the stage after %s (%s)", yd.To, yd.From, nextName(from))
			case yd.Agreement != "" && !agreementRe.MatchString(yd.Agreement):
				return fp.fail(path+".agreement", "%q is not an agreement id", yd.Agreement)
			}
			d, err := fp.dist(path, &yd.D)
			if err != nil {
				return err
			}
			s.Model.Distributions = append(s.Model.Distributions, LegDist{
				From: projections.Stage(yd.From), To: projections.Stage(yd.To), Agreement: yd.Agreement, Kind: yd.Kind, Dist: d,
			})
		}
		for i, yh := range m.Hazards {
			path := fmt.Sprintf("$.model.hazards[%d]", i)
			h := Hazard{Country: yh.Country, Office: yh.Office, Scope: Scope(yh.Scope)}
			if !countryRe.MatchString(yh.Country) {
				return fp.fail(path+".country", "%q is not an ISO 3166 alpha-3 country code (e.g. GBR)", yh.Country)
			}
			switch v := yh.PerYear.(type) {
			case nil:
				return fp.fail(path, "per_year is required: a number of changes a year, or history")
			case string:
				if v != "history" {
					return fp.fail(path+".per_year", "%q is neither a number nor history", v)
				}
				h.FromHistory = true
			case uint64:
				h.PerYear = float64(v)
			case int64:
				h.PerYear = float64(v)
			case float64:
				h.PerYear = v
			default:
				return fp.fail(path+".per_year", "want a number or history")
			}
			if h.PerYear < 0 || h.PerYear > 365 {
				return fp.fail(path+".per_year", "%g is not between 0 and 365", h.PerYear)
			}
			if yh.Since != "" {
				d, err := fp.date(path+".since", yh.Since)
				if err != nil {
					return err
				}
				h.Since = d.Day
			}
			if !h.Scope.Valid() {
				return fp.fail(path+".scope", "%q is not both, scenario or baseline", yh.Scope)
			}
			s.Model.Hazards = append(s.Model.Hazards, h)
		}
	}
	if y.Rules == nil {
		s.Model.Rules = DefaultRules()
		return nil
	}
	s.Model.Rules = []*Rule{}
	seen := map[string]int{}
	for i, yr := range *y.Rules {
		path := fmt.Sprintf("$.rules[%d]", i)
		if !ruleNameRe.MatchString(yr.Name) {
			return fp.fail(path+".name", "%q is not a rule name (lower-case letters, digits and _, starting with a letter)", yr.Name)
		}
		if j, dup := seen[yr.Name]; dup {
			return fp.fail(path+".name", "rule %s is defined twice (first as rules[%d])", yr.Name, j)
		}
		seen[yr.Name] = i
		r := &Rule{Name: yr.Name, Description: yr.Description, When: yr.When, Scope: Scope(yr.Scope)}
		switch {
		case yr.When == "":
			return fp.fail(path, "when is required: an expression over event and agreement")
		case yr.Delay != nil && yr.Expect != nil:
			return fp.fail(path+".expect", "a rule has a delay or an expect, not both")
		case yr.Delay == nil && yr.Expect == nil:
			return fp.fail(path, "a rule needs a delay (a distribution) or an expect (a weight)")
		case !r.Scope.Valid():
			return fp.fail(path+".scope", "%q is not both, scenario or baseline", yr.Scope)
		}
		if yr.Delay != nil {
			d, err := fp.dist(path+".delay", yr.Delay)
			if err != nil {
				return err
			}
			r.Delay = d
		} else {
			if yr.Expect.Weight == nil {
				return fp.fail(path+".expect", "weight is required (a probability, 0 to 1)")
			}
			if w := *yr.Expect.Weight; w <= 0 || w > 1 {
				return fp.fail(path+".expect.weight", "%g is not a probability in (0, 1]", w)
			}
			r.Weight = *yr.Expect.Weight
		}
		if err := r.Compile(); err != nil {
			var re *RuleError
			if errors.As(err, &re) && re.Line > 0 {
				line, col := fp.s.exprPosition(path+".when", re.Line, re.Column)
				return &FileError{File: s.File, Line: line, Column: col, Path: shortPath(path + ".when"),
					Problem: fmt.Sprintf("rule %s does not compile: %s", r.Name, re.Problem)}
			}
			return fp.fail(path+".when", "%v", err)
		}
		s.Model.Rules = append(s.Model.Rules, r)
	}
	return nil
}

// exprPosition maps a position in a rule's expression (1-based line and
// column) to the file: exact for single-line scalars and literal blocks
// (|), the expression's first line for folded forms.
func (s *Scenario) exprPosition(path string, line, col int) (int, int) {
	nl, nc := s.locate(path)
	yp, err := yaml.PathString(path)
	if err != nil {
		return nl, nc
	}
	n, err := yp.FilterFile(s.doc)
	if err != nil {
		return nl, nc
	}
	switch n := n.(type) {
	case *ast.LiteralNode:
		// The text starts on the line after the indicator, indented.
		fileLine := nl + line
		indent := 0
		if lines := strings.Split(string(s.Source), "\n"); fileLine-1 < len(lines) {
			l := lines[fileLine-1]
			indent = len(l) - len(strings.TrimLeft(l, " "))
		}
		if n.Start != nil && strings.HasPrefix(n.Start.Value, ">") {
			return nl + 1, indent + 1
		}
		return fileLine, indent + col
	case *ast.StringNode:
		if line == 1 {
			quote := 0
			if tk := n.GetToken(); tk != nil && tk.Type != 0 && (strings.HasPrefix(tk.Origin, "\"") || strings.HasPrefix(tk.Origin, "'") || strings.HasPrefix(strings.TrimSpace(tk.Origin), "\"") || strings.HasPrefix(strings.TrimSpace(tk.Origin), "'")) {
				quote = 1
			}
			return nl, nc + quote + col - 1
		}
	}
	return nl, nc
}
