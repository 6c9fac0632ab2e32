package interchange

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/accord-dev/accord/events"
)

// entity is one actor or recipient of a record.
type entity struct {
	country string // ISO alpha-3, or "" for a non-state actor
	name    string // a person's or body's name, when given
	office  string // snake_case office, when given
}

// record is an input record in a format-neutral form.
type record struct {
	line       int
	dataset    string // the source publication: "POLECAT", "ICEWS", "GDELT"
	idPrefix   string // "plover:", "icews:", "gdelt:", "cameo:"
	originalID string
	date       events.Date

	actors, recipients []entity

	cameo    string   // normalized CAMEO code
	plover   []string // PLOVER event categories, upper case
	modes    []string // PLOVER modes, lower case
	contexts []string // PLOVER contexts, lower case

	goldstein, intensity *float64

	text      string
	title     string // the cited text's title
	publisher string
	citation  string
	url       string
	location  string
}

func (r *record) coding() string {
	if len(r.plover) > 0 {
		s := strings.Join(r.plover, ",")
		if len(r.modes) > 0 {
			s += " mode " + strings.Join(r.modes, ",")
		}
		if len(r.contexts) > 0 {
			s += " (" + strings.Join(r.contexts, ", ") + ")"
		}
		return s
	}
	if r.cameo != "" {
		return "CAMEO " + r.cameo + " " + cameoDescription(r.cameo)
	}
	return "no event coded"
}

// source builds the evidence of an event from the record: the data set is
// the publication; the cited title (or a description of the record) the
// title; the cited URL the url; the event date the date.
func (r *record) source() events.Source {
	title := r.title
	if title == "" {
		id := r.originalID
		if id == "" {
			id = fmt.Sprintf("at line %d", r.line)
		}
		title = fmt.Sprintf("%s record %s: %s", r.dataset, id, r.coding())
	}
	if r.publisher != "" && !strings.Contains(title, r.publisher) {
		title += " (" + r.publisher + ")"
	}
	if r.citation != "" {
		title += "; " + r.citation
	}
	return events.Source{
		Publication: cleanText(r.dataset, 200),
		Title:       cleanText(title, 1000),
		URL:         r.url,
		Date:        r.date,
	}
}

// countries returns the distinct countries of es, in order.
func countries(es []entity) []string {
	var out []string
	for _, e := range es {
		if e.country != "" && !slices.Contains(out, e.country) {
			out = append(out, e.country)
		}
	}
	return out
}

// parties returns the distinct countries of actors and recipients, sorted.
func (r *record) parties() []string {
	out := countries(append(slices.Clone(r.actors), r.recipients...))
	slices.Sort(out)
	return out
}

// hasCountry reports whether any actor or recipient is a country.
func (r *record) hasCountry() bool { return len(r.parties()) > 0 }

// matchText is the lower-case text the keyword rules look at: the record's
// text, the cited title and the words of the URL's path.
func (r *record) matchText() string {
	t := r.text + " \n " + r.title
	if u, err := url.Parse(r.url); err == nil && r.url != "" {
		t += " \n " + strings.Map(func(c rune) rune {
			if c == '-' || c == '_' || c == '/' || c == '.' || c == '+' {
				return ' '
			}
			return c
		}, u.Path)
	}
	return strings.ToLower(t)
}

