package events

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// This file is a small JSON reader for the built-in payload types, the fast
// path of Codec.DecodeStored. It reads one object of plain shape: exact
// field names, each once, values of the field's JSON type. It gives up
// (returns false) on anything else that json.Unmarshal might read
// differently or reject: unknown keys or keys in another case (which
// json.Unmarshal matches case-insensitively), escaped keys, duplicate
// keys, numbers that are not plain integers where an int is wanted, UTF-16
// surrogate escapes, invalid UTF-8, syntax errors, trailing content. The
// caller then decodes with encoding/json, so the result is always what
// json.Unmarshal gives; the property and fuzz tests check that.
//
// The reader is a value on the caller's stack. Its methods read the value
// that starts at pos and leave pos just after it.

// maxFields is the most keys the reader keeps track of in one object to
// find duplicates; every built-in payload type has fewer fields.
const maxFields = 16

// maxRawDepth is how deeply a json.RawMessage value may nest before the
// reader gives up (encoding/json allows 10000 levels).
const maxRawDepth = 100

// jsonReader reads the JSON object in data, one field at a time (see
// nextField and the read methods).
type jsonReader struct {
	data []byte
	pos  int
	// keys are the keys read so far in the object, to find duplicates:
	// their start and end in data (offsets rather than slices, which would
	// cost a write barrier each while the garbage collector runs). keyBits
	// has a bit set for each of them, by a hash, so that most keys need no
	// comparing.
	keys    [maxFields][2]int
	nkeys   int
	keyBits uint64
	// open and closed say whether the object's braces have been read.
	open, closed bool
	// failed is set when the input is not of the plain shape.
	failed bool
}

// skipSpace skips JSON white space.
func (r *jsonReader) skipSpace() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// consume skips white space and then c, and reports whether c was there.
func (r *jsonReader) consume(c byte) bool {
	r.skipSpace()
	if r.pos < len(r.data) && r.data[r.pos] == c {
		r.pos++
		return true
	}
	return false
}

// nextField reads up to the next field's value: the opening brace on the
// first call, then a comma or the closing brace, then a key and its colon.
// It returns the key, or false at the end of the object or when the input
// is not of the plain shape (failed says which).
func (r *jsonReader) nextField() ([]byte, bool) {
	switch {
	case !r.open:
		if !r.consume('{') {
			return r.fail()
		}
		r.open = true
		if r.consume('}') {
			r.closed = true
			return nil, false
		}
	case r.consume('}'):
		r.closed = true
		return nil, false
	case !r.consume(','):
		return r.fail()
	}
	if !r.consume('"') {
		return r.fail()
	}
	start, end := r.pos, r.pos
	for ; end < len(r.data) && r.data[end] != '"'; end++ {
		if c := r.data[end]; c < 0x20 || c == '\\' || c >= utf8.RuneSelf {
			return r.fail() // no field name needs escapes or non-ASCII
		}
	}
	if end == len(r.data) || end == start || r.nkeys == maxFields {
		return r.fail()
	}
	r.pos = end + 1
	if !r.consume(':') {
		return r.fail()
	}
	key := r.data[start:end]
	bit := uint64(1) << ((len(key)*7 + int(key[0]) + int(key[len(key)-1])*3) & 63)
	if r.keyBits&bit != 0 {
		for _, k := range r.keys[:r.nkeys] {
			if string(r.data[k[0]:k[1]]) == string(key) {
				return r.fail() // a duplicate: json.Unmarshal merges them
			}
		}
	}
	r.keyBits |= bit
	r.keys[r.nkeys] = [2]int{start, end}
	r.nkeys++
	r.skipSpace()
	return key, true
}

// fail records that the input is not of the plain shape.
func (r *jsonReader) fail() ([]byte, bool) {
	r.failed = true
	return nil, false
}

// done reports whether the whole input was one object of plain shape,
// with nothing but white space after it.
func (r *jsonReader) done() bool {
	r.skipSpace()
	return !r.failed && r.closed && r.pos == len(r.data)
}

// null reads a null if there is one.
func (r *jsonReader) null() bool {
	if len(r.data)-r.pos >= 4 && string(r.data[r.pos:r.pos+4]) == "null" {
		r.pos += 4
		return true
	}
	return false
}

// readString reads a string into dst; null leaves dst alone, as
// json.Unmarshal does.
func (r *jsonReader) readString(dst *string) bool {
	if r.null() {
		return true
	}
	s, ok := r.stringValue()
	if ok {
		*dst = s
	}
	return ok
}

