package projections

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
)

const ukjp = "gbr-jpn-raa"

// step is one lifecycle event in a table test: a type and a date, and for
// approvals the party.
type step struct {
	typ, occ, party string
}

func steps(t *testing.T, c *events.Codec, id string, parties []string, ss []step) []events.Event {
	r := ref(id, parties...)
	var out []events.Event
	for i, s := range ss {
		var p events.Payload
		if s.typ == events.TypeDomesticApprovalCompleted {
			p = approval(r, s.party, "Parliament")
		} else {
			p = lifecycle(t, s.typ, r)
		}
		out = append(out, ev(t, c, fmt.Sprintf("%s-%02d", id, i), s.occ, "", p))
	}
	return out
}

func TestStateMachine(t *testing.T) {
	const (
		prop  = events.TypeAgreementProposed
		open  = events.TypeTalksOpened
		round = events.TypeTalksRoundHeld
		stall = events.TypeTalksStalled
		res   = events.TypeTalksResumed
		aip   = events.TypeAgreedInPrinciple
		ini   = events.TypeTextInitialled
		sign  = events.TypeAgreementSigned
		appr  = events.TypeDomesticApprovalCompleted
		exch  = events.TypeInstrumentsExchanged
		eif   = events.TypeEnteredIntoForce
		pa    = events.TypeProvisionallyApplied
		susp  = events.TypeSuspended
		term  = events.TypeTerminated
		aband = events.TypeAbandoned
	)
	tests := []struct {
		name  string
		steps []step
		stage Stage
		trans []Stage
	}{
		{"proposed", []step{{prop, "2020-01-01", ""}}, StageProposed, []Stage{StageProposed}},
		{"talks opened", []step{{prop, "2020-01-01", ""}, {open, "2020-02-01", ""}}, StageNegotiating, []Stage{StageProposed, StageNegotiating}},
		{"round without opening", []step{{round, "2020-02-01", ""}}, StageNegotiating, []Stage{StageNegotiating}},
		{"second round is no transition", []step{{open, "2020-02-01", ""}, {round, "2020-03-01", ""}}, StageNegotiating, []Stage{StageNegotiating}},
		{"stalled", []step{{open, "2020-02-01", ""}, {stall, "2020-05-01", ""}}, StageStalled, []Stage{StageNegotiating, StageStalled}},
		{"resumed", []step{{open, "2020-02-01", ""}, {stall, "2020-05-01", ""}, {res, "2020-09-01", ""}}, StageNegotiating, []Stage{StageNegotiating, StageStalled, StageNegotiating}},
		{"agreed in principle", []step{{open, "2020-02-01", ""}, {aip, "2021-01-01", ""}}, StageAgreedInPrinciple, []Stage{StageNegotiating, StageAgreedInPrinciple}},
		{"initialled from negotiating", []step{{open, "2020-02-01", ""}, {ini, "2021-01-01", ""}}, StageAgreedInPrinciple, []Stage{StageNegotiating, StageAgreedInPrinciple}},
		{"initialled keeps AIP", []step{{aip, "2021-01-01", ""}, {ini, "2021-02-01", ""}}, StageAgreedInPrinciple, []Stage{StageAgreedInPrinciple}},
		{"AIP from stalled", []step{{stall, "2020-05-01", ""}, {aip, "2021-01-01", ""}}, StageAgreedInPrinciple, []Stage{StageStalled, StageAgreedInPrinciple}},
		{"signed with no history", []step{{sign, "2023-01-11", ""}}, StageSigned, []Stage{StageSigned}},
		{"one approval of two", []step{{sign, "2023-01-11", ""}, {appr, "2023-04-01", "JPN"}}, StageSigned, []Stage{StageSigned}},
		{"both approvals", []step{{sign, "2023-01-11", ""}, {appr, "2023-04-01", "JPN"}, {appr, "2023-05-01", "GBR"}}, StageApproved, []Stage{StageSigned, StageApproved}},
		{"approval after exchange", []step{{sign, "2023-01-11", ""}, {appr, "2023-04-01", "JPN"}, {exch, "2023-06-01", ""}, {appr, "2023-07-01", "GBR"}}, StageApproved, []Stage{StageSigned, StageApproved}},
		{"exchange without approvals stays", []step{{sign, "2023-01-11", ""}, {exch, "2023-06-01", ""}}, StageSigned, []Stage{StageSigned}},
		{"in force", []step{{sign, "2023-01-11", ""}, {appr, "2023-04-01", "JPN"}, {appr, "2023-05-01", "GBR"}, {eif, "2023-10-11", ""}}, StageInForce, []Stage{StageSigned, StageApproved, StageInForce}},
		{"in force without approvals", []step{{sign, "2023-01-11", ""}, {eif, "2023-10-11", ""}}, StageInForce, []Stage{StageSigned, StageInForce}},
		{"provisionally applied", []step{{sign, "2023-01-11", ""}, {pa, "2023-02-01", ""}}, StageProvisionallyApplied, []Stage{StageSigned, StageProvisionallyApplied}},
		{"approvals keep PA", []step{{sign, "2023-01-11", ""}, {pa, "2023-02-01", ""}, {appr, "2023-04-01", "JPN"}, {appr, "2023-05-01", "GBR"}}, StageProvisionallyApplied, []Stage{StageSigned, StageProvisionallyApplied}},
		{"PA then in force", []step{{sign, "2023-01-11", ""}, {pa, "2023-02-01", ""}, {eif, "2023-10-01", ""}}, StageInForce, []Stage{StageSigned, StageProvisionallyApplied, StageInForce}},
		{"suspended", []step{{eif, "2023-10-11", ""}, {susp, "2024-01-01", ""}}, StageSuspended, []Stage{StageInForce, StageSuspended}},
		{"reinstated", []step{{eif, "2023-10-11", ""}, {susp, "2024-01-01", ""}, {eif, "2024-06-01", ""}}, StageInForce, []Stage{StageInForce, StageSuspended, StageInForce}},
		{"terminated", []step{{eif, "2023-10-11", ""}, {term, "2025-01-01", ""}}, StageTerminated, []Stage{StageInForce, StageTerminated}},
		{"terminated is final", []step{{eif, "2023-10-11", ""}, {term, "2025-01-01", ""}, {eif, "2025-06-01", ""}}, StageTerminated, []Stage{StageInForce, StageTerminated}},
		{"abandoned", []step{{open, "2020-02-01", ""}, {aband, "2021-01-01", ""}}, StageAbandoned, []Stage{StageNegotiating, StageAbandoned}},
		{"revived after abandoned", []step{{open, "2020-02-01", ""}, {aband, "2021-01-01", ""}, {res, "2022-01-01", ""}}, StageNegotiating, []Stage{StageNegotiating, StageAbandoned, StageNegotiating}},
		{"in force cannot be abandoned", []step{{eif, "2023-10-11", ""}, {aband, "2024-01-01", ""}}, StageInForce, []Stage{StageInForce}},
		{"no move backwards: round after signature", []step{{open, "2020-02-01", ""}, {sign, "2023-01-11", ""}, {round, "2023-03-01", ""}}, StageSigned, []Stage{StageNegotiating, StageSigned}},
		{"no move backwards: stalled after AIP", []step{{aip, "2021-01-01", ""}, {stall, "2021-03-01", ""}}, StageAgreedInPrinciple, []Stage{StageAgreedInPrinciple}},
		{"late arrival of an earlier event", []step{{sign, "2023-01-11", ""}, {aip, "2022-05-01", ""}, {open, "2021-10-01", ""}}, StageSigned, []Stage{StageNegotiating, StageAgreedInPrinciple, StageSigned}},
		{"proposal after talks is no transition", []step{{open, "2021-10-01", ""}, {prop, "2022-01-01", ""}}, StageNegotiating, []Stage{StageNegotiating}},
	}
	c := events.NewCodec()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := steps(t, c, ukjp, []string{"GBR", "JPN"}, tt.steps)
			// Every arrival order gives the same answer; try forwards and backwards.
			for _, order := range []string{"forward", "reverse"} {
				s := NewSet(c)
				if order == "reverse" {
					evs = slices.Clone(evs)
					slices.Reverse(evs)
				}
				applyAll(t, s, evs)
				st, ok := s.Agreements.Get(ukjp, Cut{})
				if !ok {
					t.Fatalf("%s: agreement missing", order)
				}
				if st.Stage != tt.stage {
					t.Errorf("%s: stage = %q, want %q", order, st.Stage, tt.stage)
				}
				if got := stagesOf(st); !slices.Equal(got, tt.trans) {
					t.Errorf("%s: transitions = %v, want %v", order, got, tt.trans)
				}
				if st.Events != len(evs) {
					t.Errorf("%s: events = %d, want %d", order, st.Events, len(evs))
				}
			}
		})
	}
}

