package interchange

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/accord-dev/accord/events"
)

// Write exports evs in format f, one record per event, in the given order.
// Every record carries the event's own envelope (PLOVER: the "accord"
// object; CSV: the accord_event column), which Read prefers, so an export
// read back reproduces the events: same ids, types, streams, times (with
// their precision), data, evidence and confidence. Store-set fields
// (version, position, recorded_at) are not written. The other fields carry
// the closest CAMEO and PLOVER coding (see MAPPING.md) for other tools.
func Write(c *events.Codec, f Format, w io.Writer, evs []events.Event) error {
	switch f {
	case PLOVER:
		return writePLOVER(c, w, evs)
	case CAMEOCSV:
		return writeCSV(c, w, evs)
	}
	_, err := ParseFormat(string(f))
	return err
}

type outEntity struct {
	Code   string
	Name   string
	Office string
}

// outRecord is the format-neutral export of one event.
type outRecord struct {
	wire               events.WireEvent
	date               events.Date
	actors, recipients []outEntity
	// reciprocal: all parties act together (PLOVER puts them all in actor).
	reciprocal bool
	cameo      string
	plover     []string
	mode       string
	contexts   []string
	goldstein  *float64
	intensity  *float64
	text       string
	location   string
}

// typeCoding is the export coding of an accord type.
type typeCoding struct {
	cameo, plover, mode string
	contexts            []string
}

var (
	diplomatic  = []string{"diplomatic"}
	typeCodings = map[string]typeCoding{
		events.TypeAgreementProposed:         {"036", "AGREE", "", diplomatic},
		events.TypeTalksOpened:               {"036", "AGREE", "", diplomatic},
		events.TypeTalksRoundHeld:            {"046", "CONSULT", "", diplomatic},
		events.TypeTalksStalled:              {"164", "SANCTION", "withdraw", diplomatic},
		events.TypeTalksResumed:              {"046", "CONSULT", "", diplomatic},
		events.TypeAgreedInPrinciple:         {"030", "AGREE", "", diplomatic},
		events.TypeTextInitialled:            {"", "AGREE", "", diplomatic},
		events.TypeAgreementSigned:           {"057", "SUPPORT", "", diplomatic},
		events.TypeDomesticApprovalCompleted: {"", "SUPPORT", "", []string{"diplomatic", "legislative"}},
		events.TypeInstrumentsExchanged:      {"", "SUPPORT", "", diplomatic},
		events.TypeEnteredIntoForce:          {"", "SUPPORT", "", diplomatic},
		events.TypeProvisionallyApplied:      {"", "SUPPORT", "", diplomatic},
		events.TypeSuspended:                 {"160", "SANCTION", "sever", diplomatic},
		events.TypeTerminated:                {"160", "SANCTION", "withdraw", diplomatic},
		events.TypeAbandoned:                 {"164", "SANCTION", "cancel", diplomatic},
		events.TypeLeadershipChanged:         {"", "RETREAT", "resign", []string{"government"}},
		events.TypeElectionHeld:              {"", "", "", []string{"election"}},
		events.TypeGovernmentCollapsed:       {"", "", "", []string{"government"}},
		events.TypeStatementIssued:           {"010", "", "", diplomatic},
		events.TypeExpectationReported:       {"", "", "", []string{"future"}},
		events.TypeEventRetracted:            {},
		events.TypeEventCorrected:            {},
		events.TypeScenarioSaved:             {},
	}
)

// codingOf returns the coding of one event: the type's, adjusted by the
// payload (a statement's stance, a leadership change's reason).
func codingOf(e *events.Event) typeCoding {
	tc := typeCodings[e.Type]
	switch p := e.Data.(type) {
	case *events.StatementIssued:
		switch p.Stance {
		case events.StancePositive:
			tc = typeCoding{"051", "SUPPORT", "", diplomatic}
		case events.StanceNegative:
			tc = typeCoding{"111", "ACCUSE", "", diplomatic}
		}
	case *events.LeadershipChanged:
		if !strings.Contains(strings.ToLower(p.Reason), "resign") {
			tc.plover, tc.mode = "", ""
		}
	case *events.PoliticalEvent:
		tc = typeCoding{cameo: p.CAMEO, plover: p.PloverEvent, mode: p.PloverMode, contexts: p.PloverContext}
		if tc.plover == "" && p.CAMEO != "" {
			tc.plover = ploverOfCAMEO(p.CAMEO)
		}
	}
	return tc
}

