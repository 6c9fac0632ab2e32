package events_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/accord-dev/accord/events"
)

const goodLine = `{"type":"agreement_signed","occurred_at":"2023-01-11","data":{"agreement":"gbr-jpn-raa","parties":["GBR","JPN"]},"source":{"publication":"GOV.UK","title":"UK and Japan sign defence agreement","date":"2023-01-11"},"confidence":"confirmed"}`

func TestParseWireGood(t *testing.T) {
	c := events.NewCodec()
	e, err := events.ParseWire(c, []byte(goodLine))
	if err != nil {
		t.Fatal(err)
	}
	if e.Stream != "agreement/gbr-jpn-raa" {
		t.Errorf("stream = %q", e.Stream)
	}
	if e.ReportedAt != e.OccurredAt {
		t.Errorf("reported_at %v, want occurred_at %v", e.ReportedAt, e.OccurredAt)
	}
	if len(e.ID) != 36 {
		t.Errorf("derived id %q", e.ID)
	}
	e2, _ := events.ParseWire(c, []byte(goodLine))
	if e2.ID != e.ID {
		t.Errorf("derived ids differ: %s %s", e.ID, e2.ID)
	}
	p, ok := e.Data.(*events.AgreementSigned)
	if !ok || p.Agreement != "gbr-jpn-raa" || len(p.Parties) != 2 {
		t.Errorf("payload = %#v", e.Data)
	}
	w, err := events.ToWire(c, &e)
	if err != nil {
		t.Fatal(err)
	}
	if w.OccurredAt != "2023-01-11" || w.Type != "agreement_signed" {
		t.Errorf("wire = %+v", w)
	}
}

func TestParseWireErrorsNameTheField(t *testing.T) {
	c := events.NewCodec()
	cases := []struct {
		name, line, field, problem string
	}{
		{"impossible date", strings.Replace(goodLine, `"occurred_at":"2023-01-11"`, `"occurred_at":"2022-02-30"`, 1), "occurred_at", "day out of range"},
		{"unknown type", strings.Replace(goodLine, `agreement_signed`, `agreement_sined`, 1), "type", "unknown event type"},
		{"missing agreement", strings.Replace(goodLine, `"agreement":"gbr-jpn-raa",`, ``, 1), "data.agreement", "is required"},
		{"wrong type in data", strings.Replace(goodLine, `["GBR","JPN"]`, `"GBR"`, 1), "data.parties", "must be a list"},
		{"one party", strings.Replace(goodLine, `["GBR","JPN"]`, `["GBR"]`, 1), "data.parties", "two or more"},
		{"bad country", strings.Replace(goodLine, `["GBR","JPN"]`, `["GBR","Japan"]`, 1), "data.parties[1]", "alpha-3"},
		{"unknown data field", strings.Replace(goodLine, `"parties"`, `"partys"`, 1), "data.partys", "not a field"},
		{"unknown envelope field", strings.Replace(goodLine, `"confidence"`, `"confidense"`, 1), "confidense", "not a field"},
		{"bad confidence", strings.Replace(goodLine, `"confirmed"`, `"certain"`, 1), "confidence", "not one of"},
		{"no source", strings.Replace(goodLine, `"source":{"publication":"GOV.UK","title":"UK and Japan sign defence agreement","date":"2023-01-11"},`, ``, 1), "source.publication", "required"},
		{"reported before occurred", strings.Replace(goodLine, `"occurred_at":"2023-01-11"`, `"occurred_at":"2023-01-11","reported_at":"2022-12-01"`, 1), "reported_at", "before occurred_at"},
		{"missing occurred_at", strings.Replace(goodLine, `"occurred_at":"2023-01-11",`, ``, 1), "occurred_at", "required"},
		{"stream mismatch", strings.Replace(goodLine, `"type"`, `"stream":"agreement/other","type"`, 1), "stream", "does not match"},
		{"control char in title", strings.Replace(goodLine, `UK and Japan`, `UK\u0007Japan`, 1), "source.title", "control character"},
		{"not an object", `[1,2]`, "", "JSON object"},
		{"broken json", `{"type":`, "", "not valid JSON"},
		{"broken json 2", `{"type" 1}`, "", "not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := events.ParseWire(c, []byte(tc.line))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, events.ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			var fe *events.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FieldError", err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Problem, tc.problem) {
				t.Errorf("got field %q problem %q; want field %q problem containing %q", fe.Field, fe.Problem, tc.field, tc.problem)
			}
		})
	}
}

func TestReadLinesReportsLineNumbers(t *testing.T) {
	bad := strings.Replace(goodLine, `"2023-01-11","data"`, `"2022-02-30","data"`, 1)
	input := goodLine + "\n" + strings.Replace(goodLine, "2023-01-11\",\"data", "2023-01-12\",\"data", 1) + "\n" + bad + "\n"
	evs, errs := events.ReadLines(events.NewCodec(), []byte(input), 0)
	if len(errs) != 1 || len(evs) != 2 {
		t.Fatalf("events %d errs %v", len(evs), errs)
	}
	if !strings.HasPrefix(errs[0].Error(), "line 3: field occurred_at:") {
		t.Errorf("error = %v", errs[0])
	}
}

func TestDateCompareAndPrecision(t *testing.T) {
	cases := []struct {
		in   string
		out  string
		prec events.Precision
	}{
		{"2022", "2022", events.PrecisionYear},
		{"2022-05", "2022-05", events.PrecisionMonth},
		{"2022-05-05", "2022-05-05", events.PrecisionDay},
		{"2022-05-05T23:59:00Z", "2022-05-05", events.PrecisionDay},
	}
	for _, tc := range cases {
		d, err := events.ParseDate(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if d.String() != tc.out || d.Precision != tc.prec {
			t.Errorf("%s: got %s %v", tc.in, d, d.Precision)
		}
	}
	for _, bad := range []string{"2022-02-30", "2022-13", "22", "2022/01/01", "", "1500-01-01"} {
		if _, err := events.ParseDate(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	month := events.MustDate("2022-05")
	if !month.ReachedBy(events.MustDate("2022-05-01").Day) || month.ReachedBy(events.MustDate("2022-04-30").Day) {
		t.Error("a month date is reached on its first day, not before")
	}
	if !month.Before(events.MustDate("2022-05-01")) || events.MustDate("2022-05-02").Before(month) {
		t.Error("coarser sorts first at the same first day; later days after")
	}
	if got := events.MustDate("2024").End().Format("2006-01-02"); got != "2024-12-31" {
		t.Errorf("end of 2024 = %s", got)
	}
}

func TestKindMapping(t *testing.T) {
	conflict := &events.ConflictError{Stream: "s", Expected: events.Exact(3), Actual: 4}
	if events.KindOf(conflict) != events.KindConflict || events.KindOf(conflict).HTTPStatus() != 409 || events.KindOf(conflict).ExitCode() != 3 {
		t.Error("conflict mapping")
	}
	if !strings.Contains(conflict.Error(), "expected version 3") || !strings.Contains(conflict.Error(), "actual version 4") {
		t.Error(conflict.Error())
	}
	if events.KindOf(errors.New("x")).HTTPStatus() != 500 {
		t.Error("internal mapping")
	}
}
