package events

import (
	"regexp"
	"slices"
)

// oracle is the validation of events as it was written with regular
// expressions, kept as a test oracle for the hand-written byte checks:
// Validate must accept and reject exactly what it does, with the same
// errors. The one difference is deliberate: the old Validate checked
// source.publication, source.title, source.url and analyst (and the two
// ids) in the random order of a map, so that of two bad ones either could
// be named; now they are checked in that order, which the oracle follows.
type oracle struct {
	id, stream, slug, country, snake *regexp.Regexp
}

func newOracle() *oracle {
	return &oracle{
		id:      regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`),
		stream:  regexp.MustCompile(`^[a-z][a-z_]*/[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`),
		slug:    regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`),
		country: regexp.MustCompile(`^[A-Z]{3}$`),
		snake:   regexp.MustCompile(`^[a-z][a-z0-9_]*$`),
	}
}

func (o *oracle) validate(e *Event) error {
	if e.ID != "" && !o.id.MatchString(e.ID) {
		return invalid("id", "%q is not an id (1 to 128 letters, digits, '.', '_', ':' or '-')", clip(e.ID))
	}
	if e.Data == nil {
		return invalid("data", "is required")
	}
	if err := o.payload(e.Data); err != nil {
		return prefixField("data", err)
	}
	if e.Stream == "" {
		return invalid("stream", "is required for %s when data names no agreement or country", e.Type)
	}
	if !o.stream.MatchString(e.Stream) {
		return invalid("stream", "%q is not a stream name (kind/name, e.g. agreement/gbr-jpn-raa)", clip(e.Stream))
	}
	if e.OccurredAt.IsZero() {
		return invalid("occurred_at", "is required")
	}
	if !e.ReportedAt.IsZero() && e.ReportedAt.Before(e.OccurredAt) && e.ReportedAt.Day.Before(e.OccurredAt.Day) {
		return invalid("reported_at", "%s is before occurred_at %s: a fact cannot be reported before it happened", e.ReportedAt, e.OccurredAt)
	}
	if e.Source.Publication == "" {
		return invalid("source.publication", "is required: every event carries its evidence")
	}
	if e.Source.Title == "" && e.Source.URL == "" {
		return invalid("source.title", "a source needs a title or a url")
	}
	if e.Source.Date.IsZero() {
		return invalid("source.date", "is required")
	}
	for _, f := range [][2]string{{"source.publication", e.Source.Publication}, {"source.title", e.Source.Title}, {"source.url", e.Source.URL}, {"analyst", e.Analyst}} {
		if err := o.text(f[0], f[1]); err != nil {
			return err
		}
	}
	if e.Source.URL != "" && !hasPrefix(e.Source.URL, "https://") && !hasPrefix(e.Source.URL, "http://") {
		return invalid("source.url", "%q is not an http(s) URL", clip(e.Source.URL))
	}
	if e.Confidence == "" {
		return invalid("confidence", "is required (confirmed, reported or rumoured)")
	}
	if !e.Confidence.Valid() {
		return invalid("confidence", "%q is not one of confirmed, reported, rumoured", clip(string(e.Confidence)))
	}
	for _, f := range [][2]string{{"correlation_id", e.CorrelationID}, {"causation_id", e.CausationID}} {
		if f[1] != "" && !o.id.MatchString(f[1]) {
			return invalid(f[0], "%q is not an id", clip(f[1]))
		}
	}
	return nil
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func (o *oracle) agreementID(field, id string, required bool) error {
	if id == "" {
		if required {
			return invalid(field, "is required")
		}
		return nil
	}
	if len(id) > 100 || !o.slug.MatchString(id) {
		return invalid(field, "%q is not an agreement id (lower-case parties and kind joined by '-', e.g. gbr-jpn-raa)", clip(id))
	}
	return nil
}

func (o *oracle) countryCode(field, c string, required bool) error {
	if c == "" {
		if required {
			return invalid(field, "is required")
		}
		return nil
	}
	if !o.country.MatchString(c) {
		return invalid(field, "%q is not an ISO 3166 alpha-3 country code (three upper-case letters, e.g. GBR)", clip(c))
	}
	return nil
}

func (o *oracle) requiredText(field, s string) error {
	if s == "" {
		return invalid(field, "is required")
	}
	return o.text(field, s)
}

func (o *oracle) text(field, s string) error {
	if len(s) > maxText {
		return invalid(field, "is %d bytes long; the limit is %d", len(s), maxText)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return invalid(field, "contains a control character (%U)", r)
		}
	}
	return nil
}

func (o *oracle) ref(r *AgreementRef) error {
	if err := o.agreementID("agreement", r.Agreement, true); err != nil {
		return err
	}
	if r.Parties != nil {
		if len(r.Parties) < 2 {
			return invalid("parties", "an agreement has two or more parties, got %d", len(r.Parties))
		}
		seen := map[string]bool{}
		for i, p := range r.Parties {
			f := "parties[" + itoa(i) + "]"
			if err := o.countryCode(f, p, true); err != nil {
				return err
			}
			if seen[p] {
				return invalid(f, "party %s is listed twice", p)
			}
			seen[p] = true
		}
	}
	if r.Kind != "" && !o.snake.MatchString(r.Kind) {
		return invalid("kind", "%q is not a kind (lower-case letters, digits and _)", r.Kind)
	}
	return o.text("title", r.Title)
}