// partiesFromAgreementID returns the country codes an agreement id starts
// with ("gbr-jpn-raa" gives GBR, JPN).
func partiesFromAgreementID(id string) []string {
	parts := strings.Split(id, "-")
	var out []string
	for _, p := range parts[:max(0, len(parts)-1)] {
		up := strings.ToUpper(p)
		if _, ok := byAlpha3[up]; ok && len(p) == 3 {
			out = append(out, up)
		}
	}
	return out
}

func ents(codes ...string) []outEntity {
	var out []outEntity
	for _, c := range codes {
		if c != "" {
			out = append(out, outEntity{Code: c})
		}
	}
	return out
}

func without(list []string, x string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == x })
}

// names joins country names: "Japan", "Japan and United Kingdom",
// "Italy, Japan and United Kingdom".
func names(codes []string) string {
	ns := make([]string, len(codes))
	for i, c := range codes {
		ns[i] = countryName(c)
	}
	switch len(ns) {
	case 0:
		return "the parties"
	case 1:
		return ns[0]
	}
	return strings.Join(ns[:len(ns)-1], ", ") + " and " + ns[len(ns)-1]
}

func exportOf(c *events.Codec, e *events.Event) (outRecord, error) {
	w, err := events.ToWire(c, e)
	if err != nil {
		return outRecord{}, err
	}
	w.Version, w.Position, w.RecordedAt = 0, 0, nil
	tc := codingOf(e)
	x := outRecord{wire: w, date: e.OccurredAt, cameo: tc.cameo, mode: tc.mode, contexts: tc.contexts}
	for _, ev := range strings.Split(tc.plover, ",") {
		if ev = strings.TrimSpace(ev); ev != "" {
			x.plover = append(x.plover, ev)
		}
	}
	if tc.cameo != "" {
		if g, ok := Goldstein(tc.cameo); ok {
			x.goldstein = &g
		}
	}

	if l, ok := e.Data.(events.Lifecycle); ok {
		ref := l.Ref()
		parties := ref.Parties
		if len(parties) == 0 {
			parties = partiesFromAgreementID(ref.Agreement)
		}
		kind := ref.Kind
		if kind == "" {
			kind = ref.Agreement[strings.LastIndex(ref.Agreement, "-")+1:]
		}
		x.text, x.location, x.actors, x.recipients, x.reciprocal = lifecycleText(e.Data, parties, kindPhrase(kind))
		if ref.Title != "" {
			x.text += " (" + ref.Title + ")"
		}
		return x, nil
	}

	switch p := e.Data.(type) {
	case *events.LeadershipChanged:
		office := strings.ReplaceAll(p.Office, "_", " ")
		x.actors = []outEntity{{Code: p.Country, Name: p.From, Office: office}}
		switch {
		case p.From != "" && strings.Contains(strings.ToLower(p.Reason), "resign"):
			x.text = fmt.Sprintf("%s resigned as %s of %s and was succeeded by %s", p.From, office, countryName(p.Country), p.To)
		case p.From != "":
			x.text = fmt.Sprintf("%s became %s of %s, succeeding %s", p.To, office, countryName(p.Country), p.From)
		default:
			x.text = fmt.Sprintf("%s became %s of %s", p.To, office, countryName(p.Country))
		}
		if p.Reason != "" {
			x.text += " (" + strings.ReplaceAll(p.Reason, "_", " ") + ")"
		}
	case *events.ElectionHeld:
		x.actors = ents(p.Country)
		x.text = "Election in " + countryName(p.Country)
		if p.Body != "" {
			x.text += " for the " + p.Body
		}
		if p.Winner != "" {
			x.text += ", won by " + p.Winner
		}
		if p.Summary != "" {
			x.text += ": " + p.Summary
		}
	case *events.GovernmentCollapsed:
		x.actors = ents(p.Country)
		x.text = "The government of " + countryName(p.Country) + " collapsed"
		if p.Reason != "" {
			x.text += ": " + p.Reason
		}
	case *events.StatementIssued:
		x.actors = []outEntity{{Code: p.Country, Name: p.Speaker}}
		x.recipients = ents(without(partiesFromAgreementID(p.Agreement), p.Country)...)
		x.text = p.Summary
		if p.Speaker != "" {
			x.text = p.Speaker + ": " + p.Summary
		}
	case *events.ExpectationReported:
		x.actors = ents(partiesFromAgreementID(p.Agreement)...)
		x.reciprocal = true
		x.text = fmt.Sprintf("%s expects %s of %s by %s", p.SaidBy, strings.ReplaceAll(p.ExpectedType, "_", " "), p.Agreement, p.ExpectedBy)
		if p.Summary != "" {
			x.text += ": " + p.Summary
		}
	case *events.EventRetracted:
		x.actors = ents(p.Country)
		if p.Country == "" {
			x.actors = ents(partiesFromAgreementID(p.Agreement)...)
		}
		x.text = "Retraction of event " + p.Target
		if p.Reason != "" {
			x.text += ": " + p.Reason
		}
	case *events.EventCorrected:
		x.actors = ents(p.Country)
		if p.Country == "" {
			x.actors = ents(partiesFromAgreementID(p.Agreement)...)
		}
		x.text = "Correction of event " + p.Target
		if p.Reason != "" {
			x.text += ": " + p.Reason
		}
	case *events.PoliticalEvent:
		actors := p.Actors
		if len(actors) == 0 {
			actors = []string{p.Country}
		}
		x.actors, x.recipients = ents(actors...), ents(p.Recipients...)
		x.goldstein, x.intensity = p.Goldstein, p.Intensity
		x.text = p.Text
		if x.text == "" && p.CAMEO != "" {
			x.text = cameoDescription(p.CAMEO)
		}
	default:
		x.text = e.Type
	}
	return x, nil
}