var (
	reAgreement   = regexp.MustCompile(`\b(agreements?|treaty|treaties|accords?|pacts?|memorandum|memoranda|conventions?|deals?|arrangements?|acsa|gsomia|edca|raa|vfa|sofa)\b`)
	reNegotiation = regexp.MustCompile(`\b(negotiat\w*|talks)\b`)
	reProposal    = regexp.MustCompile(`\bpropos\w*|\boffer(s|ed)? to (negotiate|conclude|sign)`)
	reSigning     = regexp.MustCompile(`\b(sign|signs|signed|signing|ink|inks|inked|conclude|concludes|concluded|seal|seals|sealed)\b`)
	rePraise      = regexp.MustCompile(`\b(welcom\w*|prais\w*|commend\w*|hail\w*|applaud\w*|congratulat\w*|endors\w*)`)
	reRatifyForce = regexp.MustCompile(`\b(ratif\w*|enters? into force|entered into force|entry into force|takes? effect|took effect)\b`)
	reTerminate   = regexp.MustCompile(`\b(terminat\w*|abrogat\w*|scrap\w*|annul\w*|revok\w*|withdr[ae]w\w* from|pull\w* out of|end(s|ed)?)\s+(?:[\w'’-]+\s+){0,5}?(agreements?|treaty|treaties|accords?|pacts?|acsa|gsomia|edca|raa|vfa|sofa)\b`)
	reRound       = regexp.MustCompile(`\bround (\d{1,3})\b|\b(\d{1,3})(?:st|nd|rd|th) round\b|\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth) round\b`)
	reSuccessorBy = regexp.MustCompile(`(?:succeeded by|replaced by|handed (?:power |over )?to|hands (?:power |over )?to|handing (?:power |over )?to|successor,?)\s+((?:[A-Z][\p{L}'’-]*\.?)(?:\s+[A-Z][\p{L}'’-]*\.?){0,3})`)
	reSuccessorIs = regexp.MustCompile(`((?:[A-Z][\p{L}'’-]*\.?)(?:\s+[A-Z][\p{L}'’-]*\.?){0,3})\s+(?:succeeded|succeeds|replaced|replaces)\s`)
)

var ordinals = map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
	"seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12}

// kindPatterns infer an agreement's kind from text, first match wins. The
// kinds are those of dataset/SCHEMA.md.
var kindPatterns = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"raa", regexp.MustCompile(`reciprocal access`)},
	{"acsa", regexp.MustCompile(`acquisition and cross[- ]?servicing|\bacsa\b`)},
	{"sovfa", regexp.MustCompile(`status of visiting forces`)},
	{"vfa", regexp.MustCompile(`visiting forces|\bvfa\b`)},
	{"isa", regexp.MustCompile(`information security|security of information|military information|\bgsomia\b`)},
	{"eta", regexp.MustCompile(`equipment and technology`)},
	{"edca", regexp.MustCompile(`enhanced defen[cs]e cooperation|\bedca\b`)},
	{"dca", regexp.MustCompile(`defen[cs]e cooperation agreement`)},
	{"gcap", regexp.MustCompile(`global combat air|\bgcap\b`)},
	{"raa", regexp.MustCompile(`\braa\b`)},
}

// genericKind is the kind of an agreement whose kind the text does not say.
const genericKind = "agreement"

// kindPhrases are the words export text uses for each kind; inferKind
// reads them back.
var kindPhrases = map[string]string{
	"raa": "reciprocal access agreement", "acsa": "acquisition and cross-servicing agreement",
	"sovfa": "status of visiting forces agreement", "vfa": "visiting forces agreement",
	"isa": "information security agreement", "eta": "defence equipment and technology transfer agreement",
	"edca": "enhanced defence cooperation agreement", "dca": "defence cooperation agreement",
	"gcap": "Global Combat Air Programme agreement", genericKind: "agreement",
}

func inferKind(t string) string {
	for _, k := range kindPatterns {
		if k.re.MatchString(t) {
			return k.kind
		}
	}
	return genericKind
}

func kindPhrase(kind string) string {
	if p, ok := kindPhrases[kind]; ok {
		return p
	}
	return kind + " agreement"
}