// readStrings reads a list of strings into dst; null sets it to nil and
// [] to an empty list, as json.Unmarshal does.
func (r *jsonReader) readStrings(dst *[]string) bool {
	if r.null() {
		*dst = nil
		return true
	}
	if !r.consume('[') {
		return false
	}
	list := make([]string, 0, 2) // most lists are the two parties of an agreement
	if !r.consume(']') {
		for {
			r.skipSpace()
			var s string
			if !r.readString(&s) {
				return false
			}
			list = append(list, s)
			if r.consume(']') {
				break
			}
			if !r.consume(',') {
				return false
			}
		}
	}
	*dst = list
	return true
}

// readInt reads a plain integer (no fraction or exponent) that fits an int.
// null leaves dst alone.
func (r *jsonReader) readInt(dst *int) bool {
	if r.null() {
		return true
	}
	end, integer := r.scanNumber()
	if !integer {
		return false
	}
	digits := r.data[r.pos:end]
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	if len(digits) > 19 { // 19 digits cannot overflow a uint64
		return false
	}
	var u uint64
	for _, c := range digits {
		u = u*10 + uint64(c-'0')
	}
	var n int64
	switch {
	case neg && u <= 1<<63:
		n = int64(-u) // -(1<<63) wraps to itself
	case !neg && u < 1<<63:
		n = int64(u)
	default:
		return false
	}
	if int64(int(n)) != n { // int is 32 bits wide on some platforms
		return false
	}
	*dst = int(n)
	r.pos = end
	return true
}

// readFloat reads a number into a new float64 at *dst; null sets *dst to
// nil. Numbers out of the range of float64 are left to encoding/json.
func (r *jsonReader) readFloat(dst **float64) bool {
	if r.null() {
		*dst = nil
		return true
	}
	start := r.pos
	end, _ := r.scanNumber()
	if end < 0 {
		return false
	}
	f, err := strconv.ParseFloat(string(r.data[start:end]), 64)
	if err != nil {
		return false
	}
	*dst = &f
	r.pos = end
	return true
}

// readDate reads a Date the way Date.UnmarshalJSON does: null is the zero
// Date; a string must parse with ParseDate (an error is left to
// encoding/json, which reports it).
func (r *jsonReader) readDate(dst *Date) bool {
	if r.null() {
		*dst = Date{}
		return true
	}
	s, ok := r.stringValue()
	if !ok {
		return false
	}
	d, err := ParseDate(s)
	if err != nil {
		return false
	}
	*dst = d
	return true
}

// readRaw copies the next JSON value, whatever it is, into dst, exactly as
// it stands in the input (json.RawMessage keeps it so).
func (r *jsonReader) readRaw(dst *json.RawMessage) bool {
	start := r.pos
	if !r.skipValue(0) {
		return false
	}
	*dst = append(json.RawMessage(nil), r.data[start:r.pos]...)
	return true
}

// scanNumber scans a JSON number at pos without moving pos. It returns the
// end of the number, or -1 when there is none, and whether the number is a
// plain integer (no fraction, no exponent). What follows the number is
// checked by the caller ("01" is 0 followed by a stray 1).
func (r *jsonReader) scanNumber() (end int, integer bool) {
	d, i := r.data, r.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	if i < len(d) && d[i] == '0' {
		i++
	} else if i = skipDigits(d, i); i < 0 {
		return -1, false
	}
	integer = true
	if i < len(d) && d[i] == '.' {
		if i = skipDigits(d, i+1); i < 0 {
			return -1, false
		}
		integer = false
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i = skipDigits(d, i); i < 0 {
			return -1, false
		}
		integer = false
	}
	return i, integer
}

// skipDigits returns the index after the run of digits at d[i:], or -1
// when there is no digit there.
func skipDigits(d []byte, i int) int {
	start := i
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	if i == start {
		return -1
	}
	return i
}

// stringValue reads a JSON string. Without escapes, the result is one copy
// of the input bytes.
func (r *jsonReader) stringValue() (string, bool) {
	d := r.data
	if r.pos >= len(d) || d[r.pos] != '"' {
		return "", false
	}
	start := r.pos + 1
	for i := start + plainWordsBytes(d[start:]); i < len(d); {
		switch c := d[i]; {
		case c == '"':
			r.pos = i + 1
			return string(d[start:i]), true
		case c == '\\':
			return r.unescape(start, i)
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			i++
		default:
			n, ok := validRune(d[i:])
			if !ok {
				return "", false
			}
			i += n
		}
	}
	return "", false
}

