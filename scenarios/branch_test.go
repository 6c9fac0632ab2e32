package scenarios

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/projections"
)

func ev(id, typ, occ string, p events.Payload) events.Event {
	e := events.Event{ID: id, Type: typ, Data: p, OccurredAt: events.MustDate(occ), Confidence: events.Confirmed}
	e.Stream = p.StreamName()
	return e
}

func tinyLog() []events.Event {
	ref := events.AgreementRef{Agreement: "aaa-bbb-raa", Parties: []string{"AAA", "BBB"}, Kind: "raa"}
	return []events.Event{
		ev("e1", events.TypeTalksOpened, "2020-01-10", &events.TalksOpened{AgreementRef: ref}),
		ev("e2", events.TypeAgreedInPrinciple, "2020-06-01", &events.AgreedInPrinciple{AgreementRef: events.AgreementRef{Agreement: "aaa-bbb-raa"}}),
		ev("e3", events.TypeLeadershipChanged, "2020-07-01", &events.LeadershipChanged{Country: "AAA", Office: "prime_minister", To: "P"}),
		ev("e4", events.TypeAgreementSigned, "2021-01-15", &events.AgreementSigned{AgreementRef: events.AgreementRef{Agreement: "aaa-bbb-raa"}}),
	}
}

func ids(b *Branch) []string {
	var out []string
	for e := range b.Events() {
		out = append(out, e.ID+"@"+e.OccurredAt.String())
	}
	return out
}

func TestBranchEdits(t *testing.T) {
	log := tinyLog()
	added := ev("h1", events.TypeLeadershipChanged, "2021-02-01", &events.LeadershipChanged{Country: "BBB", Office: "prime_minister", To: "Q"})
	cases := []struct {
		name  string
		base  Base
		edits []Edit
		want  []string
	}{
		{"no edits", Base{Events: log}, nil, []string{"e1@2020-01-10", "e2@2020-06-01", "e3@2020-07-01", "e4@2021-01-15"}},
		{"position cut", Base{Events: log, Position: 2}, nil, []string{"e1@2020-01-10", "e2@2020-06-01"}},
		{"known-at cut", Base{Events: log, KnownAt: time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC)}, nil, []string{"e1@2020-01-10", "e2@2020-06-01", "e3@2020-07-01"}},
		{"remove by id", Base{Events: log}, []Edit{{Op: OpRemove, Match: Filter{ID: "e2"}}}, []string{"e1@2020-01-10", "e3@2020-07-01", "e4@2021-01-15"}},
		{"remove by type and agreement", Base{Events: log}, []Edit{{Op: OpRemove, Match: Filter{Type: events.TypeAgreementSigned, Agreement: "aaa-bbb-raa"}}}, []string{"e1@2020-01-10", "e2@2020-06-01", "e3@2020-07-01"}},
		{"remove by country", Base{Events: log}, []Edit{{Op: OpRemove, Match: Filter{Country: "AAA"}}}, []string{"e1@2020-01-10", "e2@2020-06-01", "e4@2021-01-15"}},
		{"remove by date range", Base{Events: log}, []Edit{{Op: OpRemove, Match: Filter{From: events.MustDate("2020-06"), To: events.MustDate("2020-07")}}}, []string{"e1@2020-01-10", "e4@2021-01-15"}},
		{"shift by days", Base{Events: log}, []Edit{{Op: OpShift, Match: Filter{ID: "e4"}, ShiftDays: 30}}, []string{"e1@2020-01-10", "e2@2020-06-01", "e3@2020-07-01", "e4@2021-02-14"}},
		{"shift to a date", Base{Events: log}, []Edit{{Op: OpShift, Match: Filter{ID: "e2"}, ShiftTo: events.MustDate("2020-03")}}, []string{"e1@2020-01-10", "e2@2020-03", "e3@2020-07-01", "e4@2021-01-15"}},
		{"retract", Base{Events: log}, []Edit{{Op: OpRetract, Match: Filter{ID: "e3"}}}, []string{"e1@2020-01-10", "e2@2020-06-01", "e3@2020-07-01", "scenario-retract-e3@2020-07-01", "e4@2021-01-15"}},
		{"add", Base{Events: log, Position: 1}, []Edit{{Op: OpAdd, Event: added}}, []string{"e1@2020-01-10", "h1@2021-02-01"}},
		{"edits in order", Base{Events: log}, []Edit{{Op: OpShift, Match: Filter{ID: "e1"}, ShiftDays: 1}, {Op: OpShift, Match: Filter{Type: events.TypeTalksOpened}, ShiftDays: 1}}, []string{"e1@2020-01-12", "e2@2020-06-01", "e3@2020-07-01", "e4@2021-01-15"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewBranch(tc.base, tc.edits...)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(b); !slices.Equal(got, tc.want) {
				t.Errorf("got %v\nwant %v", got, tc.want)
			}
		})
	}
	// The base is untouched.
	if !slices.Equal(ids(mustBranch(t, Base{Events: log})), cases[0].want) || log[3].OccurredAt.String() != "2021-01-15" {
		t.Error("the base changed")
	}
}

