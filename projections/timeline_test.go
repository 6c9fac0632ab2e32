package projections

import (
	"slices"
	"testing"

	"github.com/accord-dev/accord/events"
)

func TestTimeline(t *testing.T) {
	c := events.NewCodec()
	r := ref(ukjp, "GBR", "JPN")
	evs := []events.Event{
		// arrival order is not valid-time order
		ev(t, c, "sign", "2023-01-11", "", &events.AgreementSigned{AgreementRef: r, Location: "London"}),
		ev(t, c, "sunak", "2022-10-25", "", leader("GBR", "prime_minister", "Truss", "Sunak")),
		ev(t, c, "open", "2021-10", "2022-01-15", &events.TalksOpened{AgreementRef: r}),
		ev(t, c, "truss", "2022-09-06", "", leader("GBR", "prime_minister", "Johnson", "Truss")),
		ev(t, c, "round", "2022-03-01", "", &events.TalksRoundHeld{AgreementRef: r, Round: 2, Location: "Tokyo"}),
		ev(t, c, "appr", "2023-04-28", "", approval(r, "JPN", "National Diet")),
		ev(t, c, "phl", "2023-11-03", "", lifecycle(t, events.TypeTalksOpened, ref("jpn-phl-raa", "JPN", "PHL"))),
		ev(t, c, "gone", "2022-06-01", "", lifecycle(t, events.TypeAgreedInPrinciple, r)),
		ev(t, c, "retr", "2022-07-01", "", &events.EventRetracted{Target: "gone", Agreement: ukjp}),
		ev(t, c, "fix", "2022-04-01", "", &events.EventCorrected{Target: "round", OccurredAt: events.MustDate("2022-02-20"), Agreement: ukjp}),
		ev(t, c, "exp", "2022-11-15", "", &events.ExpectationReported{Agreement: ukjp, ExpectedType: events.TypeAgreementSigned, ExpectedBy: events.MustDate("2023-01"), SaidBy: "Kyodo"}),
		ev(t, c, "stmt", "2022-12-01", "", &events.StatementIssued{Country: "GBR", Speaker: "MoD", Stance: events.StancePositive, Summary: "talks going well"}),
	}
	s := NewSet(c)
	applyAll(t, s, evs)
	ids := func(es []Entry) []string {
		out := []string{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	tl := s.Timeline.Agreement(ukjp, Cut{})
	if got, want := ids(tl), []string{"open", "round", "exp", "sign", "appr"}; !slices.Equal(got, want) {
		t.Errorf("agreement timeline %v, want %v", got, want)
	}
	sums := map[string]string{}
	for _, e := range tl {
		sums[e.ID] = e.Summary
	}
	if sums["sign"] != "signed in London" || sums["round"] != "round 2 of talks held in Tokyo" ||
		sums["appr"] != "JPN completed domestic approval (National Diet)" || sums["exp"] != "Kyodo expects agreement signed by 2023-01" {
		t.Errorf("summaries %v", sums)
	}
	if !tl[1].Corrected || tl[1].OccurredAt.String() != "2022-02-20" || tl[0].Corrected {
		t.Errorf("correction flags %+v", tl[:2])
	}
	if tl[0].ReportedAt.String() != "2022-01-15" || tl[0].OccurredAt.String() != "2021-10" || tl[0].Stream != "agreement/"+ukjp {
		t.Errorf("entry %+v", tl[0])
	}
	// GBR: its own stream and the agreements it is party to, merged.
	tl = s.Timeline.Country("GBR", Cut{})
	if got, want := ids(tl), []string{"open", "round", "truss", "sunak", "exp", "stmt", "sign", "appr"}; !slices.Equal(got, want) {
		t.Errorf("country timeline %v, want %v", got, want)
	}
	if tl[2].Summary != "Truss succeeded Johnson as prime_minister" || tl[5].Summary != "MoD (positive): talks going well" {
		t.Errorf("summaries %q %q", tl[2].Summary, tl[5].Summary)
	}
	// JPN sees both agreements, PHL only its own.
	if got := ids(s.Timeline.Country("PHL", Cut{})); !slices.Equal(got, []string{"phl"}) {
		t.Errorf("PHL %v", got)
	}
	if got := ids(s.Timeline.Country("JPN", Cut{AsOf: day0("2022-10-01")})); !slices.Equal(got, []string{"open", "round"}) {
		t.Errorf("JPN as of 2022-10 %v", got)
	}
	// Before the retraction was reported, the retracted event is there;
	// before the correction, the round is in March.
	tl = s.Timeline.Agreement(ukjp, Cut{KnownAt: day0("2022-06-15")})
	if got := ids(tl); !slices.Equal(got, []string{"open", "round", "gone"}) || tl[1].OccurredAt.String() != "2022-02-20" {
		t.Errorf("known at 2022-06-15: %v %s", got, tl[1].OccurredAt)
	}
	tl = s.Timeline.Agreement(ukjp, Cut{KnownAt: day0("2022-03-15")})
	if got := ids(tl); !slices.Equal(got, []string{"open", "round"}) || tl[1].OccurredAt.String() != "2022-03-01" || tl[1].Corrected {
		t.Errorf("known at 2022-03-15: %v %+v", got, tl[1])
	}
	if got := s.Timeline.Agreement("nope-xyz-raa", Cut{}); got == nil || len(got) != 0 {
		t.Errorf("unknown agreement %v", got)
	}
	js := mustJSON(t, s.Timeline.Stream("country/GBR", Cut{AsOf: day0("2022-09-30")}))
	want := `[{"occurred_at":"2022-09-06","reported_at":"2022-09-06","type":"leadership_changed","stream":"country/GBR","id":"truss",` +
		`"summary":"Truss succeeded Johnson as prime_minister","source":{"publication":"Test Wire","title":"report truss","url":"https://example.org/truss","date":"2022-09-06"},"confidence":"confirmed"}]`
	if js != want {
		t.Errorf("json\n got %s\nwant %s", js, want)
	}
}