// validRune returns the length of the UTF-8 encoded rune at the start of
// b, and false when it is not valid UTF-8 (encoding/json replaces such
// bytes with U+FFFD; that is left to it).
func validRune(b []byte) (int, bool) {
	r, n := utf8.DecodeRune(b)
	return n, r != utf8.RuneError || n > 1
}

// unescape reads the rest of a string that has an escape at i; the string's
// content started at start.
func (r *jsonReader) unescape(start, i int) (string, bool) {
	d := r.data
	var buf [256]byte
	out := append(buf[:0], d[start:i]...)
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			r.pos = i + 1
			return string(out), true
		case c == '\\':
			if i+1 == len(d) {
				return "", false
			}
			var n int
			out, n = appendUnescaped(out, d[i:])
			if n == 0 {
				return "", false
			}
			i += n
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			n, ok := validRune(d[i:])
			if !ok {
				return "", false
			}
			out = append(out, d[i:i+n]...)
			i += n
		}
	}
	return "", false
}

// appendUnescaped appends what the escape at the start of b (a backslash
// and at least one more byte) stands for, and returns the escape's length,
// or 0 for an escape that is not handled here: a bad one, or a UTF-16
// surrogate (half of a pair, or alone).
func appendUnescaped(out, b []byte) ([]byte, int) {
	switch b[1] {
	case '"', '\\', '/':
		return append(out, b[1]), 2
	case 'b':
		return append(out, '\b'), 2
	case 'f':
		return append(out, '\f'), 2
	case 'n':
		return append(out, '\n'), 2
	case 'r':
		return append(out, '\r'), 2
	case 't':
		return append(out, '\t'), 2
	case 'u':
		if len(b) < 6 {
			return out, 0
		}
		var r rune
		for _, c := range b[2:6] {
			v, ok := hexValue(c)
			if !ok {
				return out, 0
			}
			r = r<<4 | v
		}
		if 0xd800 <= r && r < 0xe000 {
			return out, 0
		}
		return utf8.AppendRune(out, r), 6
	}
	return out, 0
}

// hexValue returns the value of the hexadecimal digit c.
func hexValue(c byte) (rune, bool) {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0'), true
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10), true
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10), true
	}
	return 0, false
}

// skipValue moves pos past one JSON value, checking its syntax as strictly
// as encoding/json does. depth is the nesting depth of the value.
func (r *jsonReader) skipValue(depth int) bool {
	r.skipSpace()
	if r.pos >= len(r.data) || depth > maxRawDepth {
		return false
	}
	switch c := r.data[r.pos]; c {
	case '{', '[':
		return r.skipContainer(c, depth)
	case '"':
		return r.skipString()
	case 't':
		return r.skipLiteral("true")
	case 'f':
		return r.skipLiteral("false")
	case 'n':
		return r.skipLiteral("null")
	}
	end, _ := r.scanNumber()
	if end < 0 {
		return false
	}
	r.pos = end
	return true
}

// skipContainer skips an object (open is '{') or an array ('[').
func (r *jsonReader) skipContainer(open byte, depth int) bool {
	closing := byte(']')
	if open == '{' {
		closing = '}'
	}
	r.pos++
	if r.consume(closing) {
		return true
	}
	for {
		if open == '{' {
			r.skipSpace()
			if !r.skipString() || !r.consume(':') {
				return false
			}
		}
		if !r.skipValue(depth + 1) {
			return false
		}
		if r.consume(closing) {
			return true
		}
		if !r.consume(',') {
			return false
		}
	}
}

// skipString skips a string with valid escapes and no control characters.
// Like encoding/json it lets other bytes pass, valid UTF-8 or not.
func (r *jsonReader) skipString() bool {
	d := r.data
	if r.pos >= len(d) || d[r.pos] != '"' {
		return false
	}
	for i := r.pos + 1; i < len(d); {
		switch c := d[i]; {
		case c == '"':
			r.pos = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if i+1 == len(d) {
				return false
			}
			if d[i+1] == 'u' {
				if len(d)-i < 6 || !allHex(d[i+2:i+6]) {
					return false
				}
				i += 6
				continue
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			default:
				return false
			}
		default:
			i++
		}
	}
	return false
}

// allHex reports whether b is all hexadecimal digits.
func allHex(b []byte) bool {
	for _, c := range b {
		if _, ok := hexValue(c); !ok {
			return false
		}
	}
	return true
}

// skipLiteral skips the literal lit (true, false or null).
func (r *jsonReader) skipLiteral(lit string) bool {
	if len(r.data)-r.pos < len(lit) || string(r.data[r.pos:r.pos+len(lit)]) != lit {
		return false
	}
	r.pos += len(lit)
	return true
}
