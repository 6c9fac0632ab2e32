package postgres

import (
	"database/sql"
	"reflect"
	"testing"

	"github.com/accord-dev/accord/store/pgtest"
)

// TestArrayLiteral round-trips tricky texts through arrayLiteral and
// PostgreSQL's array parser.
func TestArrayLiteral(t *testing.T) {
	texts := []string{"", "NULL", "null", "Null", "nullx", "a", "two words", `quo"te`, `back\slash`, `{braces}`, "a,b",
		"tab\there", "line\nbreak", "\\\"", `""`, "日本語 テキスト", `{"agreement":"gbr-jpn-raa","title":"A \"quoted\" title\\n"}`}
	var a arrayLiteral
	var b arrayLiteral
	for _, s := range texts {
		a.text(s)
		b.bytes([]byte(s))
	}
	var empty arrayLiteral
	if got := empty.String(); got != "{}" {
		t.Errorf("empty literal %q", got)
	}
	db, err := sql.Open("postgres", pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pgtest.Require(t)
	for name, lit := range map[string]string{"text": a.String(), "bytes": b.String()} {
		rows, err := db.Query(`SELECT u FROM unnest($1::text[]) AS u`, lit)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []string
		for rows.Next() {
			var s sql.NullString
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			if !s.Valid {
				t.Errorf("%s: a NULL element", name)
			}
			got = append(got, s.String)
		}
		rows.Close()
		if !reflect.DeepEqual(got, texts) {
			t.Errorf("%s: round trip\n got %q\nwant %q", name, got, texts)
		}
	}
	var ints arrayLiteral
	for _, v := range []int64{-1, 0, 1 << 40} {
		ints.int(v)
	}
	var sum int64
	if err := db.QueryRow(`SELECT sum(u) FROM unnest($1::bigint[]) AS u`, ints.String()).Scan(&sum); err != nil || sum != 1<<40-1 {
		t.Errorf("bigint literal %q: sum %d, %v", ints.String(), sum, err)
	}

	// The binary form, on a connection that sends []byte in binary.
	bdb, err := sql.Open("postgres", pgtest.ServerURL()+"&binary_parameters=yes")
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	bt, bb, bi, empty2 := newBinaryArray(oidText), newBinaryArray(oidText), newBinaryArray(oidInt8), newBinaryArray(oidText)
	for _, s := range texts {
		bt.text(s)
		bb.bytes([]byte(s))
	}
	for _, v := range []int64{-1, 0, 1 << 40} {
		bi.int(v)
	}
	for name, v := range map[string]any{"binary text": bt.value(), "binary bytes": bb.value()} {
		var got []string
		rows, err := bdb.Query(`SELECT u FROM unnest($1::text[]) AS u`, v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		rows.Close()
		if !reflect.DeepEqual(got, texts) {
			t.Errorf("%s: round trip\n got %q\nwant %q", name, got, texts)
		}
	}
	if err := bdb.QueryRow(`SELECT sum(u) FROM unnest($1::bigint[]) AS u`, bi.value()).Scan(&sum); err != nil || sum != 1<<40-1 {
		t.Errorf("binary bigint array: sum %d, %v", sum, err)
	}
	i4 := newBinaryArray(oidInt4)
	i4.int(-7)
	i4.int(1)
	if err := bdb.QueryRow(`SELECT sum(u) FROM unnest($1::integer[]) AS u`, i4.value()).Scan(&sum); err != nil || sum != -6 {
		t.Errorf("binary integer array: sum %d, %v", sum, err)
	}
	var n int
	if err := bdb.QueryRow(`SELECT cardinality($1::text[])`, empty2.value()).Scan(&n); err != nil || n != 0 {
		t.Errorf("binary empty array: %d, %v", n, err)
	}
}
