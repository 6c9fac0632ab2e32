package events_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/accord-dev/accord/events"
)

// The fast paths of Codec.Encode and Codec.DecodeStored must give exactly
// what encoding/json gives. These tests generate payloads of every built-in
// type, field by field through reflection (so a field added later is
// generated too, or the test says it does not know its type), and compare.

// genText draws strings that exercise JSON escaping: plain runs (short and
// long enough for the word-at-a-time scanning), quotes, backslashes,
// control characters, HTML characters, U+2028/U+2029, other non-ASCII,
// U+FFFD and invalid UTF-8.
var genText = rapid.Custom(func(t *rapid.T) string {
	var b strings.Builder
	for range rapid.IntRange(0, 8).Draw(t, "pieces") {
		switch rapid.IntRange(0, 7).Draw(t, "piece") {
		case 0, 1:
			b.WriteString(rapid.StringMatching(`[a-zA-Z0-9 ,.()/-]{0,40}`).Draw(t, "plain"))
		case 2:
			b.WriteString(rapid.SampledFrom([]string{`"`, `\`, `/`, `<`, `>`, `&`, "\u2028", "\u2029",
				"\x7f", "\ufffd", "é", "日本", "😀", "\u0085", "\u00a0", "'", "\\u0041"}).Draw(t, "special"))
		case 3:
			b.WriteByte(rapid.ByteRange(0, 0x1f).Draw(t, "control"))
		case 4:
			b.WriteString(rapid.SampledFrom([]string{"\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xf0\x9f\x98",
				"\xc0\xaf", "\xe2\x80\xa8"[:2]}).Draw(t, "invalid utf-8"))
		case 5:
			b.WriteRune(rapid.Rune().Draw(t, "rune"))
		case 6:
			b.Write(rapid.SliceOfN(rapid.Byte(), 0, 10).Draw(t, "bytes"))
		case 7:
			b.WriteString(strings.Repeat("abcdefgh", rapid.IntRange(1, 5).Draw(t, "words")))
		}
	}
	return b.String()
})

var genStrings = rapid.Custom(func(t *rapid.T) []string {
	switch rapid.IntRange(0, 3).Draw(t, "list") {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	return rapid.SliceOfN(genText, 1, 4).Draw(t, "elements")
})

var genInt = rapid.Custom(func(t *rapid.T) int {
	if rapid.Bool().Draw(t, "special") {
		return rapid.SampledFrom([]int{0, 1, -1, 7, math.MaxInt, math.MinInt, 1e18, -1e18}).Draw(t, "int")
	}
	return rapid.Int().Draw(t, "int")
})

var genFloat = rapid.Custom(func(t *rapid.T) *float64 {
	var f float64
	switch rapid.IntRange(0, 3).Draw(t, "float") {
	case 0:
		return nil
	case 1:
		f = rapid.SampledFrom([]float64{0, math.Copysign(0, -1), 1, -1, 1e-6, 9.999e-7, 1e-7, 1e20, 1e21, 123.456,
			-7.5, 5e-324, math.MaxFloat64, math.SmallestNonzeroFloat64, 1e-10, 12345678901234567890}).Draw(t, "special")
	case 2:
		f = rapid.Float64().Draw(t, "f")
	case 3:
		f = math.Float64frombits(rapid.Uint64().Draw(t, "bits")) // NaN and ±Inf too: json.Marshal fails on them
	}
	return &f
})

var genDate = rapid.Custom(func(t *rapid.T) events.Date {
	switch rapid.IntRange(0, 3).Draw(t, "date") {
	case 0:
		return events.Date{}
	case 1: // a date as ParseDate makes them
		p := events.Precision(rapid.IntRange(1, 3).Draw(t, "precision"))
		y, m, d := rapid.IntRange(1800, 2200).Draw(t, "year"), time.January, 1
		if p >= events.PrecisionMonth {
			m = time.Month(rapid.IntRange(1, 12).Draw(t, "month"))
		}
		if p == events.PrecisionDay {
			d = rapid.IntRange(1, 28).Draw(t, "day")
		}
		return events.Date{Day: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Precision: p}
	case 2: // a date ParseDate rejects: out of range
		y := rapid.SampledFrom([]int{0, 1, 999, 1799, 2201, 9999}).Draw(t, "year")
		return events.Date{Day: time.Date(y, 3, 4, 0, 0, 0, 0, time.UTC), Precision: events.PrecisionDay}
	}
	// Anything: any instant, any zone, any precision.
	sec := rapid.Int64Range(-1<<40, 1<<40).Draw(t, "unix")
	zone := time.FixedZone("Z", rapid.IntRange(-14*3600, 14*3600).Draw(t, "offset"))
	return events.Date{Day: time.Unix(sec, 0).In(zone), Precision: events.Precision(rapid.IntRange(0, 6).Draw(t, "precision"))}
})

// genJSONValue draws a Go value that encodes as any kind of JSON value.
func genJSONValue(depth int) *rapid.Generator[any] {
	return rapid.Custom(func(t *rapid.T) any {
		n := 6
		if depth > 2 {
			n = 4
		}
		switch rapid.IntRange(0, n).Draw(t, "kind") {
		case 0:
			return nil
		case 1:
			return rapid.Bool().Draw(t, "bool")
		case 2:
			return rapid.Float64Range(-1e6, 1e6).Draw(t, "number")
		case 3, 4:
			return genText.Draw(t, "string")
		case 5:
			return rapid.SliceOfN(genJSONValue(depth+1), 0, 3).Draw(t, "array")
		}
		return rapid.MapOfN(rapid.StringMatching(`[a-z<&]{0,4}`), genJSONValue(depth+1), 0, 3).Draw(t, "object")
	})
}

var genRaw = rapid.Custom(func(t *rapid.T) json.RawMessage {
	switch rapid.IntRange(0, 5).Draw(t, "raw") {
	case 0:
		return nil
	case 1:
		return json.RawMessage{}
	case 2:
		return json.RawMessage(rapid.SliceOfN(rapid.Byte(), 1, 12).Draw(t, "garbage"))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(rapid.Bool().Draw(t, "escape html"))
	if rapid.Bool().Draw(t, "indent") {
		enc.SetIndent(" ", "\t")
	}
	if err := enc.Encode(genJSONValue(0).Draw(t, "value")); err != nil {
		t.Fatal(err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if rapid.IntRange(0, 5).Draw(t, "pad") == 0 {
		b = append([]byte(" "), b...)
	}
	return json.RawMessage(b)
})

// fill sets every field of the struct v: to a value drawn from the
// generator for its type, or, when r is nil, to a fixed value that is not
// the zero value of the type. It fails on a field type it does not know.
func fill(t tester, r *rapid.T, v reflect.Value) {
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		var x any
		switch f.Interface().(type) {
		case string:
			x = draw(r, genText, "x-"+sf.Name, sf.Name)
		case []string:
			x = draw(r, genStrings, []string{"AAA", "BBB"}, sf.Name)
		case int:
			x = draw(r, genInt, 7, sf.Name)
		case *float64:
			x = draw(r, genFloat, new(1.5), sf.Name)
		case events.Date:
			x = draw(r, genDate, events.MustDate("2023-01-11"), sf.Name)
		case json.RawMessage:
			x = draw(r, genRaw, json.RawMessage(`{"a":[1,"b"]}`), sf.Name)
		case events.AgreementRef:
			fill(t, r, f)
			continue
		default:
			t.Fatalf("no generator for field %s of type %s: add one", sf.Name, sf.Type)
		}
		f.Set(reflect.ValueOf(x))
	}
}

// draw draws from g, or returns fixed when r is nil.
func draw[T any](r *rapid.T, g *rapid.Generator[T], fixed T, name string) T {
	if r == nil {
		return fixed
	}
	return g.Draw(r, name)
}

// tester is what both *testing.T and *rapid.T offer.
type tester interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// newPayload returns a fresh payload of typ.
func newPayload(t tester, c *events.Codec, typ string) events.Payload {
	p, err := c.New(typ)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkEncode checks Encode(p) against json.Marshal(p) and returns the
// JSON (nil when json.Marshal fails).
func checkEncode(t tester, c *events.Codec, p events.Payload) []byte {
	want, werr := json.Marshal(p)
	got, gerr := c.Encode(p)
	if werr != nil {
		if gerr == nil || gerr.Error() != "encode "+p.EventType()+": "+werr.Error() {
			t.Fatalf("Encode error %v, json.Marshal error %v", gerr, werr)
		}
		return nil
	}
	if gerr != nil || !bytes.Equal(got, want) {
		t.Fatalf("Encode:\n got %s (%v)\nwant %s", got, gerr, want)
	}
	fast, ok := events.EncodeFast(p)
	if ok && !bytes.Equal(fast, want) {
		t.Fatalf("fast Encode:\n got %s\nwant %s", fast, want)
	}
	if !ok && !mustFallBack(p) {
		t.Fatalf("fast Encode declined %#v", p)
	}
	return want
}

// mustFallBack reports whether json.Marshal must encode p: a RawMessage it
// changes (compacts, escapes) or rejects, or a number it rejects.
func mustFallBack(p events.Payload) bool {
	switch p := p.(type) {
	case *events.EventCorrected:
		m, err := json.Marshal(p.Data)
		return len(p.Data) > 0 && (err != nil || !bytes.Equal(m, p.Data))
	case *events.PoliticalEvent:
		bad := func(f *float64) bool { return f != nil && (math.IsNaN(*f) || math.IsInf(*f, 0)) }
		return bad(p.Goldstein) || bad(p.Intensity)
	}
	return false
}

// checkDecode checks DecodeStored(typ, data) against json.Unmarshal, and
// that the fast path alone never accepts what json.Unmarshal rejects or
// reads it differently. With requireFast, data that json.Unmarshal accepts
// must take the fast path.
func checkDecode(t tester, c *events.Codec, typ string, data []byte, requireFast bool) {
	got, gerr := c.DecodeStored(typ, 1, data)
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '{' {
		if gerr == nil {
			t.Fatalf("DecodeStored accepted %q, which is not an object", data)
		}
		return
	}
	want := newPayload(t, c, typ)
	werr := json.Unmarshal(data, want)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("DecodeStored(%s, %q): error %v, json.Unmarshal error %v", typ, data, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeStored(%s, %q):\n got %#v\nwant %#v", typ, data, got, want)
	}
	fast := newPayload(t, c, typ)
	ok := events.DecodeFast(fast, data)
	switch {
	case ok && werr != nil:
		t.Fatalf("fast decode accepted %q, which json.Unmarshal rejects: %v", data, werr)
	case ok && !reflect.DeepEqual(fast, want):
		t.Fatalf("fast decode of %q:\n got %#v\nwant %#v", data, fast, want)
	case !ok && requireFast && werr == nil:
		t.Fatalf("fast decode declined %q", data)
	}
}

func TestFastCodecMatchesEncodingJSON(t *testing.T) {
	c := events.NewCodec()
	types := c.Types()
	rapid.Check(t, func(t *rapid.T) {
		for _, typ := range types { // every type in every run
			p := newPayload(t, c, typ)
			fill(t, t, reflect.ValueOf(p).Elem())
			data := checkEncode(t, c, p)
			if data == nil {
				continue
			}
			checkDecode(t, c, typ, data, true)
			for range 3 {
				checkDecode(t, c, typ, genVariant(data).Draw(t, "variant of "+typ), false)
			}
		}
	})
}

// TestEveryByteAtEveryPosition: each byte value, at each position of
// strings of various lengths (the word-at-a-time scanning looks at eight
// bytes at once), encodes and decodes as with encoding/json.
func TestEveryByteAtEveryPosition(t *testing.T) {
	c := events.NewCodec()
	for b := range 256 {
		for n := range 20 {
			s := strings.Repeat("a", n) + string(rune(b))[:1] + strings.Repeat("b", n%9)
			if b >= 0x80 {
				s = s[:n] + string([]byte{byte(b)}) + s[n+1:]
			}
			checkEncode(t, c, &events.TalksRoundHeld{AgreementRef: events.AgreementRef{Title: s}})
			checkDecode(t, c, events.TypeTalksRoundHeld, []byte(`{"title":"`+s+`"}`), false)
			checkDecode(t, c, events.TypeTalksRoundHeld, []byte(`{"title":"`+s[:n]+`\`+s[n:]+`"}`), false)
			checkDecode(t, c, events.TypeEventCorrected, []byte(`{"data":{"`+s+`":"`+s+`"}}`), false)
		}
	}
}

// TestEncodeNumbersAndRawMessages: floats around the cut-offs of the
// exponent form, and raw messages json.Marshal copies, compacts, escapes
// or rejects.
func TestEncodeNumbersAndRawMessages(t *testing.T) {
	c := events.NewCodec()
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, -1e-6, 9.99999e-7, 1e-7, 1.5e-7, 1e-10,
		1e-100, 5e-324, 1e20, 1e21, -1e21, 1.2345e21, 1e100, math.MaxFloat64, 123456789012345680, 0.000001234,
		math.NaN(), math.Inf(1), math.Inf(-1)} {
		checkEncode(t, c, &events.PoliticalEvent{Country: "AAA", Goldstein: &f})
		checkEncode(t, c, &events.PoliticalEvent{Country: "AAA", Intensity: &f})
	}
	for _, raw := range []string{`{}`, `{"a":1}`, `[1,2]`, `"s"`, `1`, `true`, `null`, `{"a":"x y"}`,
		`{"a":"<"}`, `{"a":">"}`, `{"a":"&"}`, "{\"a\":\"\u2028\"}", "{\"a\":\"\u2029\"}", "{\"a\":\"\xe2\x80\"}",
		"{\"a\":\"\xff\"}", ` {}`, `{} `, `{"a" :1}`, `{"a": 1}`, "{\n}", `[1, 2]`, `{"a":"\""}`, `{"a":"\\"}`,
		`{"a":"\\\" "}`, `{"a":1}x`, `{"a":}`, `nul`, `{"a":01}`, "{\"a\":\"\x01\"}", `[`, `}`} {
		checkEncode(t, c, &events.EventCorrected{Target: "t", Data: json.RawMessage(raw)})
	}
}

// TestEncodeDates: dates of every precision, in and out of the range
// ParseDate accepts, in other zones, and of a precision that is none of
// the constants.
func TestEncodeDates(t *testing.T) {
	c := events.NewCodec()
	east := time.FixedZone("E", 14*3600)
	for _, y := range []int{-10000, -1, 0, 1, 999, 1800, 2023, 9999, 10000, 12345, 123456} {
		for _, p := range []events.Precision{events.PrecisionNone, events.PrecisionYear, events.PrecisionMonth, events.PrecisionDay, 4, 255} {
			for _, day := range []time.Time{time.Date(y, 2, 3, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 23, 0, 0, 0, east)} {
				d := events.Date{Day: day, Precision: p}
				data := checkEncode(t, c, &events.ExpectationReported{ExpectedBy: d})
				checkDecode(t, c, events.TypeExpectationReported, data, false)
				data = checkEncode(t, c, &events.EventCorrected{OccurredAt: d})
				checkDecode(t, c, events.TypeEventCorrected, data, false)
			}
		}
	}
}

// member is one key and value of a JSON object, as they stand.
type member struct {
	key string // as written, with its quotes
	val []byte
}

// membersOf splits the JSON object data into its members.
func membersOf(t *rapid.T, data []byte) []member {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", data)
	}
	var ms []member
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		key, _ := json.Marshal(k)
		ms = append(ms, member{string(key), v})
	}
	return ms
}

// genVariant draws another spelling of the JSON object data, or of a
// close relative: keys reordered, white space added, unknown keys, keys in
// another case or escaped, duplicate keys, nulls, strings escaped
// differently or holding invalid UTF-8, numbers written otherwise,
// trailing content.
func genVariant(data []byte) *rapid.Generator[[]byte] {
	return rapid.Custom(func(t *rapid.T) []byte {
		ms := membersOf(t, data)
		for range rapid.IntRange(1, 4).Draw(t, "changes") {
			var m *member
			if len(ms) > 0 {
				m = &ms[rapid.IntRange(0, len(ms)-1).Draw(t, "member")]
			}
			switch change := rapid.IntRange(0, 10).Draw(t, "change"); {
			case change == 0 && len(ms) > 1:
				i, j := rapid.IntRange(0, len(ms)-1).Draw(t, "i"), rapid.IntRange(0, len(ms)-1).Draw(t, "j")
				ms[i], ms[j] = ms[j], ms[i]
			case change == 1:
				ms = append(ms, member{rapid.SampledFrom([]string{`"extra"`, `"Extra"`, `"x"`, `""`}).Draw(t, "unknown"),
					[]byte(rapid.SampledFrom([]string{`1`, `"s"`, `null`, `[1,{"a":[]}]`, `{"b":true}`, `1.5e3`}).Draw(t, "value"))})
			case m == nil:
			case change == 2:
				m.key = recase(t, m.key)
			case change == 3:
				m.key = `"\u00` + fmt.Sprintf("%02x", m.key[1]) + m.key[2:]
			case change == 4:
				ms = append(ms, member{m.key, ms[rapid.IntRange(0, len(ms)-1).Draw(t, "other")].val})
			case change == 5:
				m.val = []byte("null")
			case change == 6:
				m.val = respell(t, m.val)
			case change == 7:
				m.val = renumber(t, m.val)
			case change == 8 && len(m.val) > 2 && m.val[0] == '"':
				i := rapid.IntRange(1, len(m.val)-1).Draw(t, "at")
				m.val = append(m.val[:i:i], append([]byte(rapid.SampledFrom([]string{"\xff", "\xed\xa0\x80", "é", "\x01", `\`}).Draw(t, "insert")), m.val[i:]...)...)
			case change == 9:
				var b bytes.Buffer
				if json.Indent(&b, m.val, "\n", " ") == nil {
					m.val = b.Bytes()
				}
			case change == 10:
				m.val = []byte(rapid.SampledFrom([]string{`true`, `1`, `"x"`, `[]`, `["a",null]`, `{}`, `[1]`}).Draw(t, "other type"))
			}
		}
		ws := rapid.SampledFrom([]string{"", "", " ", "\n\t", "\r\n  "})
		var b bytes.Buffer
		b.WriteString(ws.Draw(t, "ws") + "{")
		for i, m := range ms {
			if i > 0 {
				b.WriteString(ws.Draw(t, "ws") + ",")
			}
			b.WriteString(ws.Draw(t, "ws") + m.key + ws.Draw(t, "ws") + ":" + ws.Draw(t, "ws"))
			b.Write(m.val)
		}
		b.WriteString(ws.Draw(t, "ws") + "}")
		b.WriteString(rapid.SampledFrom([]string{"", "", " \n", "x", "{}", ","}).Draw(t, "trailer"))
		return b.Bytes()
	})
}

// recase changes the case of one letter of a quoted key, or puts in a
// character that Unicode case folding matches with a letter.
func recase(t *rapid.T, key string) string {
	name := []rune(key[1 : len(key)-1])
	if len(name) == 0 {
		return key
	}
	i := rapid.IntRange(0, len(name)-1).Draw(t, "letter")
	switch name[i] {
	case 's':
		name[i] = rapid.SampledFrom([]rune{'S', 'ſ'}).Draw(t, "s")
	case 'k':
		name[i] = rapid.SampledFrom([]rune{'K', '\u212a'}).Draw(t, "k")
	default:
		name[i] = []rune(strings.ToUpper(string(name[i])))[0]
	}
	return `"` + string(name) + `"`
}

// respell writes the strings in the JSON value v (a string or a list of
// them; other values are left alone) with other escapes: any character may
// be written as \uXXXX (a surrogate pair beyond the BMP), '/' as \/.
func respell(t *rapid.T, v []byte) []byte {
	var list []string
	if json.Unmarshal(v, &list) == nil && list != nil {
		out := []byte("[")
		for i, s := range list {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendRespelled(t, out, s)
		}
		return append(out, ']')
	}
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return v
	}
	return appendRespelled(t, nil, s)
}

func appendRespelled(t *rapid.T, out []byte, s string) []byte {
	out = append(out, '"')
	for _, r := range s {
		switch {
		case rapid.IntRange(0, 3).Draw(t, "escape") == 0:
			if r > 0xffff {
				r1, r2 := utf16Pair(r)
				out = fmt.Appendf(out, `\u%04x\u%04X`, r1, r2)
			} else {
				out = fmt.Appendf(out, `\u%04X`, r)
			}
		case r == '/':
			out = append(out, `\/`...)
		case r == '"' || r == '\\' || r < 0x20:
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = utf8.AppendRune(out, r)
		}
	}
	return append(out, '"')
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + r>>10, 0xdc00 + r&0x3ff
}

// renumber writes a JSON number otherwise: with a fraction or an exponent,
// or as a number json.Unmarshal cannot put in the field.
func renumber(t *rapid.T, v []byte) []byte {
	if len(v) == 0 || v[0] != '-' && (v[0] < '0' || v[0] > '9') {
		return v
	}
	return append(v, rapid.SampledFrom([]string{".0", "e0", "E+00", ".5", "e400", "0", "e-2"}).Draw(t, "suffix")...)
}

// TestEveryBuiltinTypeHasAFastPath: every type of NewCodec is encoded and
// decoded by the fast paths, with every field (a type or field added without
// a fast path fails here).
func TestEveryBuiltinTypeHasAFastPath(t *testing.T) {
	c := events.NewCodec()
	for _, typ := range c.Types() {
		for _, full := range []bool{false, true} {
			p := newPayload(t, c, typ)
			if full {
				fill(t, nil, reflect.ValueOf(p).Elem())
			}
			want, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := events.EncodeFast(p)
			if !ok || !bytes.Equal(got, want) {
				t.Errorf("%s: fast Encode gives %s, %v; want %s", typ, got, ok, want)
			}
			back := newPayload(t, c, typ)
			if !events.DecodeFast(back, want) {
				t.Errorf("%s: no fast decode of %s", typ, want)
			} else if !reflect.DeepEqual(back, p) {
				t.Errorf("%s: fast decode of %s gives %#v", typ, want, back)
			}
		}
	}
}

// TestFastCodecEdgeCases: hand-picked inputs for DecodeStored, with what
// json.Unmarshal makes of them.
func TestFastCodecEdgeCases(t *testing.T) {
	c := events.NewCodec()
	cases := []struct {
		typ, data string
		fast      bool // the fast path takes it
	}{
		{events.TypeTalksRoundHeld, `{}`, true},
		{events.TypeTalksRoundHeld, ` { "agreement" : "a-b" , "round" : -0 } `, true},
		{events.TypeTalksRoundHeld, `{"parties":[]}`, true},
		{events.TypeTalksRoundHeld, `{"parties":null}`, true},
		{events.TypeTalksRoundHeld, `{"parties":["A",null]}`, true},
		{events.TypeTalksRoundHeld, `{"title":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u2028\ufffd"}`, true},
		{events.TypeTalksRoundHeld, `{"title":"\ud83d\ude00"}`, false},
		{events.TypeTalksRoundHeld, `{"title":"\ud83d"}`, false},
		{events.TypeTalksRoundHeld, `{"title":"\x"}`, false},
		{events.TypeTalksRoundHeld, `{"title":"\'"}`, false},
		{events.TypeTalksRoundHeld, "{\"title\":\"a\xffb\"}", false},
		{events.TypeTalksRoundHeld, "{\"title\":\"a\x01b\"}", false},
		{events.TypeTalksRoundHeld, `{"round":1.0}`, false},
		{events.TypeTalksRoundHeld, `{"round":01}`, false},
		{events.TypeTalksRoundHeld, `{"round":9223372036854775807}`, true},
		{events.TypeTalksRoundHeld, `{"round":-9223372036854775808}`, true},
		{events.TypeTalksRoundHeld, `{"round":9223372036854775808}`, false},
		{events.TypeTalksRoundHeld, `{"round":-9223372036854775809}`, false},
		{events.TypeTalksRoundHeld, `{"round":99999999999999999999}`, false},
		{events.TypeTalksRoundHeld, `{"round":"7"}`, false},
		{events.TypeTalksRoundHeld, `{"Round":7}`, false},
		{events.TypeTalksRoundHeld, `{"round":7,"round":8}`, false},
		{events.TypeTalksRoundHeld, `{"round":7,}`, false},
		{events.TypeTalksRoundHeld, `{"round":7} x`, false},
		{events.TypeTalksRoundHeld, `{"round":7}{}`, false},
		{events.TypeTalksRoundHeld, `{"round":7`, false},
		{events.TypeTalksRoundHeld, `{"unknown":7}`, false},
		{events.TypeTalksRoundHeld, `{"loc\u0061tion":"x"}`, false},
		{events.TypeTalksRoundHeld, `{"location":nul}`, false},
		{events.TypeTalksRoundHeld, `{"location":nullx}`, false},
		{events.TypeExpectationReported, `{"expected_by":"2023-02"}`, true},
		{events.TypeExpectationReported, `{"expected_by":null}`, true},
		{events.TypeExpectationReported, `{"expected_by":"2023-02-30"}`, false},
		{events.TypeExpectationReported, `{"expected_by":"2023-02-03T10:00:00+05:00"}`, true},
		{events.TypeExpectationReported, `{"expected_by":20230203}`, false},
		{events.TypePoliticalEvent, `{"goldstein":-1.5e-7,"intensity":0}`, true},
		{events.TypePoliticalEvent, `{"goldstein":1e400}`, false},
		{events.TypePoliticalEvent, `{"goldstein":-}`, false},
		{events.TypePoliticalEvent, `{"goldstein":.5}`, false},
		{events.TypePoliticalEvent, `{"goldstein":1.}`, false},
		{events.TypePoliticalEvent, `{"goldstein":null}`, true},
		{events.TypeEventCorrected, `{"data":{"a": [1, 2.5e3, "x\u0041", true, false, null, {}]}}`, true},
		{events.TypeEventCorrected, `{"data":null}`, true},
		{events.TypeEventCorrected, `{"data":[1,]}`, false},
		{events.TypeEventCorrected, `{"data":{"a" 1}}`, false},
		{events.TypeEventCorrected, `{"data":{"a":01}}`, false},
		{events.TypeEventCorrected, `{"data":"\q"}`, false},
		{events.TypeEventCorrected, `{"data":tru}`, false},
		{events.TypeEventCorrected, `{"data":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`, false},
	}
	for _, tc := range cases {
		checkDecode(t, c, tc.typ, []byte(tc.data), tc.fast)
		if ok := events.DecodeFast(newPayload(t, c, tc.typ), []byte(tc.data)); ok != tc.fast {
			t.Errorf("%s %s: fast path %v, want %v", tc.typ, tc.data, ok, tc.fast)
		}
	}
}

// A custom payload type that embeds a built-in one (or AgreementRef) must
// go through encoding/json, with its own fields.
type customTalks struct {
	events.TalksRoundHeld
	Extra string `json:"extra"`
}

func (*customTalks) EventType() string { return "custom_talks" }

type customRef struct {
	events.AgreementRef
	Body string `json:"body"`
}

func (*customRef) EventType() string { return "custom_ref" }

func TestCustomTypesUseEncodingJSON(t *testing.T) {
	c := events.NewCodec()
	c.Register(func() events.Payload { return new(customTalks) }, 1, nil)
	c.Register(func() events.Payload { return new(customRef) }, 1, nil)
	for _, p := range []events.Payload{
		&customTalks{TalksRoundHeld: events.TalksRoundHeld{AgreementRef: events.AgreementRef{Agreement: "a-b"}, Round: 2}, Extra: "e"},
		&customRef{AgreementRef: events.AgreementRef{Agreement: "a-b"}, Body: "b"},
	} {
		data, err := c.Encode(p)
		want, _ := json.Marshal(p)
		if err != nil || !bytes.Equal(data, want) {
			t.Fatalf("Encode(%T) = %s, %v; want %s", p, data, err, want)
		}
		back, err := c.DecodeStored(p.EventType(), 1, data)
		if err != nil || !reflect.DeepEqual(back, p) {
			t.Fatalf("DecodeStored(%s) = %#v, %v; want %#v", data, back, err, p)
		}
	}
	// A nil payload of a built-in type is encoded as json.Marshal does it.
	if data, err := c.Encode((*events.TalksRoundHeld)(nil)); err != nil || string(data) != "null" {
		t.Fatalf("Encode(nil *TalksRoundHeld) = %s, %v", data, err)
	}
}

// FuzzDecodeStored: for any bytes and any built-in type, DecodeStored
// gives what json.Unmarshal gives (the same value, or an error when it
// fails), and the fast path alone never accepts what json.Unmarshal
// rejects. Run with
//
//	go test ./events -run '^$' -fuzz '^FuzzDecodeStored$' -fuzztime 10m
func FuzzDecodeStored(f *testing.F) {
	c := events.NewCodec()
	types := c.Types()
	for i, typ := range types {
		p := newPayload(f, c, typ)
		fill(f, nil, reflect.ValueOf(p).Elem())
		data, err := json.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), data)
		f.Add(uint8(i), []byte("{}"))
	}
	for _, s := range []string{
		` {"agreement":"a-b", "parties":["AAA","BBB"],"round":7,"title":"x\u0041\"\\\/\u2028"} `,
		`{"round":1e2}`, `{"round":-0}`, `{"Round":1}`, `{"round":1,"round":2}`, `{"parties":[null]}`,
		`{"expected_by":"2023-02"}`, `{"goldstein":-1.5e-7}`, `{"data":{"a":[1,{"b":null}]}}`, "{\"title\":\"\xff\"}",
	} {
		for i := range types {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, i uint8, data []byte) {
		checkDecode(t, c, types[int(i)%len(types)], data, false)
	})
}

// FuzzEncode: for any string, raw message and number, Encode of payloads
// that hold them gives what json.Marshal gives.
func FuzzEncode(f *testing.F) {
	f.Add("plain", []byte(`{"a":1}`), 1.5)
	f.Add("<&>\u2028\x7f\x00\xff\"\\é", []byte(`{"a": "<"}`), 1e21)
	f.Add("", []byte(`[1,2`), math.Inf(1))
	c := events.NewCodec()
	f.Fuzz(func(t *testing.T, s string, raw []byte, g float64) {
		checkEncode(t, c, &events.EventCorrected{Target: s, Data: raw, Reason: s})
		checkEncode(t, c, &events.PoliticalEvent{Country: s, Actors: []string{s, ""}, Goldstein: &g, Text: s})
	})
}

// TestAppendEncode: AppendEncode appends exactly what Encode returns, after
// whatever the buffer holds, for every type (fast path or not).
func TestAppendEncode(t *testing.T) {
	c := events.NewCodec()
	types := c.Types()
	rapid.Check(t, func(t *rapid.T) {
		prefix := []byte(rapid.StringN(0, 40, -1).Draw(t, "prefix"))
		buf := append(make([]byte, 0, rapid.IntRange(0, 600).Draw(t, "cap")), prefix...)
		for _, typ := range types {
			p := newPayload(t, c, typ)
			fill(t, t, reflect.ValueOf(p).Elem())
			want, werr := c.Encode(p)
			got, err := c.AppendEncode(buf, p)
			if (err != nil) != (werr != nil) {
				t.Fatalf("%s: AppendEncode error %v, Encode error %v", typ, err, werr)
			}
			if err == nil && string(got) != string(prefix)+string(want) {
				t.Fatalf("%s: AppendEncode gave %q, want %q", typ, got, string(prefix)+string(want))
			}
		}
	})
	if _, err := c.AppendEncode(nil, nil); err == nil {
		t.Error("AppendEncode of no payload: no error")
	}
}
