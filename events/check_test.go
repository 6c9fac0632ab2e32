package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// The hand-written checks of ids, stream names, agreement ids, country
// codes, offices and text must agree with the regular expressions (and the
// rune loop) they replace, and Validate and Normalize with the oracle of
// validate_oracle_test.go: the same decision and the same error.

// identBytes are the bytes that matter to the checks, and some that do
// not belong in any identifier.
var identBytes = []byte("azAZ09-_.:/ \n\t\x00\x1f\x7f\x80\xc3\xa9\xffgGJ")

// genIdent draws strings near the identifier syntaxes: well-formed ones,
// near misses, random bytes, and lengths around the limits (100, 128).
var genIdent = rapid.Custom(func(t *rapid.T) string {
	switch rapid.IntRange(0, 7).Draw(t, "ident") {
	case 0:
		return rapid.StringMatching(`[a-z0-9]{1,4}(-[a-z0-9]{1,4}){0,3}`).Draw(t, "slug")
	case 1:
		return rapid.StringMatching(`[A-Za-z]{2,4}`).Draw(t, "country")
	case 2:
		return rapid.StringMatching(`[a-z][a-z_]{0,5}/[A-Za-z0-9][A-Za-z0-9._-]{0,8}`).Draw(t, "stream")
	case 3:
		return rapid.StringMatching(`[A-Za-z0-9][A-Za-z0-9._:-]{0,10}`).Draw(t, "id")
	case 4:
		c := rapid.SampledFrom([]string{"a", "A", "0", "-", "a-", "ab-", "/", "x/"}).Draw(t, "unit")
		s := strings.Repeat(c, rapid.IntRange(90, 140).Draw(t, "n")/len(c))
		return rapid.SampledFrom([]string{"", "a", "agreement/", "a-", "-"}).Draw(t, "prefix") + s
	case 5:
		return rapid.SampledFrom([]string{"", "-", "a-", "-a", "a--b", "a-b-", "a/b", "/", "a/", "/a",
			"agreement/x", "_", "_a", "a_", "a__b", "A", "AAA", "AAAA", "AA", "aaa", "A1A", "a:b", ":a",
			"a.b", ".a", "agreement//x", "agree_ment/x", "Agreement/x", "a\n", "\na", "é", "ÉÉÉ"}).Draw(t, "edge")
	}
	return string(rapid.SliceOfN(rapid.SampledFrom(identBytes), 0, 14).Draw(t, "bytes"))
})

func TestChecksMatchRegexps(t *testing.T) {
	o := newOracle()
	checks := []struct {
		name string
		fast func(string) bool
		re   func(string) bool
	}{
		{"id", validID, o.id.MatchString},
		{"ValidID", ValidID, o.id.MatchString},
		{"stream", validStream, o.stream.MatchString},
		{"agreement id / scenario name", validSlug, o.slug.MatchString},
		{"country", validCountry, o.country.MatchString},
		{"office / kind", validSnake, o.snake.MatchString},
	}
	rapid.Check(t, func(t *rapid.T) {
		s := genIdent.Draw(t, "s")
		for _, c := range checks {
			if got, want := c.fast(s), c.re(s); got != want {
				t.Fatalf("%s %q: %v, the regexp says %v", c.name, s, got, want)
			}
		}
		text := s + genText.Draw(t, "text")
		if got, want := checkText("f", text), o.text("f", text); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("checkText(%q) = %v, want %v", text, got, want)
		}
	})
}

// TestCheckTextEveryByte: each byte value at each position of texts of
// various lengths (checkText looks at eight bytes at once).
func TestCheckTextEveryByte(t *testing.T) {
	o := newOracle()
	for b := range 256 {
		for n := range 20 {
			s := strings.Repeat("a", n) + string([]byte{byte(b)}) + strings.Repeat("b", n%9)
			if got, want := checkText("f", s), o.text("f", s); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("checkText(%q) = %v, want %v", s, got, want)
			}
		}
	}
}

