package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store"
)

// syntheticCountries are the parties of synthetic agreements: 32 real
// countries and 168 user-assigned codes (ISO 3166 keeps XAA to XZZ for
// those), so that, as in a real history, no one stream is very long.
var syntheticCountries = func() []string {
	cs := []string{
		"AUS", "BRA", "CAN", "CHL", "DEU", "ESP", "EST", "FIN", "FRA", "GBR", "GRC", "IDN", "IND", "ITA",
		"JPN", "KOR", "LTU", "MEX", "MYS", "NLD", "NOR", "NZL", "PHL", "POL", "PRT", "SGP", "SWE", "THA",
		"TUR", "USA", "VNM", "ZAF",
	}
	for i := 0; len(cs) < 200; i++ {
		cs = append(cs, "X"+string(rune('A'+i/26))+string(rune('A'+i%26)))
	}
	return cs
}()

// maxOpenAgreements bounds the agreements under way at once.
const maxOpenAgreements = 400

var syntheticKinds = []string{"raa", "acsa", "isa", "dca", "sofa", "fta"}

// synthetic returns n valid events in the shape of a real history:
// agreements between two or three countries going through their lifecycle
// (proposals, talks, rounds, stalls, agreement in principle, signature,
// approval by each party, entry into force, sometimes abandonment),
// leadership changes and elections, statements and expectations, and
// retractions and corrections of earlier events. It is deterministic for a
// seed; ids are "syn-<seed>-<n>".
func synthetic(seed uint64, n int) []events.Event {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]events.Event, 0, n)
	type agr struct {
		id      string
		parties []string
		step    int
		day     time.Time
		rounds  int
	}
	var open []*agr
	leader := map[string]int{}
	nextID := 0
	day := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	emit := func(data events.Payload, at time.Time, prec events.Precision) *events.Event {
		nextID++
		d := events.DayOf(at)
		switch prec {
		case events.PrecisionMonth:
			d = events.Date{Day: time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC), Precision: prec}
		case events.PrecisionYear:
			d = events.Date{Day: time.Date(at.Year(), 1, 1, 0, 0, 0, 0, time.UTC), Precision: prec}
		}
		e := events.Event{
			ID:         fmt.Sprintf("syn-%d-%d", seed, nextID),
			Data:       data,
			OccurredAt: d,
			Source: events.Source{Publication: []string{"Kyodo", "Reuters", "GOV.UK", "Example Daily"}[nextID%4],
				Title: fmt.Sprintf("Report %d", nextID), Date: d},
			Confidence: []events.Confidence{events.Confirmed, events.Reported, events.Rumoured}[rng.IntN(3)],
		}
		if rng.IntN(10) == 0 {
			// Reported later than it happened (secret talks revealed).
			e.ReportedAt = events.DayOf(at.AddDate(0, 0, 30+rng.IntN(300)))
		}
		out = append(out, e)
		return &out[len(out)-1]
	}
	precision := func() events.Precision {
		switch rng.IntN(10) {
		case 0:
			return events.PrecisionYear
		case 1, 2:
			return events.PrecisionMonth
		}
		return events.PrecisionDay
	}
	for len(out) < n {
		if rng.IntN(20) == 0 {
			day = day.AddDate(0, 0, 1+rng.IntN(3)) // 200,000 events span about 55 years
		}
		switch r := rng.IntN(100); {
		case (r < 8 && len(open) < maxOpenAgreements) || len(open) < 20:
			k := 2 + rng.IntN(2)
			ps := make([]string, 0, k)
			for len(ps) < k {
				c := syntheticCountries[rng.IntN(len(syntheticCountries))]
				if !slices.Contains(ps, c) {
					ps = append(ps, c)
				}
			}
			slices.Sort(ps)
			kind := syntheticKinds[rng.IntN(len(syntheticKinds))]
			id := strings.ToLower(strings.Join(ps, "-")) + "-" + kind + fmt.Sprint(nextID)
			a := &agr{id: id, parties: ps, day: day}
			open = append(open, a)
			ref := events.AgreementRef{Agreement: id, Parties: ps, Kind: kind, Title: "Synthetic " + strings.ToUpper(kind) + " " + strings.Join(ps, "–")}
			if rng.IntN(2) == 0 {
				emit(&events.AgreementProposed{AgreementRef: ref, ProposedBy: ps[0]}, day, precision())
			} else {
				emit(&events.TalksOpened{AgreementRef: ref}, day, precision())
				a.step = 1
			}
		case r < 70:
			i := rng.IntN(len(open))
			a := open[i]
			a.day = maxTime(a.day, day).AddDate(0, 0, 1+rng.IntN(20))
			ref := events.AgreementRef{Agreement: a.id}
			switch a.step {
			case 0:
				emit(&events.TalksOpened{AgreementRef: ref}, a.day, precision())
			case 1:
				if a.rounds < 3 && rng.IntN(2) == 0 {
					a.rounds++
					emit(&events.TalksRoundHeld{AgreementRef: ref, Round: a.rounds, Location: "Tokyo"}, a.day, events.PrecisionDay)
					continue
				}
				if rng.IntN(8) == 0 {
					emit(&events.TalksStalled{AgreementRef: ref, Reason: "disagreement over jurisdiction"}, a.day, precision())
					continue
				}
				if rng.IntN(25) == 0 {
					emit(&events.Abandoned{AgreementRef: ref}, a.day, precision())
					open = slices.Delete(open, i, i+1)
					continue
				}
				emit(&events.AgreedInPrinciple{AgreementRef: ref}, a.day, precision())
			case 2:
				emit(&events.AgreementSigned{AgreementRef: ref, Location: "London", Signatories: []string{"Signer A", "Signer B"}}, a.day, events.PrecisionDay)
			default:
				if k := a.step - 3; k < len(a.parties) {
					emit(&events.DomesticApprovalCompleted{AgreementRef: ref, Party: a.parties[k], Body: "Parliament of " + a.parties[k]}, a.day, precision())
				} else {
					emit(&events.EnteredIntoForce{AgreementRef: ref}, a.day, events.PrecisionDay)
					open = slices.Delete(open, i, i+1)
					continue
				}
			}
			a.step++
		case r < 80:
			c := syntheticCountries[rng.IntN(len(syntheticCountries))]
			office := []string{"prime_minister", "foreign_minister", "defence_minister"}[rng.IntN(3)]
			leader[c+office]++
			n := leader[c+office]
			emit(&events.LeadershipChanged{Country: c, Office: office, From: fmt.Sprintf("%s %s %d", c, office, n-1), To: fmt.Sprintf("%s %s %d", c, office, n), Reason: "resignation"}, day, precision())
		case r < 84:
			c := syntheticCountries[rng.IntN(len(syntheticCountries))]
			emit(&events.ElectionHeld{Country: c, Body: "House", Winner: "Party " + fmt.Sprint(rng.IntN(5)), Summary: "general election"}, day, precision())
		case r < 92:
			a := open[rng.IntN(len(open))]
			emit(&events.StatementIssued{Country: a.parties[0], Agreement: a.id, Speaker: "Spokesperson", Stance: []string{events.StancePositive, events.StanceNeutral, events.StanceNegative, events.StanceMixed}[rng.IntN(4)], Summary: "statement on " + a.id}, day, events.PrecisionDay)
		case r < 96:
			a := open[rng.IntN(len(open))]
			by := day.AddDate(0, 2+rng.IntN(12), 0)
			emit(&events.ExpectationReported{Agreement: a.id, ExpectedType: events.TypeAgreementSigned, ExpectedBy: events.Date{Day: time.Date(by.Year(), by.Month(), 1, 0, 0, 0, 0, time.UTC), Precision: events.PrecisionMonth}, SaidBy: "officials", Summary: "expected to sign"}, day, events.PrecisionDay)
		default:
			// Retract or correct an earlier event of an agreement.
			if len(out) < 10 {
				continue
			}
			target := out[rng.IntN(len(out))]
			ap, ok := target.Data.(events.AgreementPayload)
			if !ok || target.Type == events.TypeEventCorrected || target.Type == events.TypeEventRetracted {
				continue
			}
			at := maxTime(day, target.KnownAt().Day)
			if rng.IntN(2) == 0 {
				emit(&events.EventRetracted{Target: target.ID, Reason: "report withdrawn", Agreement: ap.AgreementID()}, at, events.PrecisionDay)
			} else {
				emit(&events.EventCorrected{Target: target.ID, OccurredAt: events.DayOf(target.OccurredAt.Day.AddDate(0, 0, 3)), Reason: "date corrected", Agreement: ap.AgreementID()}, at, events.PrecisionDay)
			}
		}
	}
	return out[:n]
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// loadHistory imports the bundled history and then n synthetic events into
// s, in chunks, and returns the log's head.
func loadHistory(t *testing.T, s store.Store, n int, seed uint64) int64 {
	t.Helper()
	ctx := context.Background()
	hist, err := dataset.History(events.NewCodec())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, hist, nil); err != nil {
		t.Fatalf("import the bundled history: %v", err)
	}
	syn := synthetic(seed, n)
	const chunk = 20000
	for i := 0; i < len(syn); i += chunk {
		res, err := s.Import(ctx, syn[i:min(i+chunk, len(syn))], nil)
		if err != nil {
			t.Fatalf("import synthetic events %d..: %v", i, err)
		}
		if res.Duplicates != 0 {
			t.Fatalf("synthetic events %d..: %d duplicates", i, res.Duplicates)
		}
	}
	h, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len(hist) + n); h != want {
		t.Fatalf("head %d after loading, want %d", h, want)
	}
	return h
}
