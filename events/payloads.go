package events

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Payload is the typed data of an event. Every payload type is a struct in
// this package named in the past tense; Codec maps type names to them.
type Payload interface {
	// EventType returns the stable type name, e.g. "agreement_signed".
	EventType() string
	// Validate checks the payload alone; errors are *FieldError with the
	// field named relative to the payload ("parties[1]").
	Validate() error
	// StreamName returns the stream the event belongs to when the
	// envelope names none ("agreement/gbr-jpn-raa", "country/GBR"), or ""
	// when it cannot be derived.
	StreamName() string
}

// The event type names.
const (
	TypeAgreementProposed         = "agreement_proposed"
	TypeTalksOpened               = "talks_opened"
	TypeTalksRoundHeld            = "talks_round_held"
	TypeTalksStalled              = "talks_stalled"
	TypeTalksResumed              = "talks_resumed"
	TypeAgreedInPrinciple         = "agreed_in_principle"
	TypeTextInitialled            = "text_initialled"
	TypeAgreementSigned           = "agreement_signed"
	TypeDomesticApprovalCompleted = "domestic_approval_completed"
	TypeInstrumentsExchanged      = "instruments_exchanged"
	TypeEnteredIntoForce          = "entered_into_force"
	TypeProvisionallyApplied      = "provisionally_applied"
	TypeSuspended                 = "suspended"
	TypeTerminated                = "terminated"
	TypeAbandoned                 = "abandoned"

	TypeLeadershipChanged   = "leadership_changed"
	TypeElectionHeld        = "election_held"
	TypeGovernmentCollapsed = "government_collapsed"
	TypeStatementIssued     = "statement_issued"
	TypeExpectationReported = "expectation_reported"

	TypeEventRetracted = "event_retracted"
	TypeEventCorrected = "event_corrected"

	TypePoliticalEvent = "political_event"
)

// LifecycleTypes lists the agreement lifecycle types in their usual order.
func LifecycleTypes() []string {
	return []string{
		TypeAgreementProposed, TypeTalksOpened, TypeTalksRoundHeld, TypeTalksStalled,
		TypeTalksResumed, TypeAgreedInPrinciple, TypeTextInitialled, TypeAgreementSigned,
		TypeDomesticApprovalCompleted, TypeInstrumentsExchanged, TypeEnteredIntoForce,
		TypeProvisionallyApplied, TypeSuspended, TypeTerminated, TypeAbandoned,
	}
}

// IsLifecycleType reports whether t is an agreement lifecycle type.
func IsLifecycleType(t string) bool {
	switch t {
	case TypeAgreementProposed, TypeTalksOpened, TypeTalksRoundHeld, TypeTalksStalled,
		TypeTalksResumed, TypeAgreedInPrinciple, TypeTextInitialled, TypeAgreementSigned,
		TypeDomesticApprovalCompleted, TypeInstrumentsExchanged, TypeEnteredIntoForce,
		TypeProvisionallyApplied, TypeSuspended, TypeTerminated, TypeAbandoned:
		return true
	}
	return false
}

// maxText bounds free-text fields so one event cannot carry a novel.
const maxText = 4096

// AgreementStream returns the stream name of an agreement.
func AgreementStream(id string) string { return "agreement/" + id }

// CountryStream returns the stream name of a country.
func CountryStream(code string) string { return "country/" + code }

// AgreementRef is embedded in every agreement lifecycle payload. Parties,
// Kind and Title are expected on an agreement's first event and may be
// repeated later.
type AgreementRef struct {
	// Agreement is the agreement id: the parties' alpha-3 codes in lower
	// case, sorted, then the kind ("gbr-jpn-raa").
	Agreement string `json:"agreement"`
	// Parties are ISO 3166 alpha-3 codes, two or more.
	Parties []string `json:"parties,omitempty"`
	Kind    string   `json:"kind,omitempty"`
	Title   string   `json:"title,omitempty"`
}

// AgreementID returns the agreement id.
func (r *AgreementRef) AgreementID() string { return r.Agreement }

// StreamName returns "agreement/<id>".
func (r *AgreementRef) StreamName() string {
	if r.Agreement == "" {
		return ""
	}
	return AgreementStream(r.Agreement)
}

