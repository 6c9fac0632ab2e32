package interchange

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/accord-dev/accord/events"
)

// Mapping is one row of the mapping table: how an accord type is written
// out (CAMEO code, PLOVER event, mode and context, with their scores) and
// which input records become it on import.
type Mapping struct {
	Type string
	// CAMEO is the code written on export ("" when CAMEO has none).
	CAMEO            string
	CAMEODescription string
	// PloverEvent is the PLOVER category written on export ("" when PLOVER
	// has none: the record is written with has_event false).
	PloverEvent   string
	PloverMode    string
	PloverContext []string
	// Goldstein is the CAMEO code's Goldstein score, PloverScore the
	// PLOVER category's score (the "Schrodt score" of the PLOVER manual).
	Goldstein   *float64
	PloverScore *float64
	// Import says which records become this type on import (records
	// without an accord envelope); "" when none do.
	Import string
	// Note qualifies the export coding.
	Note string
}

var importRules = map[string]string{
	events.TypeAgreementProposed: `PLOVER AGREE whose text proposes ("propos…", "offered to negotiate") negotiations or an agreement; CAMEO 036 whose text proposes. proposed_by: the one actor country.`,
	events.TypeTalksOpened:       `PLOVER AGREE whose text promises negotiations ("negotiat…", "talks"); CAMEO 036.`,
	events.TypeTalksRoundHeld:    `PLOVER CONSULT whose text is about negotiations ("negotiat…", "talks"); CAMEO 046. round from "round 3", "3rd round", "third round".`,
	events.TypeTalksStalled:      `PLOVER SANCTION with mode withdraw or cancel whose text is about negotiations; CAMEO 164.`,
	events.TypeAgreementSigned:   `PLOVER SUPPORT with context diplomatic whose text names an agreement and says it was signed ("sign…", "inked", "concluded", "sealed"), not only praised, ratified or brought into force; CAMEO 057.`,
	events.TypeTerminated:        `PLOVER SANCTION with mode withdraw whose text ends an agreement ("terminates the visiting forces agreement", "withdrew from the treaty"); by: the one actor country.`,
	events.TypeLeadershipChanged: `PLOVER RETREAT with mode resign and context executive, government or political; one actor country; an office (the actor's office field, or "prime minister", "president", "chancellor", … in the text); a successor named in the text ("succeeded by …", "replaced by …"). reason: resignation.`,
	events.TypePoliticalEvent:    `Every other record, with its original coding (CAMEO code, PLOVER event, mode and context, Goldstein score, intensity, text, original id, data set).`,
}

var exportNotes = map[string]string{
	events.TypeAgreementProposed:   "CAMEO has no code for a proposal; 036 is the closest.",
	events.TypeTalksResumed:        "read back without the envelope as talks_round_held.",
	events.TypeAgreedInPrinciple:   "030: intent to cooperate.",
	events.TypeSuspended:           "160: reduce relations.",
	events.TypeTerminated:          "160: reduce relations (CAMEO has no code for ending a treaty).",
	events.TypeAbandoned:           "164: halt negotiations.",
	events.TypeLeadershipChanged:   "RETREAT resign only when the reason is a resignation; otherwise has_event false.",
	events.TypeStatementIssued:     "by stance: positive 051 SUPPORT, negative 111 ACCUSE, neutral or mixed 010 with has_event false (PLOVER does not code statements).",
	events.TypeExpectationReported: "has_event false, context future.",
	events.TypeScenarioSaved:       "a saved what-if scenario, not a political event: no coding, exported only for round trips.",
	events.TypePoliticalEvent:      "its own coding; a PLOVER event derived from the CAMEO code when it has none.",
}

// Mappings returns the mapping table, one row per accord type: the
// lifecycle types in their order, then the others.
func Mappings() []Mapping {
	order := append(events.LifecycleTypes(), events.TypeLeadershipChanged, events.TypeElectionHeld,
		events.TypeGovernmentCollapsed, events.TypeStatementIssued, events.TypeExpectationReported,
		events.TypeEventRetracted, events.TypeEventCorrected, events.TypeScenarioSaved, events.TypePoliticalEvent)
	var out []Mapping
	for _, t := range order {
		tc := typeCodings[t]
		m := Mapping{Type: t, CAMEO: tc.cameo, PloverEvent: tc.plover, PloverMode: tc.mode, PloverContext: tc.contexts,
			Import: importRules[t], Note: exportNotes[t]}
		if m.CAMEO != "" {
			m.CAMEODescription = cameoDescription(m.CAMEO)
			if g, ok := Goldstein(m.CAMEO); ok {
				m.Goldstein = &g
			}
		}
		if s, ok := ploverScores[m.PloverEvent]; ok {
			m.PloverScore = &s
		}
		out = append(out, m)
	}
	return out
}