// payload is the Validate method of each payload type.
func (o *oracle) payload(p Payload) error {
	switch p := p.(type) {
	case *AgreementProposed:
		return firstErr(o.ref(&p.AgreementRef), o.countryCode("proposed_by", p.ProposedBy, false))
	case *TalksOpened:
		return firstErr(o.ref(&p.AgreementRef), o.text("location", p.Location))
	case *TalksRoundHeld:
		if p.Round < 0 {
			return invalid("round", "must not be negative")
		}
		return firstErr(o.ref(&p.AgreementRef), o.text("location", p.Location))
	case *TalksStalled:
		return firstErr(o.ref(&p.AgreementRef), o.text("reason", p.Reason))
	case *AgreementSigned:
		if err := firstErr(o.ref(&p.AgreementRef), o.text("location", p.Location)); err != nil {
			return err
		}
		for i, s := range p.Signatories {
			if err := o.requiredText("signatories["+itoa(i)+"]", s); err != nil {
				return err
			}
		}
		return nil
	case *DomesticApprovalCompleted:
		if err := firstErr(o.ref(&p.AgreementRef), o.countryCode("party", p.Party, true), o.requiredText("body", p.Body)); err != nil {
			return err
		}
		if p.Parties != nil && !slices.Contains(p.Parties, p.Party) {
			return invalid("party", "%s is not one of the parties %v", p.Party, p.Parties)
		}
		return nil
	case *Suspended:
		return firstErr(o.ref(&p.AgreementRef), o.countryCode("by", p.By, false), o.text("reason", p.Reason))
	case *Terminated:
		return firstErr(o.ref(&p.AgreementRef), o.countryCode("by", p.By, false), o.text("reason", p.Reason))
	case *Abandoned:
		return firstErr(o.ref(&p.AgreementRef), o.text("reason", p.Reason))
	case *LeadershipChanged:
		if p.Office == "" {
			return firstErr(o.countryCode("country", p.Country, true), invalid("office", "is required (e.g. prime_minister)"))
		}
		if !o.snake.MatchString(p.Office) {
			return firstErr(o.countryCode("country", p.Country, true), invalid("office", "%q is not an office (snake_case, e.g. prime_minister)", clip(p.Office)))
		}
		return firstErr(o.countryCode("country", p.Country, true), o.requiredText("to", p.To),
			o.text("from", p.From), o.text("reason", p.Reason))
	case *ElectionHeld:
		return firstErr(o.countryCode("country", p.Country, true), o.text("body", p.Body),
			o.text("winner", p.Winner), o.text("summary", p.Summary))
	case *GovernmentCollapsed:
		return firstErr(o.countryCode("country", p.Country, true), o.text("reason", p.Reason))
	case *StatementIssued:
		if err := firstErr(o.countryCode("country", p.Country, true), o.agreementID("agreement", p.Agreement, false),
			o.text("speaker", p.Speaker), o.requiredText("summary", p.Summary)); err != nil {
			return err
		}
		switch p.Stance {
		case "", StancePositive, StanceNeutral, StanceNegative, StanceMixed:
			return nil
		}
		return invalid("stance", "%q is not a stance (positive, neutral, negative or mixed)", clip(p.Stance))
	case *ExpectationReported:
		if err := o.agreementID("agreement", p.Agreement, true); err != nil {
			return err
		}
		if p.ExpectedType == "" {
			return invalid("expected_type", "is required (a lifecycle type such as agreement_signed)")
		}
		if !slices.Contains(LifecycleTypes(), p.ExpectedType) {
			return invalid("expected_type", "%q is not an agreement lifecycle type", clip(p.ExpectedType))
		}
		if p.ExpectedBy.IsZero() {
			return invalid("expected_by", "is required (a date, possibly partial)")
		}
		return firstErr(o.requiredText("said_by", p.SaidBy), o.text("summary", p.Summary))
	case *EventRetracted:
		return firstErr(o.requiredText("target", p.Target), o.text("reason", p.Reason),
			o.agreementID("agreement", p.Agreement, false), o.countryCode("country", p.Country, false))
	case *EventCorrected:
		if err := firstErr(o.requiredText("target", p.Target), o.text("reason", p.Reason),
			o.agreementID("agreement", p.Agreement, false), o.countryCode("country", p.Country, false)); err != nil {
			return err
		}
		if p.OccurredAt.IsZero() && len(p.Data) == 0 {
			return invalid("occurred_at", "a correction needs occurred_at or data")
		}
		if len(p.Data) > 0 && (p.Data[0] != '{') {
			return invalid("data", "must be a JSON object")
		}
		return nil
	case *PoliticalEvent:
		if err := firstErr(o.countryCode("country", p.Country, true), o.text("text", p.Text),
			o.agreementID("agreement", p.Agreement, false)); err != nil {
			return err
		}
		for i, a := range p.Actors {
			if err := o.countryCode("actors["+itoa(i)+"]", a, true); err != nil {
				return err
			}
		}
		for i, a := range p.Recipients {
			if err := o.countryCode("recipients["+itoa(i)+"]", a, true); err != nil {
				return err
			}
		}
		return nil
	case *ScenarioSaved:
		if p.Name == "" {
			return invalid("name", "is required")
		}
		if len(p.Name) > 100 || !o.slug.MatchString(p.Name) {
			return invalid("name", "%q is not a scenario name (lower-case letters and digits joined by '-')", clip(p.Name))
		}
		if err := o.text("description", p.Description); err != nil {
			return err
		}
		if p.YAML == "" {
			return invalid("yaml", "is required")
		}
		if len(p.YAML) > MaxScenarioBytes {
			return invalid("yaml", "is %d bytes; the limit is %d", len(p.YAML), MaxScenarioBytes)
		}
		return nil
	case Lifecycle: // the types that are only an AgreementRef
		return o.ref(p.Ref())
	}
	panic("the oracle does not know " + p.EventType())
}