// genText draws free text, with the occasional control character.
var genText = rapid.Custom(func(t *rapid.T) string {
	var b strings.Builder
	for range rapid.IntRange(0, 4).Draw(t, "pieces") {
		switch rapid.IntRange(0, 4).Draw(t, "piece") {
		case 0:
			b.WriteByte(rapid.SampledFrom([]byte{0, 1, '\t', '\n', '\r', 0x1f, 0x7f, 0xc2, 0x80}).Draw(t, "control"))
		case 1:
			b.WriteRune(rapid.Rune().Draw(t, "rune"))
		default:
			b.WriteString(rapid.StringMatching(`[a-zA-Z ,.]{0,20}`).Draw(t, "plain"))
		}
	}
	return b.String()
})

// genPoolList draws lists from a small pool, so that repeats are common.
func genPoolList(t *rapid.T, name string) []string {
	if rapid.IntRange(0, 3).Draw(t, name+" nil") == 0 {
		return nil
	}
	pool := []string{"GBR", "JPN", "AUS", genIdent.Draw(t, name+" odd"), ""}
	return rapid.SliceOfN(rapid.SampledFrom(pool), 0, 5).Draw(t, name)
}

// validField holds a valid value of each payload field, by Go name.
var validField = map[string]any{
	"Agreement": "gbr-jpn-raa", "Parties": []string{"GBR", "JPN"}, "Kind": "raa", "Title": "T",
	"ProposedBy": "GBR", "Location": "London", "Round": 1, "Reason": "r", "Signatories": []string{"A"},
	"Party": "GBR", "Body": "b", "By": "JPN", "Country": "GBR", "Office": "prime_minister", "From": "a",
	"To": "b", "Winner": "w", "Summary": "s", "Speaker": "sp", "Stance": "positive",
	"ExpectedType": "agreement_signed", "ExpectedBy": MustDate("2023"), "SaidBy": "x", "Target": "x-1",
	"OccurredAt": MustDate("2023-01"), "Data": json.RawMessage(`{"a":1}`), "Actors": []string{"GBR"},
	"Recipients": []string{"JPN"}, "CAMEO": "036", "PloverEvent": "x", "PloverMode": "y",
	"PloverContext": []string{"z"}, "Goldstein": (*float64)(nil), "Intensity": (*float64)(nil), "Text": "t",
	"OriginalID": "o", "Origin": "o", "Name": "my-scenario", "Description": "d", "YAML": "y",
}

// fillForValidate sets the fields of the struct v to valid values, and a
// few of them to something a check may accept or reject.
func fillForValidate(t *rapid.T, v reflect.Value) {
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if sf.Anonymous {
			fillForValidate(t, f)
			continue
		}
		x, ok := validField[sf.Name]
		if !ok {
			t.Fatalf("no valid value for field %s: add one", sf.Name)
		}
		if rapid.IntRange(0, 15).Draw(t, sf.Name+" changed") == 7 { // rapid favours the ends of a range
			x = oddValue(t, f.Interface(), sf.Name)
		}
		f.Set(reflect.ValueOf(x))
	}
}

// oddValue draws a value of the type of v that a check may accept or
// reject.
func oddValue(t *rapid.T, v any, name string) any {
	switch v.(type) {
	case string:
		switch rapid.IntRange(0, 3).Draw(t, name+" kind") {
		case 0:
			return ""
		case 1:
			return genText.Draw(t, name)
		}
		return genIdent.Draw(t, name)
	case []string:
		return genPoolList(t, name)
	case int:
		return rapid.IntRange(-2, 3).Draw(t, name)
	case Date:
		return rapid.SampledFrom([]Date{{}, MustDate("2023"), MustDate("2023-01-11")}).Draw(t, name)
	case json.RawMessage:
		return json.RawMessage(rapid.SampledFrom([]string{"", `{"a":1}`, `[1]`}).Draw(t, name))
	}
	return v
}

// pick draws common three times in four, else one of rare. (Rapid
// favours small numbers, and the ends of ranges, which this evens out.)
func pick[T any](t *rapid.T, name string, common T, rare ...T) T {
	n := rapid.IntRange(0, 99).Draw(t, name)
	if n%4 != 1 {
		return common
	}
	return rare[n/4%len(rare)]
}