// agreementRef builds the reference of the agreement between the record's
// countries: id = sorted lower-case alpha-3 codes joined by '-', then the
// kind inferred from the text.
func (r *record) agreementRef(t string) (events.AgreementRef, string) {
	parties := r.parties()
	if len(parties) < 2 {
		return events.AgreementRef{}, fmt.Sprintf("an agreement needs two or more countries, the record names %s", listOrNone(parties))
	}
	kind := inferKind(t)
	id := strings.ToLower(strings.Join(parties, "-")) + "-" + kind
	if len(id) > 100 {
		return events.AgreementRef{}, fmt.Sprintf("%d countries make an agreement id longer than 100 characters", len(parties))
	}
	return events.AgreementRef{Agreement: id, Parties: parties, Kind: kind}, ""
}

func listOrNone(cs []string) string {
	if len(cs) == 0 {
		return "none"
	}
	return strings.Join(cs, ", ")
}

// mapRecord maps a record onto an accord type, or keeps it as a
// political_event. note explains a near miss.
func mapRecord(r *record) (p events.Payload, outcome, note string) {
	switch {
	case len(r.plover) > 0:
		p, note = mapPLOVER(r)
	case r.cameo != "":
		p, note = mapCAMEO(r)
	}
	if p != nil {
		return p, MappedOutcome(p.EventType()), ""
	}
	if note != "" {
		note = r.coding() + ": " + note + "; kept as political_event"
	}
	return r.generic(), OutcomeGeneric, note
}

func (r *record) generic() *events.PoliticalEvent {
	actors, recipients := countries(r.actors), countries(r.recipients)
	p := &events.PoliticalEvent{
		Actors:        actors,
		Recipients:    recipients,
		CAMEO:         r.cameo,
		PloverEvent:   strings.Join(r.plover, ","),
		PloverMode:    strings.Join(r.modes, ","),
		PloverContext: r.contexts,
		Goldstein:     r.goldstein,
		Intensity:     r.intensity,
		Text:          cleanText(r.text, 4096),
		OriginalID:    cleanText(r.originalID, 200),
		Origin:        cleanText(r.dataset, 200),
	}
	if len(actors) > 0 {
		p.Country = actors[0]
	} else if len(recipients) > 0 {
		p.Country = recipients[0]
	}
	if t := r.matchText(); inferKind(t) != genericKind {
		if ref, miss := r.agreementRef(t); miss == "" {
			p.Agreement = ref.Agreement
		}
	}
	return p
}

func has(list []string, vals ...string) bool {
	for _, v := range vals {
		if slices.Contains(list, v) {
			return true
		}
	}
	return false
}

// mapPLOVER applies the PLOVER rules (see MAPPING.md) to each event
// category of the record in turn; the first that maps wins.
func mapPLOVER(r *record) (events.Payload, string) {
	t := r.matchText()
	firstNote := ""
	for _, ev := range r.plover {
		var (
			p    events.Payload
			note string
		)
		switch ev {
		case "SUPPORT":
			p, note = r.ploverSupport(t)
		case "AGREE":
			p, note = r.ploverAgree(t)
		case "CONSULT":
			p, note = r.ploverConsult(t)
		case "RETREAT":
			p, note = r.ploverRetreat(t)
		case "SANCTION":
			p, note = r.ploverSanction(t)
		}
		if p != nil {
			return p, ""
		}
		if firstNote == "" {
			firstNote = note
		}
	}
	return nil, firstNote
}

// blocked reports a context that makes the record something other than a
// fact dated on the record's date: negated, hypothetical, historical (the
// date is the story's, not the event's) or, unless allowFuture, future.
func (r *record) blocked(allowFuture bool) string {
	for _, c := range []string{"negation", "hypothetical", "historical", "future"} {
		if c == "future" && allowFuture {
			continue
		}
		if has(r.contexts, c) {
			return "the context " + c + " says this is not a fact dated on the record's date"
		}
	}
	return ""
}

