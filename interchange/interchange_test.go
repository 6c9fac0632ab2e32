package interchange

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/accord-dev/accord/events"
)

var update = flag.Bool("update", false, "rewrite MAPPING.md from MappingMarkdown")

func readPath(t *testing.T, f Format, path string, opts ReadOptions) Result {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	res, err := Read(events.NewCodec(), f, fh, opts)
	if err != nil {
		t.Fatalf("Read %s: %v", path, err)
	}
	return res
}

func readString(t *testing.T, f Format, s string) Result {
	t.Helper()
	res, err := Read(events.NewCodec(), f, strings.NewReader(s), ReadOptions{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return res
}

func byID(res Result) map[string]events.Event {
	m := map[string]events.Event{}
	for _, e := range res.Events {
		m[e.ID] = e
	}
	return m
}

func payloadJSON(t *testing.T, e events.Event) string {
	t.Helper()
	b, err := events.NewCodec().Encode(e.Data)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wireOf is the whole event as accord writes it, store-set fields aside.
func wireOf(t *testing.T, e events.Event) string {
	t.Helper()
	w, err := events.ToWire(events.NewCodec(), &e)
	if err != nil {
		t.Fatal(err)
	}
	w.Version, w.Position, w.RecordedAt = 0, 0, nil
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkCounts(t *testing.T, res Result, want map[string]int) {
	t.Helper()
	for k, n := range want {
		if res.Counts[k] != n {
			t.Errorf("Counts[%s] = %d, want %d", k, res.Counts[k], n)
		}
	}
	for k, n := range res.Counts {
		if _, ok := want[k]; !ok && n != 0 {
			t.Errorf("unexpected Counts[%s] = %d", k, n)
		}
	}
	total := 0
	for _, n := range res.Counts {
		total += n
	}
	if total != res.Records {
		t.Errorf("counts add up to %d, Records = %d: some record is not counted", total, res.Records)
	}
	if len(res.Bad) != res.Counts[OutcomeBad] {
		t.Errorf("%d bad records listed, %d counted", len(res.Bad), res.Counts[OutcomeBad])
	}
}

type wantBad struct {
	line          int
	field, reason string
}

func checkBad(t *testing.T, res Result, want []wantBad) {
	t.Helper()
	if len(res.Bad) != len(want) {
		t.Errorf("%d bad records, want %d: %v", len(res.Bad), len(want), res.Bad)
	}
	for i, w := range want {
		if i >= len(res.Bad) {
			break
		}
		b := res.Bad[i]
		if b.Line != w.line || b.Field != w.field || !strings.Contains(b.Reason, w.reason) {
			t.Errorf("bad[%d] = %q (field %q), want line %d field %q reason containing %q", i, b.String(), b.Field, w.line, w.field, w.reason)
		}
	}
}

func TestReadPLOVERSample(t *testing.T) {
	res := readPath(t, PLOVER, "testdata/polecat_sample.jsonl", ReadOptions{})
	if res.Records != 19 {
		t.Errorf("Records = %d, want 19", res.Records)
	}
	checkCounts(t, res, map[string]int{
		"mapped:talks_opened": 1, "mapped:talks_round_held": 1, "mapped:agreement_signed": 1,
		"mapped:leadership_changed": 1, "mapped:terminated": 1, "mapped:talks_stalled": 1,
		"mapped:agreement_proposed": 1, OutcomeGeneric: 7, OutcomeDuplicate: 1, OutcomeBad: 4,
	})
	checkBad(t, res, []wantBad{
		{12, "date", `"2022-13-01" is not a date`},
		{13, "actor", `no country could be determined from "XYZ"`},
		{14, "event", "is required"},
		{19, "", "not valid JSON"},
	})
	if got := res.Bad[0].String(); !strings.HasPrefix(got, `line 12: date: "2022-13-01" is not a date`) {
		t.Errorf("BadRecord.String() = %q", got)
	}

	evs := byID(res)
	for _, c := range []struct {
		id, typ, stream, data string
	}{
		{"plover:20211007-JPGB-0001", "talks_opened", "agreement/gbr-jpn-raa", `{"agreement":"gbr-jpn-raa","parties":["GBR","JPN"],"kind":"raa"}`},
		{"plover:20220505-JPGB-0002", "talks_round_held", "agreement/gbr-jpn-raa", `{"agreement":"gbr-jpn-raa","parties":["GBR","JPN"],"kind":"raa","round":2}`},
		{"plover:20230111-JPGB-0003", "agreement_signed", "agreement/gbr-jpn-raa", `{"agreement":"gbr-jpn-raa","parties":["GBR","JPN"],"kind":"raa","location":"London"}`},
		{"plover:20221025-GB-0004", "leadership_changed", "country/GBR", `{"country":"GBR","office":"prime_minister","from":"Liz Truss","to":"Rishi Sunak","reason":"resignation"}`},
		{"plover:20200211-PHUS-0005", "terminated", "agreement/phl-usa-vfa", `{"agreement":"phl-usa-vfa","parties":["PHL","USA"],"kind":"vfa","by":"PHL"}`},
		{"plover:20220623-PHCN-0006", "talks_stalled", "agreement/chn-phl-agreement", `{"agreement":"chn-phl-agreement","parties":["CHN","PHL"],"kind":"agreement"}`},
		{"plover:20231103-JPPH-0007", "agreement_proposed", "agreement/jpn-phl-raa", `{"agreement":"jpn-phl-raa","parties":["JPN","PHL"],"kind":"raa","proposed_by":"JPN"}`},
		// Generic records keep their coding.
		{"plover:20221216-CNJP-0008", "political_event", "country/CHN", `{"country":"CHN","actors":["CHN"],"recipients":["JPN"],"plover_event":"ACCUSE","plover_context":["military"],"intensity":-2,"text":"China's foreign ministry criticised Japan's new national security strategy as hyping a regional threat.","original_id":"20221216-CNJP-0008","origin":"POLECAT"}`},
		// Compound actors with sector codes.
		{"plover:20230215-JPUS-0009", "political_event", "country/JPN", `{"country":"JPN","actors":["JPN","USA"],"plover_event":"COOPERATE","plover_context":["military"],"text":"Japanese and US forces began a joint air defence exercise over the East China Sea.","original_id":"20230215-JPUS-0009","origin":"POLECAT"}`},
		// A phone call is a consultation, not a negotiation round.
		{"plover:20230301-JPAU-0010", "political_event", "country/JPN", `{"country":"JPN","actors":["JPN","AUS"],"plover_event":"CONSULT","plover_mode":"phone","plover_context":["diplomatic"],"text":"Kishida and Albanese discussed regional security by telephone.","original_id":"20230301-JPAU-0010","origin":"POLECAT"}`},
		// Missing text, cite_info and recipient.
		{"plover:20230310-KR-0014", "political_event", "country/KOR", `{"country":"KOR","actors":["KOR"],"plover_event":"MOBILIZE","plover_mode":"troops","original_id":"20230310-KR-0014","origin":"PLOVER"}`},
		// A non-state actor: filed under the recipient's country.
		{"plover:20230420-UN-0015", "political_event", "country/MMR", `{"country":"MMR","recipients":["MMR"],"plover_event":"REQUEST","plover_context":["humanitarian"],"text":"The Security Council called on Myanmar's military to allow humanitarian access.","original_id":"20230420-UN-0015","origin":"POLECAT"}`},
	} {
		e, ok := evs[c.id]
		if !ok {
			t.Errorf("no event %s", c.id)
			continue
		}
		if e.Type != c.typ || e.Stream != c.stream {
			t.Errorf("%s: %s %s, want %s %s", c.id, e.Type, e.Stream, c.typ, c.stream)
		}
		if got := payloadJSON(t, e); got != c.data {
			t.Errorf("%s data:\n got %s\nwant %s", c.id, got, c.data)
		}
		if e.Confidence != events.Reported || e.Source.Date != e.OccurredAt || e.ReportedAt != e.OccurredAt {
			t.Errorf("%s: confidence %s, source date %s, reported %s", c.id, e.Confidence, e.Source.Date, e.ReportedAt)
		}
	}

	// Evidence.
	first := evs["plover:20211007-JPGB-0001"]
	if s := first.Source; s.Publication != "POLECAT" || s.Title != "Japan, Britain to start talks on defence access pact (Example Wire)" ||
		s.URL != "https://news.example.org/2021/10/07/japan-britain-access-pact-talks" || s.Date.String() != "2021-10-07" {
		t.Errorf("source = %+v", s)
	}
	if s := evs["plover:20230310-KR-0014"].Source; s.Publication != "PLOVER" || s.Title != "PLOVER record 20230310-KR-0014: MOBILIZE mode troops" || s.URL != "" {
		t.Errorf("source of a record without cite_info = %+v", s)
	}

	// Near misses are explained.
	notes := strings.Join(func() []string {
		var out []string
		for _, n := range res.Notes {
			out = append(out, n.String())
		}
		return out
	}(), "\n")
	for _, want := range []string{
		"line 17: SUPPORT (diplomatic, negation): the context negation",
		"line 18: SUPPORT (diplomatic, legislative): the text is about ratification",
		"line 20: duplicate of line 9",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	// A generic record that names a kind keeps the agreement id.
	if p := evs["plover:20220914-JPAU-0016"].Data.(*events.PoliticalEvent); p.Agreement != "aus-jpn-raa" {
		t.Errorf("negated signature: agreement = %q", p.Agreement)
	}

	sum := res.Summary()
	if !strings.HasPrefix(sum, "19 records: 7 mapped, 0 restored, 7 generic, 1 duplicate, 4 bad\n") ||
		!strings.Contains(sum, "  mapped:agreement_signed   1\n") || !strings.HasSuffix(sum, "  bad                       4\n") {
		t.Errorf("Summary:\n%s", sum)
	}
	err := res.Err()
	if !errors.Is(err, events.ErrInvalid) || events.KindOf(err) != events.KindInvalid ||
		!strings.Contains(err.Error(), "4 bad records; nothing imported\nline 12: date:") {
		t.Errorf("Err() = %v", err)
	}
}

func TestReadGDELTSample(t *testing.T) {
	res := readPath(t, CAMEOCSV, "testdata/gdelt_sample.csv", ReadOptions{})
	checkCounts(t, res, map[string]int{
		"mapped:agreement_signed": 2, "mapped:talks_round_held": 1, "mapped:talks_opened": 1,
		"mapped:talks_stalled": 1, OutcomeGeneric: 3, OutcomeBad: 4,
	})
	checkBad(t, res, []wantBad{
		{9, "SQLDATE", `"20230230" (read as 2023-02-30) is not a date: day out of range`},
		{10, "EventCode", `"999" is not a CAMEO event code`},
		{11, "Actor1CountryCode", `no country could be determined from "ATL"`},
		{13, "", "has 5 fields; the header has 18"},
	})
	evs := byID(res)

	// The acceptance case: a 057 row between Japan and the UK, with a
	// source URL naming the kind.
	e := evs["gdelt:1071234501"]
	if e.Type != events.TypeAgreementSigned || e.Stream != "agreement/gbr-jpn-raa" || e.OccurredAt.String() != "2023-01-11" {
		t.Fatalf("JPN-GBR 057 row: %s %s %s", e.Type, e.Stream, e.OccurredAt)
	}
	if s := e.Source; s.Publication != "GDELT" || s.URL != "https://www.example.gov.uk/government/news/uk-and-japan-sign-reciprocal-access-agreement" ||
		s.Title != "GDELT record 1071234501: CAMEO 057 Sign formal agreement" {
		t.Errorf("source = %+v", s)
	}
	for id, want := range map[string]string{
		"gdelt:1071234502": "talks_round_held agreement/gbr-jpn-agreement",
		"gdelt:1071234503": "talks_opened agreement/jpn-phl-raa", // compound codes, blank country columns
		"gdelt:1071234504": "talks_stalled agreement/chn-phl-agreement",
		"gdelt:1071234505": "political_event country/JPN", // 0311: intent to cooperate economically
		"gdelt:1071234506": "political_event country/PHL", // 057 with one country
		"gdelt:1071234507": "political_event country/MMR", // IGOUNO
		"gdelt:1071234511": "agreement_signed agreement/aus-jpn-raa",
	} {
		if got := evs[id].Type + " " + evs[id].Stream; got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
	if got := payloadJSON(t, evs["gdelt:1071234505"]); got != `{"country":"JPN","actors":["JPN"],"recipients":["AUS"],"cameo":"0311","goldstein":5.2,"original_id":"1071234505","origin":"GDELT"}` {
		t.Errorf("generic GDELT row: %s", got)
	}
	if len(res.Notes) != 1 || res.Notes[0].Line != 7 || !strings.Contains(res.Notes[0].Text, "an agreement needs two or more countries, the record names PHL") {
		t.Errorf("notes = %v", res.Notes)
	}
}

func TestReadICEWSSample(t *testing.T) {
	res := readPath(t, CAMEOCSV, "testdata/icews_sample.tsv", ReadOptions{})
	checkCounts(t, res, map[string]int{
		"mapped:agreement_signed": 2, "mapped:talks_opened": 1, OutcomeGeneric: 3, OutcomeBad: 3,
	})
	checkBad(t, res, []wantBad{
		{8, "Source Country", `no country could be determined from "Atlantis"`},
		{9, "Intensity", `"high" is not a number`},
		{10, "Event Date", `"11/01/2023" is not a date`},
	})
	evs := byID(res)
	e := evs["icews:35012345"]
	if e.Type != events.TypeAgreementSigned || e.Stream != "agreement/gbr-jpn-agreement" ||
		payloadJSON(t, e) != `{"agreement":"gbr-jpn-agreement","parties":["GBR","JPN"],"kind":"agreement","location":"London"}` {
		t.Errorf("Japan-UK 057: %s %s %s", e.Type, e.Stream, payloadJSON(t, e))
	}
	if s := e.Source; s.Publication != "ICEWS" || s.Title != "ICEWS record 35012345: CAMEO 057 Sign formal agreement (Kyodo News)" {
		t.Errorf("source = %+v", s)
	}
	// "57": the leading zero a spreadsheet dropped.
	if e := evs["icews:35012346"]; e.Type != events.TypeAgreementSigned || e.Stream != "agreement/aus-jpn-agreement" {
		t.Errorf("57 row: %s %s", e.Type, e.Stream)
	}
	if got := payloadJSON(t, evs["icews:35012349"]); got != `{"country":"KOR","actors":["KOR"],"recipients":["PRK"],"cameo":"1123","intensity":-2,"text":"Accuse of aggression","original_id":"35012349","origin":"ICEWS"}` {
		t.Errorf("ICEWS generic: %s", got)
	}
	if e := evs["icews:35012350"]; e.Stream != "country/MMR" {
		t.Errorf("UN row (no source country): %s", e.Stream)
	}
}

// The acceptance case, in the plainest CSV a user would write.
func TestJapanUK057BecomesAgreementSigned(t *testing.T) {
	res := readString(t, CAMEOCSV, "event_date,source_country,target_country,cameo_code,goldstein,source_url\n"+
		"2023-01-11,Japan,United Kingdom,057,8.0,https://www.example.gov.uk/news/uk-and-japan-sign-reciprocal-access-agreement\n"+
		"2023-01-11,JPN,UK,57,,\n")
	if len(res.Bad) != 0 || len(res.Events) != 2 {
		t.Fatalf("bad %v, %d events", res.Bad, len(res.Events))
	}
	want := []string{"agreement/gbr-jpn-raa", "agreement/gbr-jpn-agreement"}
	for i, e := range res.Events {
		if e.Type != events.TypeAgreementSigned || e.Stream != want[i] || e.OccurredAt.String() != "2023-01-11" {
			t.Errorf("event %d: %s %s %s", i, e.Type, e.Stream, e.OccurredAt)
		}
		if !strings.HasPrefix(e.Source.Title, "CAMEO CSV record at line") {
			t.Errorf("title of a row without id: %q", e.Source.Title)
		}
	}
	if res.Events[0].ID == res.Events[1].ID || len(res.Events[0].ID) != 36 {
		t.Errorf("rows without ids get derived ids: %s %s", res.Events[0].ID, res.Events[1].ID)
	}
}

// accordSample is a realistic log: one event of nearly every type, with
// partial dates, late reports, analysts and correlation ids, and the events
// mapped from the PLOVER sample.
func accordSample(t *testing.T) []events.Event {
	t.Helper()
	data, err := os.ReadFile("testdata/accord_sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	evs, errs := events.ReadLines(events.NewCodec(), data, 0)
	if len(errs) > 0 {
		t.Fatalf("accord_sample.jsonl: %v", errs)
	}
	plover := readPath(t, PLOVER, "testdata/polecat_sample.jsonl", ReadOptions{})
	evs = append(evs, plover.Events...)
	types := map[string]bool{}
	for _, e := range evs {
		types[e.Type] = true
	}
	for _, typ := range events.NewCodec().Types() {
		if !types[typ] {
			t.Errorf("the sample has no %s event", typ)
		}
	}
	return evs
}

func TestExportImportRoundTrip(t *testing.T) {
	c := events.NewCodec()
	evs := accordSample(t)
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(c, f, &buf, evs); err != nil {
				t.Fatal(err)
			}
			res, err := Read(c, f, bytes.NewReader(buf.Bytes()), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Bad) > 0 || len(res.Events) != len(evs) || res.Records != len(evs) {
				t.Fatalf("bad %v; %d events of %d", res.Bad, len(res.Events), len(evs))
			}
			for i, e := range res.Events {
				o := evs[i]
				if e.ID != o.ID || e.Type != o.Type || e.Stream != o.Stream ||
					e.OccurredAt.Compare(o.OccurredAt) != 0 || e.ReportedAt.Compare(o.ReportedAt) != 0 {
					t.Errorf("event %d: %s %s %s %s/%s, want %s %s %s %s/%s", i, e.ID, e.Type, e.Stream, e.OccurredAt, e.ReportedAt,
						o.ID, o.Type, o.Stream, o.OccurredAt, o.ReportedAt)
				}
				if got, want := wireOf(t, e), wireOf(t, o); got != want {
					t.Errorf("event %d differs:\n got %s\nwant %s", i, got, want)
				}
				if res.Counts[RestoredOutcome(o.Type)] == 0 {
					t.Errorf("no restored:%s count", o.Type)
				}
			}
			if n := res.Counts[OutcomeGeneric]; n != 0 {
				t.Errorf("%d generic: every record should be restored", n)
			}
		})
	}
}

// stripEnvelope removes accord's envelope from an export, leaving what
// another tool would write.
func stripEnvelope(t *testing.T, f Format, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	switch f {
	case PLOVER:
		for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "accord")
			b, _ := json.Marshal(m)
			out.Write(b)
			out.WriteByte('\n')
		}
	case CAMEOCSV:
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		w := csv.NewWriter(&out)
		for _, r := range rows {
			w.Write(r[:len(r)-1])
		}
		w.Flush()
	}
	return out.Bytes()
}

// Without the envelope, the exported coding and text map the main types
// back onto themselves; everything else comes back as political_event.
func TestExportCodingReadsBack(t *testing.T) {
	c := events.NewCodec()
	var evs []events.Event
	for _, e := range accordSample(t) {
		// A saved scenario names no country: without its envelope no
		// event-data reader can take it.
		if e.Type != events.TypeScenarioSaved {
			evs = append(evs, e)
		}
	}
	kinds := map[string]bool{}
	for k := range kindPhrases {
		kinds[k] = true
	}
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(c, f, &buf, evs); err != nil {
				t.Fatal(err)
			}
			evs := evs
			if f == CAMEOCSV {
				// Types without a CAMEO code are written with an empty
				// cameo_code: without the envelope, no CAMEO reader can
				// take them. Keep the others.
				rows, _ := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
				var kept []events.Event
				var out bytes.Buffer
				w := csv.NewWriter(&out)
				w.Write(rows[0])
				for i, r := range rows[1:] {
					if r[7] != "" {
						w.Write(r)
						kept = append(kept, evs[i])
					}
				}
				w.Flush()
				evs, buf = kept, out
			}
			res, err := Read(c, f, bytes.NewReader(stripEnvelope(t, f, buf.Bytes())), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Bad) > 0 {
				t.Fatalf("bad: %v", res.Bad)
			}
			mapped := 0
			for _, e := range res.Events {
				if e.Type != events.TypePoliticalEvent {
					mapped++
				}
			}
			if mapped == 0 {
				t.Fatal("nothing mapped")
			}
			// Records without an accord id are matched by position.
			if len(res.Events) != len(evs) {
				t.Fatalf("%d events of %d", len(res.Events), len(evs))
			}
			want := map[string]bool{events.TypeAgreementSigned: true, events.TypeTalksOpened: true, events.TypeTalksRoundHeld: true,
				events.TypeTalksStalled: true, events.TypeAgreementProposed: true}
			if f == PLOVER {
				want[events.TypeTerminated] = true
				want[events.TypeLeadershipChanged] = true
			}
			for i, o := range evs {
				e := res.Events[i]
				if o.Type == events.TypeLeadershipChanged && !strings.Contains(o.Data.(*events.LeadershipChanged).Reason, "resign") {
					continue // only resignations are RETREAT resign
				}
				if o.Type == events.TypeTerminated && o.Data.(*events.Terminated).By == "" {
					continue
				}
				if !want[o.Type] {
					continue
				}
				if e.Type != o.Type {
					t.Errorf("event %d (%s %s) read back as %s %s", i, o.Type, o.Stream, e.Type, e.Stream)
					continue
				}
				if l, ok := o.Data.(events.Lifecycle); ok && kinds[l.Ref().Kind] && e.Stream != o.Stream {
					t.Errorf("event %d: stream %s, want %s", i, e.Stream, o.Stream)
				}
				if o.Type == events.TypeLeadershipChanged && payloadJSON(t, e) != payloadJSON(t, o) {
					t.Errorf("leadership change: %s, want %s", payloadJSON(t, e), payloadJSON(t, o))
				}
			}
		})
	}
}

