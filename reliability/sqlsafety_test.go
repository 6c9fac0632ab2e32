package reliability

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The SQL-safety rule, checked by TestSQLSafety over every non-test Go file
// of the module:
//
// SQL text is a constant. Values go to the database as parameters ($1 or
// ?), never into the text. Where SQL text must be assembled (a table name
// that varies, a list of placeholders), every piece that is not a
// constant must be an identifier or expression listed in sqlAllowlist
// below, with the reason it cannot carry input (a name from a fixed list,
// placeholders the code generates), or a call to a quoting or number
// formatting function (pq.QuoteIdentifier, strconv.Itoa,
// strconv.FormatInt).
//
// A string is SQL when it contains an upper-case SQL keyword (SELECT,
// INSERT INTO, UPDATE, DELETE FROM, CREATE/DROP TABLE, DATABASE or INDEX,
// ALTER TABLE, WHERE, VALUES, ORDER BY, GROUP BY, SET, FROM, JOIN). The
// test looks at concatenations with + (a chain of them as a whole) and at
// the format strings of fmt.Sprintf, fmt.Fprintf and fmt.Appendf: when a
// constant part is SQL, every other part must be constant or allowed.
// "Constant" is what go/ast can see: literals, and identifiers declared
// with const in the same package (and expressions of those).

// sqlAllowlist lists the non-constant parts of SQL text that are known not
// to carry input, as "path/file.go|expression" -> why.
var sqlAllowlist = map[string]string{
	"readmodel/rmtest/rmtest.go|table":                  "a read-model table name from readmodel.Tables, a fixed list (test dump)",
	"readmodel/projector.go|t":                          "a read-model table name from readmodel.Tables, a fixed list",
	"readmodel/projector.go|where":                      "a WHERE clause of fixed column names and ? placeholders (entitiesWhere)",
	"readmodel/projector.go|table":                      "a read-model table name from readmodel.Tables (insertSQL's callers)",
	"readmodel/projector.go|strings.Join(cols, \", \")": "column names from the fixed lists of rows.go",
	"readmodel/projector.go|strings.TrimSuffix(strings.Repeat(\"?, \", len(keys)), \", \")": "? placeholders",
	"readmodel/projector.go|strings.TrimSuffix(strings.Repeat(row + \", \", n), \", \")":    "rows of ? placeholders",
	"readmodel/projector.go|col":                    "a column name chosen by a switch over fixed table names",
	"readmodel/projector.go|b.String()":             "(country = ? AND office = ?) terms joined by OR",
	"bench/targets.go|t.placeholder(1)":             "the placeholder of the dialect: ? or $ and a number",
	"bench/targets.go|pos":                          "a column definition chosen by dialect from two constants",
	"bench/targets.go|dataType":                     "a column type chosen by dialect from two constants",
	"store/postgres/migrate.go|logcore.PackedTexts": "a constant of store/internal/logcore: the first schema's column list (migration 3)",
	"store/sqlite/migrate.go|logcore.PackedTexts":   "a constant of store/internal/logcore: the first schema's column list (migration 2)",
}

// sqlKeyword finds SQL in a string constant.
var sqlKeyword = regexp.MustCompile(`\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE (TABLE|DATABASE|INDEX|UNIQUE INDEX)|DROP (TABLE|DATABASE|INDEX)|ALTER TABLE|WHERE|VALUES|ORDER BY|GROUP BY|SET|FROM|JOIN)\b`)

// safeCalls produce text that cannot break out of SQL: a quoted
// identifier, or a number.
var safeCalls = []string{"pq.QuoteIdentifier", "strconv.Itoa", "strconv.FormatInt", "strconv.Quote"}

// TestSQLSafety enforces the SQL-safety rule (see above).
func TestSQLSafety(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string][]string{} // directory -> non-test Go files
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules" || name == "bin" || name == "artifacts") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			pkgs[filepath.Dir(path)] = append(pkgs[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	used := map[string]bool{}
	files := 0
	for _, paths := range pkgs {
		fset := token.NewFileSet()
		var parsed []*ast.File
		for _, p := range paths {
			f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatalf("parse %s: %v", p, err)
			}
			parsed = append(parsed, f)
		}
		files += len(parsed)
		consts := constNames(parsed)
		for i, f := range parsed {
			rel, _ := filepath.Rel(root, paths[i])
			rel = filepath.ToSlash(rel)
			c := &sqlChecker{fset: fset, consts: consts, file: rel}
			ast.Inspect(f, c.visit)
			for _, fd := range c.found {
				if why, ok := sqlAllowlist[rel+"|"+fd.expr]; ok && why != "" {
					used[rel+"|"+fd.expr] = true
					continue
				}
				problems = append(problems, fd.String())
			}
		}
	}
	if files < 20 {
		t.Fatalf("only %d Go files found under %s", files, root)
	}
	slices.Sort(problems)
	for _, p := range problems {
		t.Errorf("%s", p)
	}
	if len(problems) > 0 {
		t.Errorf("SQL text built from non-constant parts: pass values as parameters, or, for a name from a fixed list, add it to sqlAllowlist in %s with the reason it cannot carry input", "reliability/sqlsafety_test.go")
	}
	for k := range sqlAllowlist {
		if !used[k] {
			t.Logf("sqlAllowlist entry %q matched nothing (remove it if the code is gone)", k)
		}
	}
}