// Validate checks the id, the parties and the text lengths.
func (r *AgreementRef) Validate() error {
	if err := checkAgreementID("agreement", r.Agreement, true); err != nil {
		return err
	}
	if r.Parties != nil {
		if len(r.Parties) < 2 {
			return invalid("parties", "an agreement has two or more parties, got %d", len(r.Parties))
		}
		again := firstRepeat(r.Parties)
		for i, p := range r.Parties {
			if err := checkCountry("", p, true); err != nil {
				return atIndex(err, "parties", i)
			}
			if i == again {
				return invalid("parties["+itoa(i)+"]", "party %s is listed twice", p)
			}
		}
	}
	if r.Kind != "" && !validSnake(r.Kind) {
		return invalid("kind", "%q is not a kind (lower-case letters, digits and _)", r.Kind)
	}
	return checkText("title", r.Title)
}

func checkAgreementID(field, id string, required bool) error {
	if id == "" {
		if required {
			return invalid(field, "is required")
		}
		return nil
	}
	if len(id) > 100 || !validSlug(id) {
		return invalid(field, "%q is not an agreement id (lower-case parties and kind joined by '-', e.g. gbr-jpn-raa)", clip(id))
	}
	return nil
}

func checkCountry(field, c string, required bool) error {
	if c == "" {
		if required {
			return invalid(field, "is required")
		}
		return nil
	}
	if !validCountry(c) {
		return invalid(field, "%q is not an ISO 3166 alpha-3 country code (three upper-case letters, e.g. GBR)", clip(c))
	}
	return nil
}

func checkRequiredText(field, s string) error {
	if s == "" {
		return invalid(field, "is required")
	}
	return checkText(field, s)
}

func checkText(field, s string) error {
	if len(s) > maxText {
		return invalid(field, "is %d bytes long; the limit is %d", len(s), maxText)
	}
	// Control characters are ASCII, so looking at bytes finds the same
	// first one as looking at runes.
	if c, ok := firstControl(s); ok {
		return invalid(field, "contains a control character (%U)", rune(c))
	}
	return nil
}

// atIndex returns err, from a check of element i of the list field made
// with an empty field name, with its field named "list[i]". The name is
// built only for an error, which keeps the common path free of
// allocations.
func atIndex(err error, list string, i int) error {
	if fe, ok := err.(*FieldError); ok {
		fe.Field = list + "[" + itoa(i) + "]"
	}
	return err
}

// firstRepeat returns the index of the first element of list that is equal
// to an earlier one, or -1.
func firstRepeat(list []string) int {
	if len(list) <= 16 {
		for i := 1; i < len(list); i++ {
			if slices.Contains(list[:i], list[i]) {
				return i
			}
		}
		return -1
	}
	seen := make(map[string]bool, len(list))
	for i, s := range list {
		if seen[s] {
			return i
		}
		seen[s] = true
	}
	return -1
}