func genEvent(t *rapid.T, c *Codec) Event {
	p, _ := c.New(rapid.SampledFrom(c.Types()).Draw(t, "type"))
	fillForValidate(t, reflect.ValueOf(p).Elem())
	// maybe returns valid (most of the time), or something odd.
	maybe := func(name, valid string) string {
		switch rapid.IntRange(0, 15).Draw(t, name+" kind") {
		case 7:
			return ""
		case 8:
			return genIdent.Draw(t, name)
		}
		return valid
	}
	dates := []Date{{}, MustDate("2022"), MustDate("2023-01"), MustDate("2023-01-11"), MustDate("2023-01-12")}
	return Event{
		ID:         maybe("id", "00000017-0003-8000-8000-00000000abcd"),
		Stream:     maybe("stream", p.StreamName()),
		Type:       pick(t, "envelope type", p.EventType(), "", TypeTalksOpened),
		Data:       p,
		OccurredAt: rapid.SampledFrom(dates[1:]).Draw(t, "occurred_at"),
		ReportedAt: pick(t, "reported_at", Date{}, dates...),
		Source: Source{
			Publication: pick(t, "publication", "Reuters", "", "a\x01b"),
			Title:       pick(t, "title", "Talks", "", "T\x7f"),
			URL:         pick(t, "url", "https://x.example", "", "ftp://x", "https://\x02", "http://x"),
			Date:        rapid.SampledFrom(dates[1:]).Draw(t, "source date"),
		},
		Confidence:    pick(t, "confidence", Confirmed, "", "sure", Reported, Rumoured),
		Analyst:       pick(t, "analyst", "", "a\x00", "ana"),
		CorrelationID: maybe("correlation_id", "c-1"),
		CausationID:   maybe("causation_id", "c:2"),
	}
}

func TestValidateMatchesOracle(t *testing.T) {
	c, o := NewCodec(), newOracle()
	accepted, total := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		total++
		e := genEvent(t, c)
		if got, want := Validate(&e), o.validate(&e); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("Validate(%+v) = %v, want %v", e, got, want)
		}
		if err := checkNormalize(t, o, c, &e); err == nil {
			accepted++
		}
	})
	if accepted < total/10 {
		t.Errorf("%d of %d generated events were valid: the test compares too few acceptances", accepted, total)
	}
}

// checkNormalize runs Normalize on e and checks its result against the
// oracle. Normalize first checks the type, then fills in what it derives
// and validates, so the oracle's verdict on e as Normalize leaves it must
// be Normalize's error; when the oracle finds e valid, Normalize may only
// have failed on the stream it derives from the payload.
func checkNormalize(t fataler, o *oracle, c *Codec, e *Event) error {
	before := *e
	err := Normalize(c, e)
	var fe *FieldError
	if errors.As(err, &fe) && fe.Field == "type" {
		return err // checked before anything else
	}
	want := o.validate(e)
	switch {
	case want != nil && fmt.Sprint(err) != fmt.Sprint(want):
		t.Fatalf("Normalize(%+v) = %v, the oracle says %v", before, err, want)
	case want == nil && err != nil && !strings.Contains(err.Error(), "does not match the stream"):
		t.Fatalf("Normalize(%+v) = %v, the oracle says it is valid", before, err)
	case err == nil && (e.ID == "" || e.Stream == "" || e.ReportedAt.IsZero()):
		t.Fatalf("Normalize(%+v) accepted it but left %+v", before, e)
	}
	return err
}

// fataler is what both *testing.T and *rapid.T offer.
type fataler interface {
	Fatalf(format string, args ...any)
}