func TestAgreementDetails(t *testing.T) {
	c := events.NewCodec()
	r := ref(ukjp, "JPN", "GBR")
	r.Kind, r.Title = "raa", "Japan-UK Reciprocal Access Agreement"
	evs := []events.Event{
		ev(t, c, "a1", "2021-10-07", "", &events.TalksOpened{AgreementRef: r, Location: "London"}),
		ev(t, c, "a2", "2023-01-11", "", &events.AgreementSigned{AgreementRef: ref(ukjp), Location: "London"}),
		ev(t, c, "a3", "2023-04-28", "", approval(ref(ukjp), "JPN", "National Diet")),
	}
	s := NewSet(c)
	applyAll(t, s, evs)
	st, _ := s.Agreements.Get(ukjp, Cut{AsOf: day0("2023-05-01")})
	if !slices.Equal(st.Parties, []string{"GBR", "JPN"}) || st.Kind != "raa" || st.Title != r.Title {
		t.Errorf("parties/kind/title = %v %q %q", st.Parties, st.Kind, st.Title)
	}
	if st.Since.String() != "2023-01-11" || st.DaysInStage != 110 {
		t.Errorf("since %s, days %d; want 2023-01-11, 110", st.Since, st.DaysInStage)
	}
	if got := st.DaysAt(day0("2023-01-21")); got != 10 {
		t.Errorf("DaysAt = %d", got)
	}
	want := []Approval{
		{Party: "GBR", Pending: true},
		{Party: "JPN", Body: "National Diet", Date: events.MustDate("2023-04-28"), Event: "a3"},
	}
	if mustJSON(t, st.Approvals) != mustJSON(t, want) {
		t.Errorf("approvals = %s", mustJSON(t, st.Approvals))
	}
	tr := st.Transitions[1]
	if tr.Event != "a2" || tr.Type != events.TypeAgreementSigned || tr.Source.Publication != "Test Wire" ||
		tr.Source.URL != "https://example.org/a2" || tr.Confidence != events.Confirmed || tr.Date.String() != "2023-01-11" {
		t.Errorf("transition = %+v", tr)
	}
	if st.LastEvent == nil || st.LastEvent.ID != "a3" || st.Events != 3 {
		t.Errorf("last event %+v, events %d", st.LastEvent, st.Events)
	}
	// Without a reference date, days run to the last event.
	st, _ = s.Agreements.Get(ukjp, Cut{})
	if st.DaysInStage != 107 {
		t.Errorf("zero cut days = %d, want 107", st.DaysInStage)
	}
	// JSON field names.
	js := mustJSON(t, st)
	for _, k := range []string{`"id"`, `"parties"`, `"kind"`, `"title"`, `"stage"`, `"since"`, `"days_in_stage"`, `"transitions"`, `"approvals"`, `"blockers":[]`, `"expectation":null`, `"events"`, `"last_event"`} {
		if !contains(js, k) {
			t.Errorf("JSON lacks %s: %s", k, js)
		}
	}
	if _, ok := s.Agreements.Get("nope-xyz-raa", Cut{}); ok {
		t.Error("unknown agreement found")
	}
	// Parties come from the id when no event lists them.
	s2 := NewAgreements(c)
	e := ev(t, c, "b1", "2022-01-01", "", lifecycle(t, events.TypeTalksOpened, ref("aus-jpn-raa")))
	if err := s2.Apply(&e); err != nil {
		t.Fatal(err)
	}
	st, _ = s2.Get("aus-jpn-raa", Cut{})
	if !slices.Equal(st.Parties, []string{"AUS", "JPN"}) || len(st.Approvals) != 2 {
		t.Errorf("derived parties = %v", st.Parties)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestAndJoinApprovals(t *testing.T) {
	c := events.NewCodec()
	id := "aus-gbr-usa-aukus"
	parties := []string{"AUS", "GBR", "USA"}
	r := ref(id, parties...)
	base := []events.Event{
		ev(t, c, "s", "2023-03-13", "", lifecycle(t, events.TypeAgreementSigned, r)),
		ev(t, c, "x", "2023-05-01", "", lifecycle(t, events.TypeInstrumentsExchanged, ref(id))),
	}
	tests := []struct {
		parties []string
		want    Stage
	}{
		{nil, StageSigned},
		{[]string{"AUS"}, StageSigned},
		{[]string{"AUS", "USA"}, StageSigned},
		{[]string{"AUS", "GBR", "USA"}, StageApproved},
		{[]string{"USA", "USA", "GBR"}, StageSigned}, // a repeated approval counts once
		{[]string{"USA", "GBR", "AUS", "GBR"}, StageApproved},
	}
	for _, tt := range tests {
		evs := slices.Clone(base)
		for i, p := range tt.parties {
			evs = append(evs, ev(t, c, fmt.Sprintf("p%d", i), fmt.Sprintf("2023-0%d-01", 6+i), "", approval(ref(id), p, "Parliament")))
		}
		s := NewSet(c)
		applyAll(t, s, evs)
		st, _ := s.Agreements.Get(id, Cut{})
		if st.Stage != tt.want {
			t.Errorf("approvals %v: stage %q, want %q", tt.parties, st.Stage, tt.want)
		}
		pending := 0
		for _, a := range st.Approvals {
			if a.Pending {
				pending++
			}
		}
		distinct := slices.Compact(slices.Sorted(slices.Values(tt.parties)))
		if pending != 3-len(distinct) {
			t.Errorf("approvals %v: %d pending", tt.parties, pending)
		}
		if st.Exchanged.String() != "2023-05-01" {
			t.Errorf("exchanged = %v", st.Exchanged)
		}
	}
	// The approved transition is dated by the last approval, whichever order
	// the approvals arrive in.
	evs := append(slices.Clone(base),
		ev(t, c, "p1", "2023-09-01", "", approval(ref(id), "AUS", "Parliament")),
		ev(t, c, "p2", "2023-07-01", "", approval(ref(id), "GBR", "Parliament")),
		ev(t, c, "p3", "2023-08-01", "", approval(ref(id), "USA", "Senate")))
	s := NewSet(c)
	applyAll(t, s, evs)
	st, _ := s.Agreements.Get(id, Cut{})
	if st.Stage != StageApproved || st.Since.String() != "2023-09-01" || st.Transitions[1].Event != "p1" {
		t.Errorf("approved %q since %s by %s", st.Stage, st.Since, st.Transitions[1].Event)
	}
	// As of August, one approval is missing.
	st, _ = s.Agreements.Get(id, Cut{AsOf: day0("2023-08-15")})
	if st.Stage != StageSigned {
		t.Errorf("as of August: %q", st.Stage)
	}
}

func TestBlockers(t *testing.T) {
	c := events.NewCodec()
	r := ref(ukjp, "GBR", "JPN")
	uk := func(id, occ, from, to string) events.Event {
		return ev(t, c, id, occ, "", leader("GBR", "prime_minister", from, to))
	}
	open := ev(t, c, "o", "2021-10-07", "", lifecycle(t, events.TypeTalksOpened, r))
	stall := ev(t, c, "st", "2022-08-01", "", lifecycle(t, events.TypeTalksStalled, r))
	resume := ev(t, c, "re", "2022-08-15", "", lifecycle(t, events.TypeTalksResumed, r))
	aip := ev(t, c, "aip", "2022-12-01", "", lifecycle(t, events.TypeAgreedInPrinciple, r))
	sign := ev(t, c, "sg", "2023-01-11", "", lifecycle(t, events.TypeAgreementSigned, r))
	appJ := ev(t, c, "aj", "2023-04-28", "", approval(r, "JPN", "Diet"))
	appG := ev(t, c, "ag", "2023-05-30", "", approval(r, "GBR", "Parliament"))
	truss := uk("truss", "2022-09-06", "Johnson", "Truss")
	sunak := uk("sunak", "2022-10-25", "Truss", "Sunak")
	early := uk("may", "2019-07-24", "May", "Johnson")
	kishida := ev(t, c, "kishida", "2021-10-04", "", leader("JPN", "prime_minister", "Suga", "Kishida"))
	other := ev(t, c, "aus", "2022-05-23", "", leader("AUS", "prime_minister", "Morrison", "Albanese"))
	ukPostSign := uk("x", "2023-02-01", "Sunak", "Someone")

	tests := []struct {
		name string
		evs  []events.Event
		cut  Cut
		want []string // event ids of open blockers
	}{
		{"change while negotiating", []events.Event{open, truss}, Cut{}, []string{"truss"}},
		{"two changes", []events.Event{open, truss, sunak}, Cut{}, []string{"truss", "sunak"}},
		{"change before talks is no blocker", []events.Event{early, kishida, open}, Cut{}, []string{}},
		{"change in a non-party", []events.Event{open, other}, Cut{}, []string{}},
		{"stalled keeps it open", []events.Event{open, truss, stall, resume}, Cut{}, []string{"truss"}},
		{"change while stalled", []events.Event{open, stall, truss}, Cut{}, []string{"truss"}},
		{"AIP closes it", []events.Event{open, truss, sunak, aip}, Cut{}, []string{}},
		{"as of before AIP", []events.Event{open, truss, sunak, aip}, Cut{AsOf: day0("2022-11-01")}, []string{"truss", "sunak"}},
		{"change while signed", []events.Event{sign, ukPostSign}, Cut{}, []string{"x"}},
		{"one approval keeps it open", []events.Event{sign, ukPostSign, appJ}, Cut{}, []string{"x"}},
		{"approval closes it", []events.Event{sign, ukPostSign, appJ, appG}, Cut{}, []string{}},
		{"change after approval", []events.Event{sign, appJ, appG, ukPostSign}, Cut{}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, rev := range []bool{false, true} {
				evs := slices.Clone(tt.evs)
				if rev {
					slices.Reverse(evs)
				}
				s := NewSet(c)
				applyAll(t, s, evs)
				st, _ := s.Agreements.Get(ukjp, tt.cut)
				got := []string{}
				for _, b := range st.Blockers {
					got = append(got, b.Event)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("reverse=%v: blockers %v, want %v", rev, got, tt.want)
				}
			}
		})
	}
	s := NewSet(c)
	applyAll(t, s, []events.Event{open, truss})
	st, _ := s.Agreements.Get(ukjp, Cut{})
	want := Blocker{Country: "GBR", Office: "prime_minister", From: "Johnson", To: "Truss", Date: events.MustDate("2022-09-06"), Event: "truss", Stage: StageNegotiating}
	if len(st.Blockers) != 1 || st.Blockers[0] != want {
		t.Errorf("blocker = %+v", st.Blockers)
	}
	// The cached state follows new leadership changes and agreement events.
	e := sunak
	_ = s.Apply(&e)
	e = aip
	_ = s.Apply(&e)
	st, _ = s.Agreements.Get(ukjp, Cut{})
	if len(st.Blockers) != 0 || st.Stage != StageAgreedInPrinciple {
		t.Errorf("after AIP: %q %v", st.Stage, st.Blockers)
	}
}

// TestBlockerCacheLateEvent: a leadership change dated after everything
// the agreement had done (so no blocker then) becomes a blocker when an
// agreement event dated before it arrives later and makes the stage block.
// The cached state must not take the fast path past it.
func TestBlockerCacheLateEvent(t *testing.T) {
	c := events.NewCodec()
	r := ref(ukjp, "GBR", "JPN")
	for _, first := range []events.Event{
		ev(t, c, "p", "2020-01-01", "", lifecycle(t, events.TypeAgreementProposed, r)),
		ev(t, c, "p", "2020-01-01", "", lifecycle(t, events.TypeAbandoned, r)),
	} {
		s := NewSet(c)
		change := ev(t, c, "truss", "2022-09-06", "", leader("GBR", "prime_minister", "Johnson", "Truss"))
		late := ev(t, c, "o", "2021-10-07", "", lifecycle(t, events.TypeTalksOpened, r))
		applyAll(t, s, []events.Event{first, change})
		st, _ := s.Agreements.Get(ukjp, Cut{})
		if len(st.Blockers) != 0 {
			t.Fatalf("%s: blockers %v", first.Type, st.Blockers)
		}
		applyAll(t, s, []events.Event{late})
		st, _ = s.Agreements.Get(ukjp, Cut{})
		if st.Stage != StageNegotiating || len(st.Blockers) != 1 {
			t.Errorf("%s: stage %q, blockers %v", first.Type, st.Stage, st.Blockers)
		}
	}
}

func TestExpectations(t *testing.T) {
	c := events.NewCodec()
	exp := func(id, occ, typ, by, who string) events.Event {
		return ev(t, c, id, occ, "", &events.ExpectationReported{Agreement: ukjp, ExpectedType: typ, ExpectedBy: events.MustDate(by), SaidBy: who, Summary: "expected soon"})
	}
	evs := []events.Event{
		ev(t, c, "o", "2021-10-07", "", lifecycle(t, events.TypeTalksOpened, ref(ukjp, "GBR", "JPN"))),
		exp("e2", "2022-11-15", events.TypeAgreementSigned, "2023-01", "Kyodo sources"),
		exp("e1", "2022-05-05", events.TypeAgreedInPrinciple, "2022", "Kishida"),
	}
	s := NewSet(c)
	applyAll(t, s, evs)
	st, _ := s.Agreements.Get(ukjp, Cut{})
	want := &Expectation{ExpectedType: events.TypeAgreementSigned, ExpectedBy: events.MustDate("2023-01"), SaidBy: "Kyodo sources", Summary: "expected soon", ReportedAt: events.MustDate("2022-11-15"), Event: "e2"}
	if mustJSON(t, st.LatestExpectation) != mustJSON(t, want) {
		t.Errorf("expectation = %s", mustJSON(t, st.LatestExpectation))
	}
	if st.Stage != StageNegotiating || st.Events != 3 {
		t.Errorf("stage %q events %d", st.Stage, st.Events)
	}
	st, _ = s.Agreements.Get(ukjp, Cut{AsOf: day0("2022-06-01")})
	if st.LatestExpectation == nil || st.LatestExpectation.Event != "e1" {
		t.Errorf("as of June: %+v", st.LatestExpectation)
	}
	st, _ = s.Agreements.Get(ukjp, Cut{AsOf: day0("2022-01-01")})
	if st.LatestExpectation != nil {
		t.Errorf("as of January: %+v", st.LatestExpectation)
	}
	js := mustJSON(t, st)
	if !contains(js, `"expectation":null`) {
		t.Errorf("json %s", js)
	}
}

func TestCuts(t *testing.T) {
	c := events.NewCodec()
	r := ref(ukjp, "GBR", "JPN")
	recorded := func(e events.Event, at string) events.Event {
		e.RecordedAt = day0(at).Add(12 * time.Hour)
		return e
	}
	evs := []events.Event{
		// secret talks, revealed later
		ev(t, c, "open", "2021-06-01", "2021-10-07", lifecycle(t, events.TypeTalksOpened, r)),
		ev(t, c, "aip", "2022-05-05", "", lifecycle(t, events.TypeAgreedInPrinciple, r)),
		recorded(ev(t, c, "sign", "2023-01-11", "2023-01-11", lifecycle(t, events.TypeAgreementSigned, r)), "2023-03-01"),
	}
	s := NewSet(c)
	applyAll(t, s, evs)
	tests := []struct {
		name string
		cut  Cut
		want Stage
		ok   bool
	}{
		{"everything", Cut{}, StageSigned, true},
		{"as of after signature", Cut{AsOf: day0("2023-02-01")}, StageSigned, true},
		{"known before the signature was reported", Cut{AsOf: day0("2023-02-01"), KnownAt: day0("2022-11-30")}, StageAgreedInPrinciple, true},
		{"as of before signature", Cut{AsOf: day0("2022-12-01")}, StageAgreedInPrinciple, true},
		{"as of the signature day", Cut{AsOf: day0("2023-01-11")}, StageSigned, true},
		{"as of the instant before", Cut{AsOf: day0("2023-01-11").Add(-time.Nanosecond)}, StageAgreedInPrinciple, true},
		{"secret talks, as of", Cut{AsOf: day0("2021-07-01")}, StageNegotiating, true},
		{"secret talks, known at", Cut{AsOf: day0("2021-07-01"), KnownAt: day0("2021-07-01")}, StageNone, false},
		{"secret talks revealed", Cut{KnownAt: day0("2021-10-07")}, StageNegotiating, true},
		{"recorded before the signature was logged", Cut{RecordedBy: day0("2023-02-01")}, StageAgreedInPrinciple, true},
		{"recorded after", Cut{RecordedBy: day0("2023-03-01").Add(12 * time.Hour)}, StageSigned, true},
	}
	for _, tt := range tests {
		st, ok := s.Agreements.Get(ukjp, tt.cut)
		if ok != tt.ok || st.Stage != tt.want {
			t.Errorf("%s: stage %q ok %v, want %q %v", tt.name, st.Stage, ok, tt.want, tt.ok)
		}
		all := s.Agreements.At(tt.cut)
		if (len(all) == 1) != tt.ok {
			t.Errorf("%s: At has %d agreements", tt.name, len(all))
		}
	}
	st, _ := s.Agreements.Get(ukjp, Cut{AsOf: day0("2023-02-01"), KnownAt: day0("2022-11-30")})
	if st.DaysInStage != 272 {
		t.Errorf("days in stage = %d, want 272 (2022-05-05 to 2023-02-01)", st.DaysInStage)
	}
}

func TestCutIncludes(t *testing.T) {
	c := events.NewCodec()
	e := ev(t, c, "e", "2023-01", "2023-02-10", lifecycle(t, events.TypeAgreementSigned, ref(ukjp)))
	e.RecordedAt = time.Date(2023, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		cut  Cut
		want bool
	}{
		{Cut{}, true},
		{Cut{AsOf: day0("2023-01-01")}, true}, // a month counts from its first day
		{Cut{AsOf: day0("2022-12-31").Add(23 * time.Hour)}, false},
		{Cut{KnownAt: day0("2023-02-09")}, false},
		{Cut{KnownAt: day0("2023-02-10")}, true},
		{Cut{RecordedBy: e.RecordedAt}, true},
		{Cut{RecordedBy: e.RecordedAt.Add(-time.Nanosecond)}, false},
	}
	for _, tt := range tests {
		if got := tt.cut.Includes(&e); got != tt.want {
			t.Errorf("%+v: Includes = %v", tt.cut, got)
		}
	}
	if !(Cut{AsOf: day0("2020-01-01")}).Knows(&e) {
		t.Error("Knows looks at AsOf")
	}
	if r, ok := (Cut{KnownAt: day0("2020-01-01")}).Reference(); !ok || !r.Equal(day0("2020-01-01")) {
		t.Error("Reference")
	}
}

func TestPartialDates(t *testing.T) {
	c := events.NewCodec()
	r := ref(ukjp, "GBR", "JPN")
	evs := []events.Event{
		ev(t, c, "o", "2021", "", lifecycle(t, events.TypeTalksOpened, r)),
		ev(t, c, "a", "2022-05", "", lifecycle(t, events.TypeAgreedInPrinciple, r)),
		ev(t, c, "a2", "2022-05-01", "", lifecycle(t, events.TypeTextInitialled, r)), // same first day, finer: sorts after
	}
	s := NewSet(c)
	applyAll(t, s, evs)
	for _, tt := range []struct {
		asOf  string
		stage Stage
		since string
		days  int
	}{
		{"2021-01-01", StageNegotiating, "2021", 0},
		{"2022-04-30", StageNegotiating, "2021", 484},
		{"2022-05-01", StageAgreedInPrinciple, "2022-05", 0},
		{"2022-05-31", StageAgreedInPrinciple, "2022-05", 30},
	} {
		st, _ := s.Agreements.Get(ukjp, Cut{AsOf: day0(tt.asOf)})
		if st.Stage != tt.stage || st.Since.String() != tt.since || st.DaysInStage != tt.days {
			t.Errorf("as of %s: %q since %s days %d; want %q %s %d", tt.asOf, st.Stage, st.Since, st.DaysInStage, tt.stage, tt.since, tt.days)
		}
	}
	if _, ok := s.Agreements.Get(ukjp, Cut{AsOf: day0("2020-12-31")}); ok {
		t.Error("visible before 2021")
	}
}

func TestRetractionsAndCorrections(t *testing.T) {
	c := events.NewCodec()
	r := ref(ukjp, "GBR", "JPN")
	sign := ev(t, c, "sign", "2023-01-11", "", lifecycle(t, events.TypeAgreementSigned, r))
	open := ev(t, c, "open", "2021-10-07", "", lifecycle(t, events.TypeTalksOpened, r))
	rumour := ev(t, c, "rumour", "2022-06-01", "", lifecycle(t, events.TypeAgreedInPrinciple, r))
	retr := ev(t, c, "retr", "2022-07-01", "2022-07-01", &events.EventRetracted{Target: "rumour", Agreement: ukjp})
	// The retraction of the retraction restores the rumour.
	unretr := ev(t, c, "unretr", "2022-08-01", "", &events.EventRetracted{Target: "retr", Agreement: ukjp})
	// A correction moves the signature to 2023-02-01.
	fix := ev(t, c, "fix", "2023-01-20", "", &events.EventCorrected{Target: "sign", OccurredAt: events.MustDate("2023-02-01"), Agreement: ukjp})
	appJ := ev(t, c, "appr", "2023-04-01", "", approval(r, "JPN", "Diet"))
	fixData := ev(t, c, "fixdata", "2023-04-10", "", &events.EventCorrected{Target: "appr", Data: []byte(`{"agreement":"gbr-jpn-raa","party":"GBR","body":"Parliament"}`), Agreement: ukjp})
	badData := ev(t, c, "bad", "2023-04-11", "", &events.EventCorrected{Target: "appr", Data: []byte(`{"agreement":"gbr-jpn-raa","nonsense":1}`), Agreement: ukjp})

	tests := []struct {
		name  string
		evs   []events.Event
		cut   Cut
		stage Stage
		check func(t *testing.T, st AgreementState)
	}{
		{"retracted", []events.Event{open, rumour, retr}, Cut{}, StageNegotiating, nil},
		{"retraction before its target", []events.Event{retr, open, rumour}, Cut{}, StageNegotiating, nil},
		{"retraction not yet known", []events.Event{open, rumour, retr}, Cut{KnownAt: day0("2022-06-15")}, StageAgreedInPrinciple, nil},
		{"retraction applies at every valid time", []events.Event{open, rumour, retr}, Cut{AsOf: day0("2022-06-15")}, StageNegotiating, nil},
		{"retraction retracted", []events.Event{open, rumour, retr, unretr}, Cut{}, StageAgreedInPrinciple, nil},
		{"retraction retracted, not yet known", []events.Event{unretr, open, rumour, retr}, Cut{KnownAt: day0("2022-07-15")}, StageNegotiating, nil},
		{"corrected date", []events.Event{open, sign, fix}, Cut{AsOf: day0("2023-01-15")}, StageNegotiating, nil},
		{"correction not yet known", []events.Event{open, sign, fix}, Cut{AsOf: day0("2023-01-15"), KnownAt: day0("2023-01-15")}, StageSigned, nil},
		{"corrected date, later", []events.Event{fix, sign, open}, Cut{}, StageSigned, func(t *testing.T, st AgreementState) {
			if st.Since.String() != "2023-02-01" {
				t.Errorf("since %s", st.Since)
			}
		}},
		{"corrected data", []events.Event{sign, appJ, fixData}, Cut{}, StageSigned, func(t *testing.T, st AgreementState) {
			if st.Approvals[0].Pending || !st.Approvals[1].Pending || st.Approvals[0].Body != "Parliament" {
				t.Errorf("approvals %+v", st.Approvals)
			}
		}},
		{"undecodable correction data is ignored", []events.Event{sign, appJ, badData}, Cut{}, StageSigned, func(t *testing.T, st AgreementState) {
			if st.Approvals[1].Pending {
				t.Errorf("approvals %+v", st.Approvals)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, rev := range []bool{false, true} {
				evs := slices.Clone(tt.evs)
				if rev {
					slices.Reverse(evs)
				}
				s := NewSet(c)
				// query between events so that the cache takes every path
				for i := range evs {
					if err := s.Apply(&evs[i]); err != nil {
						t.Fatal(err)
					}
					s.Agreements.At(Cut{})
				}
				st, _ := s.Agreements.Get(ukjp, tt.cut)
				if st.Stage != tt.stage {
					t.Errorf("reverse=%v: stage %q, want %q (transitions %v)", rev, st.Stage, tt.stage, stagesOf(st))
				}
				if tt.check != nil {
					tt.check(t, st)
				}
			}
		})
	}
}

func TestApplyErrorsAndDuplicates(t *testing.T) {
	c := events.NewCodec()
	s := NewSet(c)
	for _, e := range []*events.Event{
		nil,
		{ID: "x", OccurredAt: events.MustDate("2020")},
		{ID: "x", Data: &events.TalksOpened{AgreementRef: ref(ukjp)}},
		{ID: "x", Type: "agreement_signed", Data: &events.TalksOpened{AgreementRef: ref(ukjp)}, OccurredAt: events.MustDate("2020")},
		{ID: "x", Data: &events.ElectionHeld{}, OccurredAt: events.MustDate("2020")},
	} {
		if err := s.Apply(e); !errors.Is(err, events.ErrInvalid) {
			t.Errorf("%+v: err = %v", e, err)
		}
	}
	if s.Len() != 0 {
		t.Errorf("len %d after errors", s.Len())
	}
	e := ev(t, c, "o", "2021-10-07", "", lifecycle(t, events.TypeTalksOpened, ref(ukjp)))
	for range 3 {
		if err := s.Apply(&e); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := s.Agreements.Get(ukjp, Cut{})
	if st.Events != 1 || s.Len() != 1 {
		t.Errorf("duplicate counted: %d %d", st.Events, s.Len())
	}
	// An event without id gets the id Normalize would give it.
	raw := events.Event{Data: &events.TalksOpened{AgreementRef: ref(ukjp)}, OccurredAt: events.MustDate("2021-10-07"),
		Source: e.Source, Confidence: events.Confirmed}
	norm := raw
	if err := events.Normalize(c, &norm); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(&raw); err != nil {
		t.Fatal(err)
	}
	tl := s.Timeline.Agreement(ukjp, Cut{})
	if len(tl) != 2 || (tl[0].ID != norm.ID && tl[1].ID != norm.ID) {
		t.Errorf("derived id: %+v, want %s", tl, norm.ID)
	}
	if raw.ID != "" {
		t.Error("Apply modified the event")
	}
}