// lifecycleText describes a lifecycle event in words the import rules
// read back (kind phrases, "negotiations", "sign", "terminates").
func lifecycleText(data events.Payload, parties []string, phrase string) (text, location string, actors, recipients []outEntity, reciprocal bool) {
	all := names(parties)
	actors, reciprocal = ents(parties...), true
	by := func(who string) {
		if who != "" && slices.Contains(parties, who) {
			actors, recipients, reciprocal = ents(who), ents(without(parties, who)...), false
		}
	}
	switch p := data.(type) {
	case *events.AgreementProposed:
		text = "Proposal of negotiations on a " + phrase + " between " + all
		if p.ProposedBy != "" {
			by(p.ProposedBy)
			text = fmt.Sprintf("%s proposes negotiations on a %s with %s", countryName(p.ProposedBy), phrase, names(without(parties, p.ProposedBy)))
		}
	case *events.TalksOpened:
		text, location = all+" agree to open negotiations on a "+phrase, p.Location
	case *events.TalksRoundHeld:
		round := "a round"
		if p.Round > 0 {
			round = fmt.Sprintf("round %d", p.Round)
		}
		text, location = fmt.Sprintf("%s hold %s of negotiations on a %s", all, round, phrase), p.Location
	case *events.TalksStalled:
		text = "Negotiations between " + all + " on a " + phrase + " are halted"
		if p.Reason != "" {
			text += ": " + p.Reason
		}
	case *events.TalksResumed:
		text = all + " resume negotiations on a " + phrase
	case *events.AgreedInPrinciple:
		text = all + " reach agreement in principle on a " + phrase
	case *events.TextInitialled:
		text = all + " initial the text of a " + phrase
	case *events.AgreementSigned:
		text, location = all+" sign a "+phrase, p.Location
		if p.Location != "" {
			text += " in " + p.Location
		}
	case *events.DomesticApprovalCompleted:
		by(p.Party)
		text = fmt.Sprintf("%s completes domestic approval of a %s (%s)", countryName(p.Party), phrase, p.Body)
	case *events.InstrumentsExchanged:
		text = all + " exchange notes bringing a " + phrase + " closer to entry into force"
	case *events.EnteredIntoForce:
		text = "A " + phrase + " between " + all + " enters into force"
	case *events.ProvisionallyApplied:
		text = all + " provisionally apply a " + phrase
	case *events.Suspended:
		text = "The " + phrase + " between " + all + " is suspended"
		if p.By != "" {
			by(p.By)
			text = fmt.Sprintf("%s suspends the %s with %s", countryName(p.By), phrase, names(without(parties, p.By)))
		}
		if p.Reason != "" {
			text += ": " + p.Reason
		}
	case *events.Terminated:
		text = "The " + phrase + " between " + all + " is terminated"
		if p.By != "" {
			by(p.By)
			text = fmt.Sprintf("%s terminates the %s with %s", countryName(p.By), phrase, names(without(parties, p.By)))
		}
		if p.Reason != "" {
			text += ": " + p.Reason
		}
	case *events.Abandoned:
		text = all + " abandon the planned " + phrase
		if p.Reason != "" {
			text += ": " + p.Reason
		}
	default:
		text = data.EventType() + " of a " + phrase + " between " + all
	}
	return text, location, actors, recipients, reciprocal
}
