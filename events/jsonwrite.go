package events

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// This file is a small JSON writer for the built-in payload types. Its
// functions append to a byte slice and write exactly the bytes that
// json.Marshal writes for the same Go values (with its HTML escaping), so
// that Codec.Encode need not go through reflection. The property tests
// check the equivalence against encoding/json.
//
// An object is written field by field, each as `,"key":value`; closeObject
// then turns the first comma into the opening brace. The keys are constants
// of this package that need no escaping.

const hexDigits = "0123456789abcdef"

// The ASCII bytes that json.Marshal copies into a string unescaped, as two
// bit sets: bit c of safeLow for c < 64, bit c-64 of safeHigh for the rest.
// Control characters, '"', '\\', and (HTML escaping) '<', '>' and '&' are
// escaped; DEL (0x7f) is not.
const (
	safeLow  uint64 = 0xffffffff_00000000 &^ (1<<'"' | 1<<'&' | 1<<'<' | 1<<'>')
	safeHigh uint64 = 0xffffffff_ffffffff &^ (1 << ('\\' - 64))
)

// jsonSafe reports whether json.Marshal writes the ASCII byte c as itself
// inside a string.
func jsonSafe(c byte) bool {
	if c < 64 {
		return safeLow>>c&1 != 0
	}
	return safeHigh>>(c-64)&1 != 0
}

// appendJSONString appends s as a JSON string the way json.Marshal writes
// it: the short escapes \" \\ \b \f \n \r \t, \u00XX for the other control
// characters and for <, > and &, \u2028 and \u2029 for those two
// separators, and \ufffd for each byte that is not part of valid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0 // s[start:i] is pending, to be copied as it is
	for i := plainWords(s); i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe(c) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = appendEscapedASCII(b, c)
			i++
			start = i
			i += plainWords(s[i:])
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			start = i + size
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
			start = i + size
		}
		i += size
		i += plainWords(s[i:])
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscapedASCII appends the escape of an ASCII byte that is not
// jsonSafe.
func appendEscapedASCII(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// appendKey appends `,"key":`. key must need no escaping.
func appendKey(b []byte, key string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// closeObject finishes an object whose fields were appended from b[start:]
// on, each with a leading comma.
func closeObject(b []byte, start int) []byte {
	if len(b) == start {
		return append(b, '{', '}')
	}
	b[start] = '{'
	return append(b, '}')
}

// appendString appends a string field (a field without omitempty).
func appendString(b []byte, key, v string) []byte {
	return appendJSONString(appendKey(b, key), v)
}

// appendOptString appends a string field with omitempty: nothing for "".
func appendOptString(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendString(b, key, v)
}

// appendOptStrings appends a []string field with omitempty: nothing for a
// nil or empty list.
func appendOptStrings(b []byte, key string, v []string) []byte {
	if len(v) == 0 {
		return b
	}
	b = appendKey(b, key)
	for i, s := range v {
		if i == 0 {
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendOptInt appends an int field with omitempty: nothing for 0.
func appendOptInt(b []byte, key string, v int) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendInt(appendKey(b, key), int64(v), 10)
}

// finite reports whether the float64 that v points to, if any, can be
// written as JSON: json.Marshal fails on NaN and the infinities.
func finite(v *float64) bool {
	return v == nil || !math.IsNaN(*v) && !math.IsInf(*v, 0)
}

// appendOptFloat appends a *float64 field with omitempty: nothing for nil.
// The value must be finite. Like json.Marshal it writes the shortest
// decimal that reads back as the same float64, with an exponent ("1e-7",
// "1e+21") only below 1e-6 and from 1e21 on.
func appendOptFloat(b []byte, key string, v *float64) []byte {
	if v == nil {
		return b
	}
	b = appendKey(b, key)
	f := *v
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// A two-digit negative exponent loses its leading zero: e-07 is e-7.
		n := len(b)
		if b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendDate appends a Date field as Date.MarshalJSON writes it: null for
// the zero Date, else its String in quotes. omitZero leaves the zero Date
// out instead (the omitzero option, which uses Date.IsZero).
func appendDate(b []byte, key string, d Date, omitZero bool) []byte {
	if omitZero && d.IsZero() {
		return b
	}
	b = appendKey(b, key)
	if d.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = appendDateString(b, d)
	return append(b, '"')
}

// appendDateString appends d.String() without going through time.Format
// for the four-digit years that every valid Date has. The result is only
// digits and '-', so it needs no JSON escaping.
func appendDateString(b []byte, d Date) []byte {
	year, month, day := d.Day.Date()
	switch {
	case d.Precision == PrecisionYear:
		return strconv.AppendInt(b, int64(year), 10)
	case year < 0 || year > 9999 || d.Precision != PrecisionDay && d.Precision != PrecisionMonth:
		return append(b, d.String()...)
	}
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	if d.Precision == PrecisionDay {
		b = append(b, '-')
		b = appendDigits(b, day, 2)
	}
	return b
}

// appendDigits appends the non-negative n in exactly width decimal digits,
// with leading zeros; n must be less than 10^width.
func appendDigits(b []byte, n, width int) []byte {
	for range width {
		b = append(b, '0')
	}
	for i := len(b) - 1; n > 0; i-- {
		b[i] += byte(n % 10)
		n /= 10
	}
	return b
}

// appendOptRaw appends a json.RawMessage field with omitempty: nothing for
// an empty message. json.Marshal would compact and HTML-escape the
// message; only a message that is valid JSON and already in that form can
// be copied, so the caller checks verbatimJSON first.
func appendOptRaw(b []byte, key string, v json.RawMessage) []byte {
	if len(v) == 0 {
		return b
	}
	return append(appendKey(b, key), v...)
}

// verbatimJSON reports whether json.Marshal writes the RawMessage m as it
// is: m is empty (and left out), or valid JSON with no white space outside
// strings and nothing that HTML escaping changes (<, >, &, U+2028, U+2029).
func verbatimJSON(m json.RawMessage) bool {
	if len(m) == 0 {
		return true
	}
	inString, escaped := false, false
	for i, c := range m {
		switch {
		case c == '<' || c == '>' || c == '&':
			return false
		case c == 0xe2 && i+2 < len(m) && m[i+1] == 0x80 && (m[i+2] == 0xa8 || m[i+2] == 0xa9):
			return false
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return false
		}
	}
	return json.Valid(m)
}