func score(f *float64) string {
	if f == nil {
		return "—"
	}
	s := strconv.FormatFloat(*f, 'f', 1, 64)
	if *f > 0 {
		s = "+" + s
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// MappingMarkdown returns MAPPING.md: the mapping table and the rules of
// import and export, in Markdown.
func MappingMarkdown() string {
	var b strings.Builder
	b.WriteString(mappingIntro)
	b.WriteString("\n## accord type ↔ CAMEO ↔ PLOVER\n\n")
	b.WriteString("What `export` writes for each type. Goldstein: the CAMEO code's score (GDELT's CAMEO.goldsteinscale.txt). PLOVER score: the category's \"Schrodt score\" from the PLOVER manual.\n\n")
	b.WriteString("| accord type | CAMEO | Goldstein | PLOVER event | mode | context | PLOVER score | note |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, m := range Mappings() {
		cameo := "—"
		if m.CAMEO != "" {
			cameo = m.CAMEO + " " + m.CAMEODescription
		}
		if m.Type == events.TypePoliticalEvent {
			cameo = "its own"
		}
		ev := orDash(m.PloverEvent)
		if m.Type == events.TypePoliticalEvent {
			ev = "its own"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", m.Type, cameo, score(m.Goldstein), ev,
			orDash(m.PloverMode), orDash(strings.Join(m.PloverContext, ", ")), score(m.PloverScore), m.Note)
	}
	b.WriteString("\n## Import: which records become which type\n\n")
	b.WriteString("Records that carry an accord envelope (an accord export) are restored as they were. Every other record is mapped by these rules, in this order; the first that matches wins (a PLOVER record with several event categories tries each). Types not listed are never inferred.\n\n")
	b.WriteString("| accord type | records |\n|---|---|\n")
	for _, m := range Mappings() {
		if m.Import != "" {
			fmt.Fprintf(&b, "| `%s` | %s |\n", m.Type, m.Import)
		}
	}
	b.WriteString(mappingRules)
	return b.String()
}

const mappingIntro = `# Political event data interchange: mapping

accord reads and writes two political event data formats:

- **PLOVER** (` + "`--format plover`" + `): one PLOVER record per line (JSON lines), as POLECAT
  publishes them. ` + "`actor`/`recipient`" + ` (older records: ` + "`source`/`target`" + `) may be a string
  ("JPNGOV"), an actor object (` + "`{\"code\": \"JPN\", \"sector\": \"GOV\", \"name\": …, \"office\": …}`" + `)
  or a list of either (compound actors). ` + "`event`, `mode`, `context`" + ` may be strings or lists.
  Also read: ` + "`text`, `cite_info` (`title`, `url`, `publication`, `corpus`, `citation`), `event_loc.name`" + `,
  and the extension fields accord writes: ` + "`date_precision`, `cameo`, `goldstein`, `event_intensity`, `accord`" + `.
- **CAMEO CSV** (` + "`--format cameo-csv`" + `): rows with a header, comma- or tab-separated, in the
  styles of ICEWS (` + "`Event ID, Event Date, Source Name, Source Country, CAMEO Code, Intensity, Target …, Publisher`" + `)
  and GDELT (` + "`GLOBALEVENTID, SQLDATE, Actor1Code, Actor1CountryCode, …, EventCode, GoldsteinScale, SOURCEURL`" + `).
  Column names are matched without case, spaces or '_'. A country cell may list several countries
  separated by ';' (compound actors).
`

const mappingRules = `
CAMEO codes not in this table (their relatives included) become political_event. Decisions on
relatives: 0311–0314 (intent to cooperate economically, militarily, …), 030–035 and 037–039 are
intentions, not negotiations; 040–045 are meetings, visits and mediation, not negotiation rounds;
134 (threaten to halt negotiations) and 125 (reject a proposal to negotiate) are threats and
refusals, not a halt; 161–163 and 165–166 reduce relations or aid but end no agreement talks; CAMEO
has no code for a change of leader. A code that spreadsheets shortened ("57", "311") is read with
its leading zero restored (057, 0311). A code that is not in CAMEO 1.1b3 is a bad record.

Contexts: a PLOVER record with context negation, hypothetical or historical (the date is the
story's, not the event's) is never mapped onto an accord type; nor is one with context future,
except AGREE, which is a promise by nature.

## Agreements

An agreement event needs two or more countries among the actors and recipients (compound actors
count, non-state actors do not). Its id is the parties' alpha-3 codes in lower case, sorted, joined
by '-', then '-' and the kind, inferred from the text, the cited title and the words of the source
URL: "reciprocal access" raa, "acquisition and cross-servicing"/"ACSA" acsa, "status of visiting
forces" sovfa, "visiting forces" vfa, "information security"/"security of information"/"GSOMIA"
isa, "equipment and technology" eta, "enhanced defence cooperation"/"EDCA" edca, "defence
cooperation agreement" dca, "Global Combat Air"/"GCAP" gcap; otherwise ` + "`agreement`" + `
(gbr-jpn-agreement). A record with fewer than two countries stays a political_event, with a note
in the import report. A political_event whose text names a kind keeps the agreement id in
` + "`agreement`" + `.

## Countries

Actors are ISO 3166-1 alpha-3 codes. Accepted: alpha-3 codes in any case, upper-case alpha-2
codes, English names and common aliases ("United Kingdom", "UK", "Britain", "Great Britain",
"United States", "USA", "US", "South Korea", "Korea, Republic of", "Côte d'Ivoire", …), CAMEO
country codes that differ from ISO (ROM→ROU, TMP→TLS, MTN→MNE, IMY→IMN, KSV→XKX, ZAR→COD), and
compound actor codes whose first three letters are a country (JPNGOV, GBRMIL, USAGOVEXE). Non-state
codes (IGO, NGO, MNC, …), CAMEO regions (EUR, MEA, …) and sector codes used alone (MIL, GOV, …) are
actors without a country. A code that is none of these ("XYZ"), or a country column naming no
country ("Atlantis"), makes the record bad. A record with no country at all is bad: accord files
every event under an agreement or a country.

## Ids, evidence, confidence

- Event id: the record's id with a prefix, ` + "`plover:`" + `, ` + "`icews:`" + `, ` + "`gdelt:`" + ` or ` + "`cameo:`" + `
  (plover:20230111-0001), when that is a valid accord id (letters, digits, '.', '_', ':', '-', up to
  128); otherwise an id derived from the content. Importing the same file twice adds nothing.
  An id that already has the prefix (an accord export without its envelope) is kept as it is.
- Evidence: publication = the data set (the importer's dataset option, else PLOVER's cite_info.corpus, else
  "PLOVER"; for CSV "ICEWS", "GDELT" or "CAMEO CSV" from the header); title = the cited title, else a
  description of the record ("ICEWS record 35012345: CAMEO 057 Sign formal agreement (Kyodo News)");
  url = the cited or source URL when it is http(s) (anything else goes into the title); date = the
  event date. Confidence: reported.
- Dates: YYYY-MM-DD; also YYYY-MM and YYYY (partial), YYYYMMDD (SQLDATE), YYYY/MM/DD, a date with a
  time; ` + "`date_precision`" + ` (PLOVER) or a ` + "`date_precision`" + ` column (CSV) keeps month or year precision.

## Bad records

A record is bad when it cannot be read or mapped: invalid JSON or CSV, a missing or impossible date,
no event category, an unknown PLOVER category or CAMEO code, an unresolvable country code, a
Goldstein score outside -10..+10, a wrong number of CSV fields, a line over the size limit, an id
used twice in the file for different content (the same record twice is counted as a duplicate and
skipped). Each bad record is reported with its line, the field and the reason, e.g.
` + "`line 4: date: \"2022-13-01\" is not a date (want YYYY-MM-DD, YYYY-MM or YYYY): month out of range`" + `.
By default a file with any bad record imports nothing; with ` + "`--skip-invalid`" + ` the good records are
imported and the bad ones reported. Every record is counted by outcome (mapped:<type>,
restored:<type>, generic, duplicate, bad): nothing is dropped without a count.

## Export and round trip

` + "`export`" + ` writes one record per event with the coding in the table above and text that the import
rules read back (an agreement_signed of gbr-jpn-raa reads "United Kingdom and Japan sign a
reciprocal access agreement"). Every record also carries accord's own envelope: the ` + "`accord`" + `
object (PLOVER) or the ` + "`accord_event`" + ` column (CSV), holding the event's wire form. Import prefers
it, so an export imported into an empty log reproduces the events: same ids, types, streams,
occurred_at and reported_at with their precision, data, source and confidence. PLOVER dates are
written as full days (the first day of a partial date) with ` + "`date_precision`" + ` month or year.
Without the envelope, the records of the types in the first table map back as the import rules say
(talks_resumed comes back as talks_round_held, the types with no rule as political_event), and a
CSV row of a type with no CAMEO code (an empty ` + "`cameo_code`" + `) is a bad record for any CAMEO reader.
`