func TestReimportIsIdempotent(t *testing.T) {
	a := readPath(t, PLOVER, "testdata/polecat_sample.jsonl", ReadOptions{})
	b := readPath(t, PLOVER, "testdata/polecat_sample.jsonl", ReadOptions{})
	for i := range a.Events {
		if a.Events[i].ID != b.Events[i].ID || !strings.HasPrefix(a.Events[i].ID, "plover:") {
			t.Errorf("ids %s %s", a.Events[i].ID, b.Events[i].ID)
		}
	}
	g := readPath(t, CAMEOCSV, "testdata/gdelt_sample.csv", ReadOptions{Dataset: "GDELT 2.0", Analyst: "ci"})
	for _, e := range g.Events {
		if !strings.HasPrefix(e.ID, "gdelt:") || e.Source.Publication != "GDELT 2.0" || e.Analyst != "ci" {
			t.Errorf("%s: publication %q analyst %q", e.ID, e.Source.Publication, e.Analyst)
		}
	}
}

const goodPLOVER = `{"id":"r1","date":"2023-01-11","actor":[{"code":"JPN"}],"recipient":[{"code":"GBR"}],"event":"SUPPORT","context":["diplomatic"],"text":"Japan and Britain signed a reciprocal access agreement."}`

func TestBadPLOVERRecords(t *testing.T) {
	sub := func(old, new string) string {
		if !strings.Contains(goodPLOVER, old) {
			t.Fatalf("%q not in the good record", old)
		}
		return strings.Replace(goodPLOVER, old, new, 1)
	}
	envelope := `{"type":"agreement_signed","occurred_at":"2023-01-11","data":{"agreement":"gbr-jpn-raa","parties":["GBR","JPN"]},"source":{"publication":"GOV.UK","title":"t","date":"2023-01-11"},"confidence":"confirmed","id":"e1"}`
	for _, c := range []struct {
		name, line, field, reason string
	}{
		{"array", `[1,2]`, "", "must be a JSON object, not a JSON array"},
		{"pretty-printed", `{`, "", "one JSON object on one line"},
		{"trailing garbage", goodPLOVER + `x`, "", "not valid JSON"},
		{"date number", sub(`"2023-01-11"`, `20230111`), "date", "must be a string, not a number"},
		{"no date", sub(`"date":"2023-01-11",`, ``), "date", "is required"},
		{"impossible date", sub(`2023-01-11`, `2023-02-30`), "date", "day out of range"},
		{"bad precision", sub(`"date":"2023-01-11"`, `"date":"2023-01-11","date_precision":"week"`), "date_precision", `"week" is not a precision`},
		{"actor number", sub(`[{"code":"JPN"}]`, `42`), "actor", "an actor must be a string or an object"},
		{"unknown code in a list", sub(`[{"code":"JPN"}]`, `[{"code":"JPN"},{"code":"QQQ"}]`), "actor[1].code", `no country could be determined from "QQQ"`},
		{"unknown country", sub(`{"code":"GBR"}`, `{"code":"GBR","country":"Narnia"}`), "recipient[0].country", `no country could be determined from "Narnia"`},
		{"no actor", sub(`"actor":[{"code":"JPN"}],"recipient":[{"code":"GBR"}],`, ``), "actor", "is required"},
		{"non-state only", sub(`"actor":[{"code":"JPN"}],"recipient":[{"code":"GBR"}]`, `"actor":[{"code":"IGOUNO"}]`), "actor", "no country in the actors or recipients"},
		{"unknown event", sub(`"SUPPORT"`, `"PRAISE"`), "event", `"PRAISE" is not a PLOVER event category (ACCUSE, AGREE,`},
		{"event object", sub(`"SUPPORT"`, `{"x":1}`), "event", "must be a string or a list of strings, not an object"},
		{"bad cameo", sub(`"event"`, `"cameo":"999","event"`), "cameo", `"999" is not a CAMEO event code`},
		{"goldstein out of range", sub(`"event"`, `"goldstein":12,"event"`), "goldstein", "outside the Goldstein scale"},
		{"intensity text", sub(`"event"`, `"event_intensity":"abc","event"`), "event_intensity", `"abc" is not a number`},
		{"cite_info string", sub(`"event"`, `"cite_info":"Reuters","event"`), "cite_info", "must be an object, not a string"},
		{"cite_info url number", sub(`"event"`, `"cite_info":{"url":5},"event"`), "cite_info.url", "must be a string"},
		{"bad envelope", `{"id":"e1","accord":` + strings.Replace(envelope, `"gbr-jpn-raa"`, `"GBR"`, 1) + `}`, "accord.data.agreement", "is not an agreement id"},
		{"envelope id mismatch", `{"id":"e2","accord":` + envelope + `}`, "accord.id", `"e1" does not match the record id "e2"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := readString(t, PLOVER, c.line+"\n")
			if len(res.Bad) != 1 || res.Records != 1 || res.Counts[OutcomeBad] != 1 {
				t.Fatalf("bad = %v, records %d, events %d", res.Bad, res.Records, len(res.Events))
			}
			b := res.Bad[0]
			if b.Line != 1 || b.Field != c.field || !strings.Contains(b.Reason, c.reason) {
				t.Errorf("got %q (field %q), want field %q and %q", b.String(), b.Field, c.field, c.reason)
			}
		})
	}

	t.Run("good", func(t *testing.T) {
		res := readString(t, PLOVER, goodPLOVER+"\n"+`{"id":"r2","date":"2023-01","date_precision":"month","actor":"JPN","has_event":false}`+"\n")
		if len(res.Bad) > 0 || len(res.Events) != 2 {
			t.Fatalf("bad %v", res.Bad)
		}
		if e := res.Events[0]; e.Type != events.TypeAgreementSigned || e.Stream != "agreement/gbr-jpn-raa" {
			t.Errorf("%s %s", e.Type, e.Stream)
		}
		if e := res.Events[1]; e.Type != events.TypePoliticalEvent || e.OccurredAt.String() != "2023-01" {
			t.Errorf("has_event false: %s %s", e.Type, e.OccurredAt)
		}
	})
}

func TestSameIDDifferentContentIsBad(t *testing.T) {
	other := strings.Replace(goodPLOVER, "2023-01-11", "2023-01-12", 1)
	res := readString(t, PLOVER, goodPLOVER+"\n"+goodPLOVER+"\n"+other+"\n")
	checkCounts(t, res, map[string]int{"mapped:agreement_signed": 1, OutcomeDuplicate: 1, OutcomeBad: 1})
	checkBad(t, res, []wantBad{{3, "id", `"plover:r1" is also the id of line 1, with different content`}})
}

func TestSupportRules(t *testing.T) {
	for _, c := range []struct{ name, text, context, want string }{
		{"signed", "Japan and Britain signed a reciprocal access agreement.", `["diplomatic"]`, "agreement_signed"},
		{"no diplomatic context", "Japan and Britain signed a reciprocal access agreement.", `["military"]`, "political_event"},
		{"praise", "Japan welcomed the signing of the reciprocal access agreement by Britain.", `["diplomatic"]`, "political_event"},
		{"ratified", "Japan ratified the reciprocal access agreement with Britain.", `["diplomatic"]`, "political_event"},
		{"no agreement", "Japan backed Britain's position at the UN.", `["diplomatic"]`, "political_event"},
		{"historical", "Japan and Britain signed a reciprocal access agreement in 2023.", `["diplomatic","historical"]`, "political_event"},
	} {
		t.Run(c.name, func(t *testing.T) {
			line := `{"id":"s","date":"2024-01-11","actor":["JPN","GBR"],"event":"SUPPORT","context":` + c.context + `,"text":"` + c.text + `"}`
			res := readString(t, PLOVER, line)
			if len(res.Events) != 1 || res.Events[0].Type != c.want {
				t.Errorf("got %v (bad %v)", res.Events, res.Bad)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	c := events.NewCodec()
	_, err := Read(c, PLOVER, strings.NewReader(goodPLOVER), ReadOptions{MaxBytes: 10})
	if !errors.Is(err, events.ErrInvalid) || !strings.Contains(err.Error(), "larger than 10 bytes") {
		t.Errorf("MaxBytes: %v", err)
	}
	res, err := Read(c, PLOVER, strings.NewReader(goodPLOVER+"\n"), ReadOptions{MaxLineBytes: 50})
	if err != nil || len(res.Bad) != 1 || !strings.Contains(res.Bad[0].Reason, "the line is") {
		t.Errorf("MaxLineBytes: %v %v", err, res.Bad)
	}
	res, err = Read(c, CAMEOCSV, strings.NewReader("date,source,cameo\n2023-01-11,JPN,"+strings.Repeat("0", 60)+"\n"), ReadOptions{MaxLineBytes: 50})
	if err != nil || len(res.Bad) != 1 || !strings.Contains(res.Bad[0].Reason, "the record is") {
		t.Errorf("MaxLineBytes CSV: %v %v", err, res.Bad)
	}
	if _, err := Read(c, "xml", strings.NewReader(""), ReadOptions{}); !errors.Is(err, events.ErrInvalid) {
		t.Errorf("unknown format: %v", err)
	}
	if err := Write(c, "xml", &bytes.Buffer{}, nil); !errors.Is(err, events.ErrInvalid) {
		t.Errorf("Write unknown format: %v", err)
	}
}

func TestCSVFileErrors(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"no date column", "source_country,cameo_code\nJPN,057\n", "no column for an event date"},
		{"no cameo column", "event_date,source_country\n2023-01-11,JPN\n", "no column for a CAMEO code"},
		{"no actor column", "event_date,cameo_code\n2023-01-11,057\n", "no column for a source actor"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(events.NewCodec(), CAMEOCSV, strings.NewReader(c.in), ReadOptions{})
			if !errors.Is(err, events.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v", err)
			}
		})
	}
	res := readString(t, CAMEOCSV, "")
	if res.Records != 0 || len(res.Events) != 0 {
		t.Errorf("empty input: %+v", res)
	}
	res = readString(t, CAMEOCSV, "event_date,source_country,target_country,cameo_code\n"+
		"2023-01-11,JPN,\"GBR,057\n")
	if len(res.Bad) != 1 || !strings.Contains(res.Bad[0].Reason, "not valid CSV") {
		t.Errorf("broken quote: %v", res.Bad)
	}
	// Compound actors in one cell, a BOM, and CRLF line ends.
	res = readString(t, CAMEOCSV, "\ufeffevent_date,source_country,target_country,cameo_code,event_text\r\n"+
		"2023-12-14,GBR;ITA,JPN,057,Britain Italy and Japan sign the Global Combat Air Programme convention\r\n")
	if len(res.Events) != 1 || res.Events[0].Stream != "agreement/gbr-ita-jpn-gcap" {
		t.Errorf("compound cell: %v %v", res.Events, res.Bad)
	}
}

func TestCountryCode(t *testing.T) {
	for in, want := range map[string]string{
		"GBR": "GBR", "gbr": "GBR", "United Kingdom": "GBR", "UK": "GBR", "U.K.": "GBR", "Britain": "GBR",
		"Great Britain": "GBR", "the United Kingdom": "GBR", "GB": "GBR", "England": "GBR",
		"United States": "USA", "USA": "USA", "US": "USA", "U.S.": "USA", "United States of America": "USA",
		"Japan": "JPN", "JAPAN": "JPN", "Philippines": "PHL", "The Philippines": "PHL",
		"South Korea": "KOR", "Korea, Republic of": "KOR", "Republic of Korea": "KOR", "North Korea": "PRK",
		"Russian Federation": "RUS", "Russia": "RUS", "Viet Nam": "VNM", "Vietnam": "VNM",
		"Côte d'Ivoire": "CIV", "Cote d'Ivoire": "CIV", "Ivory Coast": "CIV", "Türkiye": "TUR", "Turkey": "TUR",
		"Trinidad & Tobago": "TTO", "Bosnia and Herzegovina": "BIH", "Congo, The Democratic Republic of the": "COD",
		"Occupied Palestinian Territory": "PSE", "Taiwan": "TWN", "Iran": "IRN", "Kosovo": "XKX",
		// CAMEO codes that differ from ISO.
		"ROM": "ROU", "TMP": "TLS", "MTN": "MNE",
		// Compound actor codes.
		"JPNGOV": "JPN", "GBRMIL": "GBR", "USAGOVEXE": "USA", "ROMGOV": "ROU", "PHLMIL": "PHL",
	} {
		if got, ok := CountryCode(in); !ok || got != want {
			t.Errorf("CountryCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "XYZ", "IGOUNO", "IGO", "EUR", "MIL", "Atlantis", "United Nations", "gb", "Korea", "JP N", "BELARUSIAN", "JAPANESE", "GOVERNMENT"} {
		if got, ok := CountryCode(in); ok {
			t.Errorf("CountryCode(%q) = %q, want no country", in, got)
		}
	}
	if n := len(byAlpha3); n != 250 {
		t.Errorf("%d countries, want 249 ISO ones and Kosovo", n)
	}
}

func TestCAMEOCodes(t *testing.T) {
	for in, want := range map[string]string{"057": "057", "57": "057", "57.0": "057", "036": "036", "36": "036",
		"164": "164", "0311": "0311", "311": "0311", "05": "05", "10": "10", "1": "01", " 046 ": "046"} {
		if got, err := normalizeCAMEO(in); err != nil || got != want {
			t.Errorf("normalizeCAMEO(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "999", "99", "abc", "0571", "-57"} {
		if got, err := normalizeCAMEO(in); err == nil {
			t.Errorf("normalizeCAMEO(%q) = %q, want an error", in, got)
		}
	}
	for code, want := range map[string]float64{"036": 4.0, "046": 7.0, "057": 8.0, "164": -7.0, "0311": 5.2, "134": -5.8, "57": 8.0} {
		if g, ok := Goldstein(code); !ok || g != want {
			t.Errorf("Goldstein(%s) = %v, %v; want %v", code, g, ok, want)
		}
	}
	if _, ok := Goldstein("106"); ok {
		t.Error("106 has no score in the GDELT table")
	}
	for code, want := range map[string]string{"036": "AGREE", "046": "CONSULT", "057": "SUPPORT", "164": "SANCTION",
		"084": "RETREAT", "0831": "CONCEDE", "010": "", "026": "REQUEST", "112": "ACCUSE", "193": "ASSAULT"} {
		if got := ploverOfCAMEO(code); got != want {
			t.Errorf("ploverOfCAMEO(%s) = %q, want %q", code, got, want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"plover": PLOVER, "PLOVER": PLOVER, " cameo-csv ": CAMEOCSV} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("csv"); !errors.Is(err, events.ErrInvalid) || !strings.Contains(err.Error(), "want plover or cameo-csv") {
		t.Errorf("ParseFormat(csv) = %v", err)
	}
}

func TestWritePLOVERShape(t *testing.T) {
	c := events.NewCodec()
	evs := accordSample(t)
	var buf bytes.Buffer
	if err := Write(c, PLOVER, &buf, evs[:4]); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines", len(lines))
	}
	var signed, round map[string]any
	json.Unmarshal([]byte(lines[3]), &signed)
	json.Unmarshal([]byte(lines[1]), &round)
	for k, want := range map[string]any{
		"id": evs[3].ID, "date": "2023-01-11", "event": "SUPPORT", "cameo": "057", "goldstein": 8.0,
		"text": "United Kingdom and Japan sign a reciprocal access agreement in London",
	} {
		if signed[k] != want {
			t.Errorf("signed[%s] = %v, want %v", k, signed[k], want)
		}
	}
	if a, _ := json.Marshal(signed["actor"]); string(a) != `[{"code":"GBR"},{"code":"JPN"}]` {
		t.Errorf("actor = %s", a)
	}
	if _, ok := signed["accord"].(map[string]any); !ok {
		t.Error("no accord envelope")
	}
	if round["date"] != "2022-05-01" || round["date_precision"] != "month" {
		t.Errorf("partial date written as %v / %v", round["date"], round["date_precision"])
	}
}

func TestWriteCSVShape(t *testing.T) {
	c := events.NewCodec()
	evs := accordSample(t)
	var buf bytes.Buffer
	if err := Write(c, CAMEOCSV, &buf, evs[3:4]); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("%v %v", rows, err)
	}
	if !slices.Equal(rows[0], csvHeader) {
		t.Errorf("header %v", rows[0])
	}
	got := strings.Join(rows[1][:len(rows[1])-1], "|")
	want := evs[3].ID + "|2023-01-11||GBR|United Kingdom|JPN|Japan|057|8||United Kingdom and Japan sign a reciprocal access agreement in London|Ministry of Foreign Affairs of Japan||London"
	if got != want {
		t.Errorf("row:\n got %s\nwant %s", got, want)
	}
}

func TestMappingsCoverEveryType(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Mappings() {
		seen[m.Type] = true
	}
	for _, typ := range events.NewCodec().Types() {
		if !seen[typ] {
			t.Errorf("no mapping row for %s", typ)
		}
		if _, ok := typeCodings[typ]; !ok && typ != events.TypePoliticalEvent {
			t.Errorf("no export coding for %s", typ)
		}
	}
}

func TestMappingMarkdownUpToDate(t *testing.T) {
	want := MappingMarkdown()
	if *update {
		if err := os.WriteFile("MAPPING.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("MAPPING.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Error("MAPPING.md is out of date: run go test ./interchange -run TestMappingMarkdownUpToDate -update")
	}
	for _, s := range []string{"| `agreement_signed` | 057 Sign formal agreement | +8.0 | SUPPORT | — | diplomatic | +4.6 |",
		"| `talks_stalled` | 164 Halt negotiations | -7.0 | SANCTION | withdraw | diplomatic | -5.2 |"} {
		if !strings.Contains(want, s) {
			t.Errorf("MAPPING.md lacks %q", s)
		}
	}
}