func mustBranch(t *testing.T, base Base, edits ...Edit) *Branch {
	t.Helper()
	b, err := NewBranch(base, edits...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBranchReplaceAndRetractFold(t *testing.T) {
	log := tinyLog()
	b := mustBranch(t, Base{Events: log},
		Edit{Op: OpReplace, Match: Filter{ID: "e3"}, Data: &events.LeadershipChanged{Country: "AAA", Office: "president", To: "R"}},
		Edit{Op: OpRetract, Match: Filter{ID: "e4"}})
	for e := range b.Events() {
		if e.ID == "e3" && e.Data.(*events.LeadershipChanged).To != "R" {
			t.Errorf("replace: %+v", e.Data)
		}
	}
	set, err := b.Fold(nil)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := set.Agreements.Get("aaa-bbb-raa", projections.Cut{})
	if !ok || st.Stage != projections.StageAgreedInPrinciple {
		t.Errorf("retracted signature: stage %s", st.Stage)
	}
	if log[2].Data.(*events.LeadershipChanged).To != "P" {
		t.Error("the base payload changed")
	}
}

func TestBranchErrors(t *testing.T) {
	log := tinyLog()
	bad := []struct {
		name string
		edit Edit
	}{
		{"empty filter", Edit{Op: OpRemove}},
		{"shift without target", Edit{Op: OpShift, Match: Filter{ID: "e1"}}},
		{"replace without data", Edit{Op: OpReplace, Match: Filter{ID: "e1"}}},
		{"add unnormalized", Edit{Op: OpAdd, Event: events.Event{Data: &events.TalksOpened{}, OccurredAt: events.MustDate("2020")}}},
		{"unknown op", Edit{Op: "rewrite", Match: Filter{ID: "e1"}}},
	}
	for _, tc := range bad {
		_, err := NewBranch(Base{Events: log}, tc.edit)
		var ee *EditError
		if !errors.As(err, &ee) || ee.Index != 0 || !errors.Is(err, events.ErrInvalid) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	checks := []struct {
		name string
		edit Edit
	}{
		{"unknown id", Edit{Op: OpShift, Match: Filter{ID: "nope"}, ShiftDays: 3}},
		{"no match", Edit{Op: OpRemove, Match: Filter{Type: events.TypeEnteredIntoForce}}},
		{"outside the cut", Edit{Op: OpRemove, Match: Filter{ID: "e4"}}},
		{"replace of another type", Edit{Op: OpReplace, Match: Filter{ID: "e1"}, Data: &events.AgreementSigned{AgreementRef: events.AgreementRef{Agreement: "aaa-bbb-raa"}}}},
	}
	for _, tc := range checks {
		b := mustBranch(t, Base{Events: log, Position: 3}, Edit{Op: OpRemove, Match: Filter{ID: "e1"}}, tc.edit)
		var ee *EditError
		if err := b.Check(); !errors.As(err, &ee) || ee.Index != 1 {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestBranchRemovesSignature is the acceptance criterion: a branch that
// removes the signature of gbr-jpn-raa shows it agreed in principle, while
// the log still shows the real state.
func TestBranchRemovesSignature(t *testing.T) {
	log := bundled(t)
	before := projections.NewSet(nil)
	if err := before.ApplyAll(log); err != nil {
		t.Fatal(err)
	}
	real, _ := before.Agreements.Get("gbr-jpn-raa", projections.Cut{})
	cut := time.Date(2023, 3, 31, 23, 59, 59, 0, time.UTC)
	b := mustBranch(t, Base{Events: log, KnownAt: cut}, Edit{Op: OpRemove, Match: Filter{Type: events.TypeAgreementSigned, Agreement: "gbr-jpn-raa"}})
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	set, err := b.Fold(nil)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := set.Agreements.Get("gbr-jpn-raa", projections.Cut{AsOf: cut, KnownAt: cut})
	if !ok || st.Stage != projections.StageAgreedInPrinciple || st.Since.String() != "2022-05-05" {
		t.Errorf("branch: %s since %s", st.Stage, st.Since)
	}
	// The log is unchanged: folding it again gives the real state.
	after := projections.NewSet(nil)
	if err := after.ApplyAll(log); err != nil {
		t.Fatal(err)
	}
	now, _ := after.Agreements.Get("gbr-jpn-raa", projections.Cut{})
	if now.Stage != projections.StageInForce || now.Stage != real.Stage || len(now.Transitions) != len(real.Transitions) {
		t.Errorf("log: %s (was %s)", now.Stage, real.Stage)
	}
	atCut, _ := after.Agreements.Get("gbr-jpn-raa", projections.Cut{AsOf: cut, KnownAt: cut})
	if atCut.Stage != projections.StageSigned {
		t.Errorf("log at the cut: %s", atCut.Stage)
	}
}

// TestBranchCreateCost: creating a branch does not read the base, so its
// allocations are the same on a base a thousand times larger.
func TestBranchCreateCost(t *testing.T) {
	small, large := syntheticLog(100), syntheticLog(100_000)
	edits := benchEdits()
	allocs := func(log []events.Event) float64 {
		return testing.AllocsPerRun(20, func() {
			if _, err := NewBranch(Base{Events: log, Position: 50}, edits...); err != nil {
				t.Fatal(err)
			}
		})
	}
	if a, b := allocs(small), allocs(large); a != b {
		t.Errorf("allocations: %v on 100 events, %v on 100,000", a, b)
	}
}