// clip shortens untrusted values quoted back in error messages, at a rune
// boundary so that the message stays valid UTF-8.
func clip(s string) string {
	if len(s) > 60 {
		cut := 60
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}

func itoa(i int) string { return strconv.Itoa(i) }

// AgreementProposed: a party proposed an agreement.
type AgreementProposed struct {
	AgreementRef
	ProposedBy string `json:"proposed_by,omitempty"`
}

// EventType returns "agreement_proposed".
func (*AgreementProposed) EventType() string { return TypeAgreementProposed }

// Validate checks the reference and the proposer.
func (p *AgreementProposed) Validate() error {
	return firstErr(p.AgreementRef.Validate(), checkCountry("proposed_by", p.ProposedBy, false))
}

// TalksOpened: negotiations began.
type TalksOpened struct {
	AgreementRef
	Location string `json:"location,omitempty"`
}

// EventType returns "talks_opened".
func (*TalksOpened) EventType() string { return TypeTalksOpened }

// Validate checks the reference.
func (p *TalksOpened) Validate() error {
	return firstErr(p.AgreementRef.Validate(), checkText("location", p.Location))
}

// TalksRoundHeld: a round of negotiations took place.
type TalksRoundHeld struct {
	AgreementRef
	Round    int    `json:"round,omitempty"`
	Location string `json:"location,omitempty"`
}

// EventType returns "talks_round_held".
func (*TalksRoundHeld) EventType() string { return TypeTalksRoundHeld }

// Validate checks the reference and the round number.
func (p *TalksRoundHeld) Validate() error {
	if p.Round < 0 {
		return invalid("round", "must not be negative")
	}
	return firstErr(p.AgreementRef.Validate(), checkText("location", p.Location))
}

// TalksStalled: negotiations stopped making progress or were halted.
type TalksStalled struct {
	AgreementRef
	Reason string `json:"reason,omitempty"`
}

// EventType returns "talks_stalled".
func (*TalksStalled) EventType() string { return TypeTalksStalled }

// Validate checks the reference.
func (p *TalksStalled) Validate() error {
	return firstErr(p.AgreementRef.Validate(), checkText("reason", p.Reason))
}

// TalksResumed: stalled negotiations started again.
type TalksResumed struct{ AgreementRef }

// EventType returns "talks_resumed".
func (*TalksResumed) EventType() string { return TypeTalksResumed }

// AgreedInPrinciple: the parties announced agreement in principle.
type AgreedInPrinciple struct{ AgreementRef }

// EventType returns "agreed_in_principle".
func (*AgreedInPrinciple) EventType() string { return TypeAgreedInPrinciple }

// TextInitialled: negotiators initialled the final text.
type TextInitialled struct{ AgreementRef }

// EventType returns "text_initialled".
func (*TextInitialled) EventType() string { return TypeTextInitialled }

// AgreementSigned: the agreement was signed.
type AgreementSigned struct {
	AgreementRef
	Location    string   `json:"location,omitempty"`
	Signatories []string `json:"signatories,omitempty"`
}

// EventType returns "agreement_signed".
func (*AgreementSigned) EventType() string { return TypeAgreementSigned }

// Validate checks the reference and the signatories.
func (p *AgreementSigned) Validate() error {
	if err := firstErr(p.AgreementRef.Validate(), checkText("location", p.Location)); err != nil {
		return err
	}
	for i, s := range p.Signatories {
		if err := checkRequiredText("", s); err != nil {
			return atIndex(err, "signatories", i)
		}
	}
	return nil
}

// DomesticApprovalCompleted: one party finished its domestic procedure
// (a parliament's approval, a senate's concurrence, a laying period).
type DomesticApprovalCompleted struct {
	AgreementRef
	Party string `json:"party"`
	Body  string `json:"body"`
}

// EventType returns "domestic_approval_completed".
func (*DomesticApprovalCompleted) EventType() string { return TypeDomesticApprovalCompleted }

// Validate checks the party (one of Parties when those are given) and body.
func (p *DomesticApprovalCompleted) Validate() error {
	if err := firstErr(p.AgreementRef.Validate(), checkCountry("party", p.Party, true), checkRequiredText("body", p.Body)); err != nil {
		return err
	}
	if p.Parties != nil && !slices.Contains(p.Parties, p.Party) {
		return invalid("party", "%s is not one of the parties %v", p.Party, p.Parties)
	}
	return nil
}

// InstrumentsExchanged: the parties exchanged notes or instruments.
type InstrumentsExchanged struct{ AgreementRef }

// EventType returns "instruments_exchanged".
func (*InstrumentsExchanged) EventType() string { return TypeInstrumentsExchanged }

// EnteredIntoForce: the agreement took effect.
type EnteredIntoForce struct{ AgreementRef }

// EventType returns "entered_into_force".
func (*EnteredIntoForce) EventType() string { return TypeEnteredIntoForce }

// ProvisionallyApplied: the parties apply the agreement before entry into force.
type ProvisionallyApplied struct{ AgreementRef }

// EventType returns "provisionally_applied".
func (*ProvisionallyApplied) EventType() string { return TypeProvisionallyApplied }

// Suspended: the agreement's operation was suspended.
type Suspended struct {
	AgreementRef
	By     string `json:"by,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// EventType returns "suspended".
func (*Suspended) EventType() string { return TypeSuspended }

// Validate checks the reference and who suspended it.
func (p *Suspended) Validate() error {
	return firstErr(p.AgreementRef.Validate(), checkCountry("by", p.By, false), checkText("reason", p.Reason))
}

// Terminated: the agreement ended.
type Terminated struct {
	AgreementRef
	By     string `json:"by,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// EventType returns "terminated".
func (*Terminated) EventType() string { return TypeTerminated }

// Validate checks the reference and who terminated it.
func (p *Terminated) Validate() error {
	return firstErr(p.AgreementRef.Validate(), checkCountry("by", p.By, false), checkText("reason", p.Reason))
}

// Abandoned: the parties gave up on the agreement before it took effect.
type Abandoned struct {
	AgreementRef
	Reason string `json:"reason,omitempty"`
}

// EventType returns "abandoned".
func (*Abandoned) EventType() string { return TypeAbandoned }

// Validate checks the reference.
func (p *Abandoned) Validate() error {
	return firstErr(p.AgreementRef.Validate(), checkText("reason", p.Reason))
}

// LeadershipChanged: a new holder took an office (a new prime minister).
type LeadershipChanged struct {
	Country string `json:"country"`
	Office  string `json:"office"`
	From    string `json:"from,omitempty"`
	To      string `json:"to"`
	Reason  string `json:"reason,omitempty"`
}

// EventType returns "leadership_changed".
func (*LeadershipChanged) EventType() string { return TypeLeadershipChanged }

// StreamName returns "country/<country>".
func (p *LeadershipChanged) StreamName() string { return countryStreamOf(p.Country) }

// Validate checks country, office and the new holder.
func (p *LeadershipChanged) Validate() error {
	if p.Office == "" {
		return firstErr(checkCountry("country", p.Country, true), invalid("office", "is required (e.g. prime_minister)"))
	}
	if !validSnake(p.Office) {
		return firstErr(checkCountry("country", p.Country, true), invalid("office", "%q is not an office (snake_case, e.g. prime_minister)", clip(p.Office)))
	}
	return firstErr(checkCountry("country", p.Country, true), checkRequiredText("to", p.To),
		checkText("from", p.From), checkText("reason", p.Reason))
}

// ElectionHeld: an election took place.
type ElectionHeld struct {
	Country string `json:"country"`
	Body    string `json:"body,omitempty"`
	Winner  string `json:"winner,omitempty"`
	Summary string `json:"summary,omitempty"`
}

// EventType returns "election_held".
func (*ElectionHeld) EventType() string { return TypeElectionHeld }

// StreamName returns "country/<country>".
func (p *ElectionHeld) StreamName() string { return countryStreamOf(p.Country) }

// Validate checks the country and texts.
func (p *ElectionHeld) Validate() error {
	return firstErr(checkCountry("country", p.Country, true), checkText("body", p.Body),
		checkText("winner", p.Winner), checkText("summary", p.Summary))
}

// GovernmentCollapsed: a government fell.
type GovernmentCollapsed struct {
	Country string `json:"country"`
	Reason  string `json:"reason,omitempty"`
}

// EventType returns "government_collapsed".
func (*GovernmentCollapsed) EventType() string { return TypeGovernmentCollapsed }

// StreamName returns "country/<country>".
func (p *GovernmentCollapsed) StreamName() string { return countryStreamOf(p.Country) }

// Validate checks the country.
func (p *GovernmentCollapsed) Validate() error {
	return firstErr(checkCountry("country", p.Country, true), checkText("reason", p.Reason))
}

// Stances of a statement.
const (
	StancePositive = "positive"
	StanceNeutral  = "neutral"
	StanceNegative = "negative"
	StanceMixed    = "mixed"
)

// StatementIssued: an official statement, possibly about an agreement.
type StatementIssued struct {
	Country   string `json:"country"`
	Agreement string `json:"agreement,omitempty"`
	Speaker   string `json:"speaker,omitempty"`
	Stance    string `json:"stance,omitempty"`
	Summary   string `json:"summary"`
}

// EventType returns "statement_issued".
func (*StatementIssued) EventType() string { return TypeStatementIssued }

// StreamName is the agreement's stream when the statement is about one,
// else the country's.
func (p *StatementIssued) StreamName() string {
	if p.Agreement != "" {
		return AgreementStream(p.Agreement)
	}
	return countryStreamOf(p.Country)
}

// AgreementID returns the agreement the statement is about, or "".
func (p *StatementIssued) AgreementID() string { return p.Agreement }

// Validate checks the fields and the stance.
func (p *StatementIssued) Validate() error {
	if err := firstErr(checkCountry("country", p.Country, true), checkAgreementID("agreement", p.Agreement, false),
		checkText("speaker", p.Speaker), checkRequiredText("summary", p.Summary)); err != nil {
		return err
	}
	switch p.Stance {
	case "", StancePositive, StanceNeutral, StanceNegative, StanceMixed:
		return nil
	}
	return invalid("stance", "%q is not a stance (positive, neutral, negative or mixed)", clip(p.Stance))
}

// ExpectationReported: someone said a lifecycle step is expected by a date
// ("signature expected in December"). Forecasts may use it; backtests score it.
type ExpectationReported struct {
	Agreement    string `json:"agreement"`
	ExpectedType string `json:"expected_type"`
	ExpectedBy   Date   `json:"expected_by"`
	SaidBy       string `json:"said_by"`
	Summary      string `json:"summary,omitempty"`
}

// EventType returns "expectation_reported".
func (*ExpectationReported) EventType() string { return TypeExpectationReported }

// StreamName returns the agreement's stream.
func (p *ExpectationReported) StreamName() string {
	if p.Agreement == "" {
		return ""
	}
	return AgreementStream(p.Agreement)
}

// AgreementID returns the agreement.
func (p *ExpectationReported) AgreementID() string { return p.Agreement }

// Validate checks the agreement, the expected type and date, and who said it.
func (p *ExpectationReported) Validate() error {
	if err := checkAgreementID("agreement", p.Agreement, true); err != nil {
		return err
	}
	if p.ExpectedType == "" {
		return invalid("expected_type", "is required (a lifecycle type such as agreement_signed)")
	}
	if !IsLifecycleType(p.ExpectedType) {
		return invalid("expected_type", "%q is not an agreement lifecycle type", clip(p.ExpectedType))
	}
	if p.ExpectedBy.IsZero() {
		return invalid("expected_by", "is required (a date, possibly partial)")
	}
	return firstErr(checkRequiredText("said_by", p.SaidBy), checkText("summary", p.Summary))
}

// EventRetracted: an earlier event (Target) should be treated as never
// having happened. History is not rewritten; projections skip the target.
type EventRetracted struct {
	Target    string `json:"target"`
	Reason    string `json:"reason,omitempty"`
	Agreement string `json:"agreement,omitempty"`
	Country   string `json:"country,omitempty"`
}

// EventType returns "event_retracted".
func (*EventRetracted) EventType() string { return TypeEventRetracted }

// StreamName is the agreement's or the country's stream when given.
func (p *EventRetracted) StreamName() string { return refStream(p.Agreement, p.Country) }

// Validate checks the target.
func (p *EventRetracted) Validate() error {
	return firstErr(checkRequiredText("target", p.Target), checkText("reason", p.Reason),
		checkAgreementID("agreement", p.Agreement, false), checkCountry("country", p.Country, false))
}

// EventCorrected: an earlier event (Target) is replaced: its valid time
// and/or its data. The replacement data must decode as the target's type;
// that is checked by consumers that know the target.
type EventCorrected struct {
	Target     string          `json:"target"`
	OccurredAt Date            `json:"occurred_at,omitzero"`
	Data       json.RawMessage `json:"data,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Agreement  string          `json:"agreement,omitempty"`
	Country    string          `json:"country,omitempty"`
}

// EventType returns "event_corrected".
func (*EventCorrected) EventType() string { return TypeEventCorrected }

// StreamName is the agreement's or the country's stream when given.
func (p *EventCorrected) StreamName() string { return refStream(p.Agreement, p.Country) }

// Validate checks that a target and something to correct are given.
func (p *EventCorrected) Validate() error {
	if err := firstErr(checkRequiredText("target", p.Target), checkText("reason", p.Reason),
		checkAgreementID("agreement", p.Agreement, false), checkCountry("country", p.Country, false)); err != nil {
		return err
	}
	if p.OccurredAt.IsZero() && len(p.Data) == 0 {
		return invalid("occurred_at", "a correction needs occurred_at or data")
	}
	if len(p.Data) > 0 && (p.Data[0] != '{') {
		return invalid("data", "must be a JSON object")
	}
	return nil
}

// PoliticalEvent keeps an imported event-data record (PLOVER, CAMEO) that
// does not map onto one of accord's own types, with its original coding, so
// that nothing is dropped.
type PoliticalEvent struct {
	Country       string   `json:"country"`
	Actors        []string `json:"actors,omitempty"`
	Recipients    []string `json:"recipients,omitempty"`
	Agreement     string   `json:"agreement,omitempty"`
	CAMEO         string   `json:"cameo,omitempty"`
	PloverEvent   string   `json:"plover_event,omitempty"`
	PloverMode    string   `json:"plover_mode,omitempty"`
	PloverContext []string `json:"plover_context,omitempty"`
	Goldstein     *float64 `json:"goldstein,omitempty"`
	Intensity     *float64 `json:"intensity,omitempty"`
	Text          string   `json:"text,omitempty"`
	OriginalID    string   `json:"original_id,omitempty"`
	Origin        string   `json:"origin,omitempty"`
}

// EventType returns "political_event".
func (*PoliticalEvent) EventType() string { return TypePoliticalEvent }

// StreamName is the country's stream (the first actor's country).
func (p *PoliticalEvent) StreamName() string { return countryStreamOf(p.Country) }

// Validate checks the country codes and text.
func (p *PoliticalEvent) Validate() error {
	if err := firstErr(checkCountry("country", p.Country, true), checkText("text", p.Text),
		checkAgreementID("agreement", p.Agreement, false)); err != nil {
		return err
	}
	for i, a := range p.Actors {
		if err := checkCountry("", a, true); err != nil {
			return atIndex(err, "actors", i)
		}
	}
	for i, a := range p.Recipients {
		if err := checkCountry("", a, true); err != nil {
			return atIndex(err, "recipients", i)
		}
	}
	return nil
}

func countryStreamOf(c string) string {
	if c == "" {
		return ""
	}
	return CountryStream(c)
}

func refStream(agreement, country string) string {
	if agreement != "" {
		return AgreementStream(agreement)
	}
	return countryStreamOf(country)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// AgreementPayload is implemented by every payload that belongs to one
// agreement: the lifecycle types (through AgreementRef), statements about an
// agreement and expectations.
type AgreementPayload interface {
	Payload
	AgreementID() string
}

// Lifecycle is implemented by the agreement lifecycle payloads; Ref gives
// the embedded reference.
type Lifecycle interface {
	Payload
	Ref() *AgreementRef
}

// Ref returns the reference itself.
func (r *AgreementRef) Ref() *AgreementRef { return r }

// TypeScenarioSaved is the type of ScenarioSaved.
const TypeScenarioSaved = "scenario_saved"

// MaxScenarioBytes bounds a saved scenario file (48 KiB), so that its event
// stays within MaxWireEventBytes.
const MaxScenarioBytes = 48 << 10

// ScenarioSaved: a what-if scenario file was saved under a name, in stream
// "scenario/<name>". Each save is a new version; running a saved version
// again gives the same result.
type ScenarioSaved struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	YAML        string `json:"yaml"`
}

// EventType returns "scenario_saved".
func (*ScenarioSaved) EventType() string { return TypeScenarioSaved }

// StreamName returns "scenario/<name>".
func (p *ScenarioSaved) StreamName() string {
	if p.Name == "" {
		return ""
	}
	return "scenario/" + p.Name
}

// Validate checks the name, the description and the file's size.
func (p *ScenarioSaved) Validate() error {
	if p.Name == "" {
		return invalid("name", "is required")
	}
	if len(p.Name) > 100 || !validSlug(p.Name) {
		return invalid("name", "%q is not a scenario name (lower-case letters and digits joined by '-')", clip(p.Name))
	}
	if err := checkText("description", p.Description); err != nil {
		return err
	}
	if p.YAML == "" {
		return invalid("yaml", "is required")
	}
	if len(p.YAML) > MaxScenarioBytes {
		return invalid("yaml", "is %d bytes; the limit is %d", len(p.YAML), MaxScenarioBytes)
	}
	return nil
}

// ValidID reports whether s is acceptable as an event id: 1 to 128
// letters, digits, '.', '_', ':' or '-', starting with a letter or digit.
func ValidID(s string) bool { return validID(s) }

// MaxTextBytes is the limit on one free-text field of a payload.
const MaxTextBytes = maxText
