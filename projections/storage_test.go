package projections

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestFactLayout keeps the per-event record small and free of Go pointers,
// so that the garbage collector never scans the arrays of facts.
func TestFactLayout(t *testing.T) {
	typ := reflect.TypeFor[fact]()
	if typ.Size() != 48 {
		t.Errorf("fact is %d bytes, want 48", typ.Size())
	}
	for i := range typ.NumField() {
		switch f := typ.Field(i); f.Type.Kind() {
		case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer:
			t.Errorf("fact.%s is a %s: facts must hold no pointers", f.Name, f.Type)
		}
	}
}

// refUUID is the plain definition parseUUID implements.
func refUUID(s string) (k [16]byte, ok bool) {
	if len(s) != 36 {
		return k, false
	}
	var digits []byte
	for i := range 36 {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return k, false
			}
		case c >= '0' && c <= '9':
			digits = append(digits, c-'0')
		case c >= 'a' && c <= 'f':
			digits = append(digits, c-'a'+10)
		default:
			return k, false
		}
	}
	for i := range k {
		k[i] = digits[2*i]<<4 | digits[2*i+1]
	}
	return k, true
}

func TestParseUUID(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		s := []byte(rapid.StringMatching(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).Draw(rt, "uuid"))
		for range rapid.IntRange(0, 2).Draw(rt, "changes") {
			s[rapid.IntRange(0, 35).Draw(rt, "at")] = rapid.Byte().Draw(rt, "byte")
		}
		got, ok := parseUUID(string(s))
		want, wantOK := refUUID(string(s))
		if ok != wantOK || ok && got != want {
			rt.Fatalf("parseUUID(%q) = %x, %v; want %x, %v", s, got, ok, want, wantOK)
		}
		if ok {
			x := newCore(nil, needAll)
			if back := x.idText(eventID{key: got}); back != string(s) {
				rt.Fatalf("idText of %q: %q", s, back)
			}
		}
	})
	// Every byte at every position of a UUID.
	base := "0123abcd-ef45-6789-8a9b-cdef01234567"
	for i := range len(base) {
		for c := range 256 {
			s := base[:i] + string([]byte{byte(c)}) + base[i+1:]
			got, ok := parseUUID(s)
			want, wantOK := refUUID(s)
			if ok != wantOK || ok && got != want {
				t.Fatalf("parseUUID(%q) = %x, %v; want %x, %v", s, got, ok, want, wantOK)
			}
		}
	}
	for _, s := range []string{"", strings.Repeat("0", 36), "00000000-0000-0000-0000-00000000000G", "00000000-0000-0000-0000-0000000000:0"} {
		if _, ok := parseUUID(s); ok {
			t.Errorf("parseUUID(%q) ok", s)
		}
	}
}

// TestFactList checks inserts anywhere, across pages, against a slice.
func TestFactList(t *testing.T) {
	big := 0
	rapid.Check(t, func(rt *rapid.T) {
		var l factList
		var want []fact
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(rt, "seed"), 0))
		appendPct := rapid.IntRange(0, 100).Draw(rt, "append_pct")
		for n := range rapid.IntRange(0, 8*factPage).Draw(rt, "n") {
			i := len(want)
			if r.IntN(100) >= appendPct {
				i = r.IntN(len(want) + 1)
			}
			f := fact{rec: int64(n)}
			l.insert(i, f)
			want = slices.Insert(want, i, f)
		}
		if len(want) > 3*factPage {
			big++
		}
		if l.len() != len(want) {
			rt.Fatalf("len %d, want %d", l.len(), len(want))
		}
		var got []fact
		for f := range l.all() {
			got = append(got, *f)
		}
		for i := range want {
			if *l.at(i) != want[i] || got[i] != want[i] {
				rt.Fatalf("fact %d: at %d, all %d, want %d", i, l.at(i).rec, got[i].rec, want[i].rec)
			}
		}
		for i, p := range l.full {
			if len(p) != factPage {
				rt.Fatalf("full page %d of %d holds %d facts", i, len(l.full), len(p))
			}
		}
		if len(l.tail) >= factPage {
			rt.Fatalf("tail holds %d facts", len(l.tail))
		}
	})
	t.Logf("%d lists of more than three pages", big)
}