// TestValidateEdgeCases: hand-made events around each check, valid and not.
func TestValidateEdgeCases(t *testing.T) {
	c, o := NewCodec(), newOracle()
	day := MustDate("2024-03-05")
	base := func() Event {
		return Event{
			ID: "00000017-0003-8000-8000-00000000abcd", Stream: "agreement/aax-bbx-raa-17",
			Data:       &TalksRoundHeld{AgreementRef: AgreementRef{Agreement: "aax-bbx-raa-17", Parties: []string{"AAX", "BBX"}, Kind: "raa", Title: "T"}, Round: 7},
			Source:     Source{Publication: "Reuters", Title: "Talks", URL: "https://news.example.com/x", Date: day},
			OccurredAt: day, ReportedAt: day, Confidence: Confirmed,
		}
	}
	long := func(unit string, n int) string { return strings.Repeat(unit, n) }
	ids := []string{"a", "A", "0", "-a", ".a", "a-", "a.b:c_d-e", long("a", 128), long("a", 129), "a b", "é", "a\n", "a/b"}
	slugs := []string{"a", "a-b", "a--b", "-a", "a-", "A", "a_b", "aax-bbx-raa-17", long("a", 100), long("a", 101), "é"}
	countries := []string{"", "AAX", "AA", "AAAA", "aax", "AAx", "A1X", "ÀAX"}
	snakes := []string{"", "raa", "r_a_a", "_raa", "Raa", "raa-1", "r1", "1r", "prime_minister"}
	var events []Event
	for _, id := range ids {
		for _, f := range []func(*Event){
			func(e *Event) { e.ID = id },
			func(e *Event) { e.CorrelationID = id },
			func(e *Event) { e.CausationID = id },
			func(e *Event) { e.Stream = "agreement/" + id },
			func(e *Event) { e.Stream = id + "/x" },
			func(e *Event) { e.Stream = id },
		} {
			e := base()
			f(&e)
			events = append(events, e)
		}
	}
	for _, s := range slugs {
		e := base()
		e.Data.(*TalksRoundHeld).Agreement = s
		e.Stream = ""
		events = append(events, e, Event{Data: &ScenarioSaved{Name: s, YAML: "y"}, Source: e.Source, OccurredAt: day, Confidence: Reported})
	}
	for _, cc := range countries {
		for _, parties := range [][]string{{cc, "BBX"}, {"AAX", cc}, {cc, cc}, {"AAX", "BBX", "AAX"}, {cc}} {
			e := base()
			e.Data.(*TalksRoundHeld).Parties = parties
			events = append(events, e)
		}
		events = append(events, Event{Data: &PoliticalEvent{Country: "AAX", Actors: []string{"BBX", cc}}, Source: base().Source, OccurredAt: day, Confidence: Rumoured})
	}
	for _, s := range snakes {
		e := base()
		e.Data.(*TalksRoundHeld).Kind = s
		events = append(events, e, Event{Data: &LeadershipChanged{Country: "AAX", Office: s, To: "x"}, Source: base().Source, OccurredAt: day, Confidence: Reported})
	}
	many := make([]string, 40)
	for i := range many {
		many[i] = string(rune('A'+i/26)) + string(rune('A'+i%26)) + "X"
	}
	e := base()
	e.Data.(*TalksRoundHeld).Parties = append(many, "BBX")
	events = append(events, e)
	e = base()
	e.Data.(*TalksRoundHeld).Parties = many
	events = append(events, e)
	for _, e := range events {
		if got, want := Validate(&e), o.validate(&e); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Validate(%+v) = %v, want %v", e, got, want)
		}
		checkNormalize(t, o, c, &e)
	}
}

// TestValidatePerformanceShape: validating a typical event allocates
// nothing (the field names of list elements are built only for errors).
func TestValidatePerformanceShape(t *testing.T) {
	day := DayOf(time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC))
	e := Event{
		ID: "00000017-0003-8000-8000-00000000abcd", Stream: "agreement/aax-bbx-raa-17",
		Data: &AgreementSigned{AgreementRef: AgreementRef{Agreement: "aax-bbx-raa-17", Parties: []string{"AAX", "BBX"}},
			Signatories: []string{"A", "B"}},
		Source:     Source{Publication: "Reuters", Title: "Talks", Date: day},
		OccurredAt: day, ReportedAt: day, Confidence: Confirmed, CorrelationID: "c-1",
	}
	if n := testing.AllocsPerRun(100, func() {
		if err := Validate(&e); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Validate allocates %v times", n)
	}
}