func (r *record) ploverSupport(t string) (events.Payload, string) {
	if !reAgreement.MatchString(t) {
		return nil, ""
	}
	if !has(r.contexts, "diplomatic") {
		return nil, "SUPPORT about an agreement without a diplomatic context"
	}
	if b := r.blocked(false); b != "" {
		return nil, b
	}
	if !reSigning.MatchString(t) {
		if reRatifyForce.MatchString(t) {
			return nil, "the text is about ratification or entry into force, not a signature"
		}
		return nil, "the text does not say the agreement was signed"
	}
	if rePraise.MatchString(t) {
		return nil, "the text praises or welcomes an agreement; it does not report a signature"
	}
	ref, miss := r.agreementRef(t)
	if miss != "" {
		return nil, miss
	}
	return &events.AgreementSigned{AgreementRef: ref, Location: cleanText(r.location, 200)}, ""
}

func (r *record) ploverAgree(t string) (events.Payload, string) {
	neg, prop := reNegotiation.MatchString(t), reProposal.MatchString(t)
	if !neg && !(prop && reAgreement.MatchString(t)) {
		return nil, ""
	}
	if b := r.blocked(true); b != "" {
		return nil, b
	}
	ref, miss := r.agreementRef(t)
	if miss != "" {
		return nil, miss
	}
	if prop {
		p := &events.AgreementProposed{AgreementRef: ref}
		if a := countries(r.actors); len(a) == 1 && slices.Contains(ref.Parties, a[0]) {
			p.ProposedBy = a[0]
		}
		return p, ""
	}
	return &events.TalksOpened{AgreementRef: ref, Location: cleanText(r.location, 200)}, ""
}

func (r *record) ploverConsult(t string) (events.Payload, string) {
	if !reNegotiation.MatchString(t) {
		return nil, ""
	}
	if b := r.blocked(false); b != "" {
		return nil, b
	}
	ref, miss := r.agreementRef(t)
	if miss != "" {
		return nil, miss
	}
	return &events.TalksRoundHeld{AgreementRef: ref, Round: roundNumber(t), Location: cleanText(r.location, 200)}, ""
}

func (r *record) ploverRetreat(t string) (events.Payload, string) {
	if !has(r.modes, "resign") {
		return nil, ""
	}
	if !has(r.contexts, "executive", "government", "political") {
		return nil, "RETREAT resign without an executive, government or political context"
	}
	if b := r.blocked(false); b != "" {
		return nil, b
	}
	cs := countries(r.actors)
	if len(cs) != 1 {
		return nil, fmt.Sprintf("a leadership change needs one actor country, the record names %s", listOrNone(cs))
	}
	office, from := "", ""
	for _, a := range r.actors {
		if office == "" && a.office != "" {
			office = a.office
		}
		if from == "" && a.name != "" {
			if _, isCountry := CountryCode(a.name); !isCountry {
				from = a.name
			}
		}
	}
	if office == "" {
		office = officeFromText(t)
	}
	if office == "" {
		return nil, "no office (prime minister, president, ...) is named"
	}
	to := successor(r.text)
	if to == "" {
		return nil, "the text names no successor (\"succeeded by ...\")"
	}
	if to == from {
		from = ""
	}
	return &events.LeadershipChanged{Country: cs[0], Office: office, From: cleanText(from, 200), To: cleanText(to, 200), Reason: "resignation"}, ""
}

func (r *record) ploverSanction(t string) (events.Payload, string) {
	withdraw := has(r.modes, "withdraw")
	if !withdraw && !has(r.modes, "cancel") {
		return nil, ""
	}
	terminate := false
	if m := reTerminate.FindString(t); withdraw && m != "" {
		// "pulled out of negotiations on a pact" halts talks; it ends no agreement.
		terminate = !reNegotiation.MatchString(m)
	}
	if !terminate && !reNegotiation.MatchString(t) {
		return nil, ""
	}
	if b := r.blocked(false); b != "" {
		return nil, b
	}
	ref, miss := r.agreementRef(t)
	if miss != "" {
		return nil, miss
	}
	if terminate {
		p := &events.Terminated{AgreementRef: ref}
		if a := countries(r.actors); len(a) == 1 && slices.Contains(ref.Parties, a[0]) {
			p.By = a[0]
		}
		return p, ""
	}
	return &events.TalksStalled{AgreementRef: ref}, ""
}

