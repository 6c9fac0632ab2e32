// Package rmtest holds test helpers for the read models: a dump of every
// read-model table that compares equal across PostgreSQL and SQLite, and a
// diff of two dumps. Tests use it to check that a rebuild under failures,
// crashes or another backend gives the same tables.
package rmtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/accord-dev/accord/readmodel"
)

// DB is what Dump needs of a store.
type DB interface{ DB() *sqlx.DB }

// Dump returns every read-model table as sorted text rows, with
// values normalized across drivers (dates as YYYY-MM-DD, booleans as 0/1,
// floats to 6 decimals).
func Dump(t testing.TB, s DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, n := range readmodel.Names() {
		for _, table := range readmodel.Tables(n) {
			rows, err := s.DB().Queryx("SELECT * FROM " + table)
			if err != nil {
				t.Fatal(err)
			}
			out[table] = []string{}
			for rows.Next() {
				vals, err := rows.SliceScan()
				if err != nil {
					t.Fatal(err)
				}
				cells := make([]string, len(vals))
				for i, v := range vals {
					cells[i] = normalizeCell(v)
				}
				out[table] = append(out[table], strings.Join(cells, "|"))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			slices.Sort(out[table])
		}
	}
	return out
}

func normalizeCell(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.Format("2006-01-02")
	case bool:
		if x {
			return "1"
		}
		return "0"
	case []byte:
		return string(x)
	case float64:
		return fmt.Sprintf("%.6f", x)
	}
	return fmt.Sprint(v)
}

// Diff reports every table that differs between two dumps.
func Diff(t testing.TB, what string, want, got map[string][]string) {
	t.Helper()
	for table, rows := range want {
		if slices.Equal(rows, got[table]) {
			continue
		}
		// Show the first rows that differ.
		var only []string
		for _, r := range rows {
			if !slices.Contains(got[table], r) {
				only = append(only, "- "+r)
			}
			if len(only) >= 3 {
				break
			}
		}
		for _, r := range got[table] {
			if !slices.Contains(rows, r) {
				only = append(only, "+ "+r)
			}
			if len(only) >= 6 {
				break
			}
		}
		t.Errorf("%s: table %s differs: %d rows vs %d\n  %s", what, table, len(rows), len(got[table]), strings.Join(only, "\n  "))
	}
	if len(want) != len(got) {
		t.Errorf("%s: %d tables vs %d", what, len(want), len(got))
	}
}