// constNames returns the names declared with const anywhere in the
// package's files (file level or in functions).
func constNames(files []*ast.File) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if gd, ok := n.(*ast.GenDecl); ok && gd.Tok == token.CONST {
				for _, s := range gd.Specs {
					for _, id := range s.(*ast.ValueSpec).Names {
						out[id.Name] = true
					}
				}
			}
			return true
		})
	}
	return out
}

type sqlFinding struct {
	pos  token.Position
	expr string
	sql  string
}

func (f sqlFinding) String() string {
	return f.pos.String() + ": SQL built with the non-constant " + f.expr + " (in " + strconv.Quote(clipSQL(f.sql)) + ")"
}

func clipSQL(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

type sqlChecker struct {
	fset   *token.FileSet
	consts map[string]bool
	file   string
	found  []sqlFinding
}

func (c *sqlChecker) visit(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return true
		}
		parts := flattenAdd(x)
		c.check(x.Pos(), parts)
		// Look inside the parts that are not themselves concatenations.
		for _, p := range parts {
			ast.Inspect(p, c.visit)
		}
		return false
	case *ast.CallExpr:
		name := types.ExprString(x.Fun)
		var format int
		switch name {
		case "fmt.Sprintf":
			format = 0
		case "fmt.Fprintf", "fmt.Appendf":
			format = 1
		default:
			return true
		}
		if len(x.Args) <= format {
			return true
		}
		c.check(x.Pos(), x.Args[format:])
	}
	return true
}

// check reports the non-constant parts of parts when a constant part looks
// like SQL.
func (c *sqlChecker) check(pos token.Pos, parts []ast.Expr) {
	var sql string
	for _, p := range parts {
		if s, ok := stringLit(p); ok && sqlKeyword.MatchString(s) {
			sql = s
			break
		}
	}
	if sql == "" {
		return
	}
	for _, p := range parts {
		if c.constant(p) {
			continue
		}
		at := c.fset.Position(pos)
		at.Filename = c.file
		c.found = append(c.found, sqlFinding{pos: at, expr: types.ExprString(p), sql: sql})
	}
}

// constant reports whether e is a constant (or safely formatted) part.
func (c *sqlChecker) constant(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.Ident:
		return c.consts[x.Name]
	case *ast.ParenExpr:
		return c.constant(x.X)
	case *ast.BinaryExpr:
		return c.constant(x.X) && c.constant(x.Y)
	case *ast.CallExpr:
		return slices.Contains(safeCalls, types.ExprString(x.Fun))
	}
	return false
}

func flattenAdd(e ast.Expr) []ast.Expr {
	if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.ADD {
		return append(flattenAdd(b.X), flattenAdd(b.Y)...)
	}
	if p, ok := e.(*ast.ParenExpr); ok {
		if b, ok := p.X.(*ast.BinaryExpr); ok && b.Op == token.ADD {
			return flattenAdd(b)
		}
	}
	return []ast.Expr{e}
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// TestSQLSafetyCatchesInjection checks the checker itself on code that
// builds SQL from input.
func TestSQLSafetyCatchesInjection(t *testing.T) {
	src := `package x
import "fmt"
const table = "events"
func bad(db DB, id, col string) {
	db.Exec("SELECT * FROM events WHERE id = '" + id + "'")
	db.Exec(fmt.Sprintf("DELETE FROM %s WHERE x = 1", col))
	db.Exec("SELECT * FROM " + table + " WHERE id = $1", id)
	db.Exec("SELECT " + strconv.Itoa(3))
	fmt.Println("hello " + id)
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := &sqlChecker{fset: fset, consts: constNames([]*ast.File{f}), file: "x.go"}
	ast.Inspect(f, c.visit)
	var got []string
	for _, fd := range c.found {
		got = append(got, fd.expr)
	}
	if !slices.Equal(got, []string{"id", "col"}) {
		t.Errorf("found %v, want [id col]", got)
	}
}