// mapCAMEO applies the CAMEO rules: 036 talks_opened (agreement_proposed
// when the text proposes), 046 talks_round_held, 057 agreement_signed, 164
// talks_stalled.
func mapCAMEO(r *record) (events.Payload, string) {
	switch r.cameo {
	case "036", "046", "057", "164":
	default:
		return nil, ""
	}
	t := r.matchText()
	ref, miss := r.agreementRef(t)
	if miss != "" {
		return nil, miss
	}
	loc := cleanText(r.location, 200)
	switch r.cameo {
	case "036":
		if reProposal.MatchString(t) {
			p := &events.AgreementProposed{AgreementRef: ref}
			if a := countries(r.actors); len(a) == 1 {
				p.ProposedBy = a[0]
			}
			return p, ""
		}
		return &events.TalksOpened{AgreementRef: ref, Location: loc}, ""
	case "046":
		return &events.TalksRoundHeld{AgreementRef: ref, Round: roundNumber(t), Location: loc}, ""
	case "057":
		return &events.AgreementSigned{AgreementRef: ref, Location: loc}, ""
	}
	return &events.TalksStalled{AgreementRef: ref}, ""
}

func roundNumber(t string) int {
	m := reRound.FindStringSubmatch(t)
	if m == nil {
		return 0
	}
	for _, g := range m[1:3] {
		if g != "" {
			n := 0
			fmt.Sscanf(g, "%d", &n)
			return n
		}
	}
	return ordinals[m[3]]
}

var offices = []struct{ words, office string }{
	{"deputy prime minister", "deputy_prime_minister"},
	{"prime minister", "prime_minister"},
	{"vice president", "vice_president"},
	{"vice-president", "vice_president"},
	{"president", "president"},
	{"chancellor", "chancellor"},
	{"premier", "premier"},
	{"defence minister", "defence_minister"},
	{"defense minister", "defence_minister"},
	{"foreign minister", "foreign_minister"},
	{"foreign secretary", "foreign_secretary"},
}

func officeFromText(t string) string {
	for _, o := range offices {
		if strings.Contains(t, o.words) {
			return o.office
		}
	}
	return ""
}

var reOffice = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// officeCode turns "Prime Minister" into prime_minister, or "".
func officeCode(s string) string {
	var b strings.Builder
	us := false
	for _, c := range strings.ToLower(strings.TrimSpace(s)) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if us && b.Len() > 0 {
				b.WriteByte('_')
			}
			us = false
			b.WriteRune(c)
		} else {
			us = true
		}
	}
	if o := b.String(); reOffice.MatchString(o) && len(o) <= 64 {
		return o
	}
	return ""
}

var titleWords = []string{"Prime Minister ", "President ", "Chancellor ", "Premier ", "Mr ", "Mr. ", "Ms ", "Ms. ", "Mrs ", "Mrs. ", "Dr ", "Dr. "}

// successor finds the new office holder in text: "... succeeded by Rishi
// Sunak", "Rishi Sunak replaced ...".
func successor(text string) string {
	name := ""
	if m := reSuccessorBy.FindStringSubmatch(text); m != nil {
		name = m[1]
	} else if m := reSuccessorIs.FindStringSubmatch(text); m != nil {
		name = m[1]
	}
	for changed := true; changed; {
		changed = false
		for _, w := range titleWords {
			if strings.HasPrefix(name, w) {
				name, changed = strings.TrimPrefix(name, w), true
			}
		}
	}
	return strings.TrimRight(strings.TrimSpace(name), ".")
}

// cleanText turns control characters into spaces, trims, and cuts s to at
// most max bytes on a character boundary.
func cleanText(s string, max int) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s))
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
