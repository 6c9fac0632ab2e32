package interchange

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/accord-dev/accord/events"
)

// Column roles of a CAMEO CSV file, and the header names (compared without
// case, spaces, '_' and '-') that fill them: ICEWS names, GDELT names, and
// the names accord writes.
const (
	colID = iota
	colDate
	colPrecision
	colSrcCountry
	colSrcCode
	colSrcName
	colTgtCountry
	colTgtCode
	colTgtName
	colCAMEO
	colGoldstein
	colIntensity
	colURL
	colPublisher
	colText
	colLocation
	colAccord
	numCols
)

var colAliases = [numCols][]string{
	colID:         {"eventid", "globaleventid", "id"},
	colDate:       {"eventdate", "sqldate", "date", "day"},
	colPrecision:  {"dateprecision"},
	colSrcCountry: {"sourcecountry", "actor1countrycode", "sourcecountrycode"},
	colSrcCode:    {"sourcecode", "actor1code", "source", "sourceactor", "actor1"},
	colSrcName:    {"sourcename", "actor1name"},
	colTgtCountry: {"targetcountry", "actor2countrycode", "targetcountrycode"},
	colTgtCode:    {"targetcode", "actor2code", "target", "targetactor", "actor2"},
	colTgtName:    {"targetname", "actor2name"},
	colCAMEO:      {"cameocode", "eventcode", "cameo", "cameoeventcode"},
	colGoldstein:  {"goldsteinscale", "goldstein", "goldsteinscore"},
	colIntensity:  {"intensity"},
	colURL:        {"sourceurl", "url"},
	colPublisher:  {"publisher", "publication"},
	colText:       {"eventtext", "text", "description"},
	colLocation:   {"actiongeofullname", "city", "location"},
	colAccord:     {"accordevent"},
}

// csvHeader is the header accord writes.
var csvHeader = []string{"event_id", "event_date", "date_precision", "source_country", "source_name",
	"target_country", "target_name", "cameo_code", "goldstein", "intensity", "event_text", "publisher",
	"source_url", "location", "accord_event"}

func normHeader(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

type csvLayout struct {
	col     [numCols]int
	header  []string
	dataset string
	prefix  string
}

func (l *csvLayout) name(role int) string { return strings.TrimSpace(l.header[l.col[role]]) }

func (l *csvLayout) roleName(role int) string {
	if l.col[role] >= 0 {
		return l.name(role)
	}
	return colAliases[role][0]
}

func newLayout(header []string, dataset string) (*csvLayout, error) {
	l := &csvLayout{header: header}
	for i := range l.col {
		l.col[i] = -1
	}
	gdelt, icews := false, false
	for i, h := range header {
		n := normHeader(h)
		for role, aliases := range colAliases {
			for rank, a := range aliases {
				// The first alias listed wins when two columns could fill a role.
				if n == a && (l.col[role] < 0 || rank < aliasRank(role, normHeader(header[l.col[role]]))) {
					l.col[role] = i
				}
			}
		}
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "globaleventid", "sqldate", "actor1code":
			gdelt = true
		case "cameo code", "story id", "source sectors":
			icews = true
		}
	}
	switch {
	case gdelt:
		l.dataset, l.prefix = "GDELT", "gdelt:"
	case icews:
		l.dataset, l.prefix = "ICEWS", "icews:"
	default:
		l.dataset, l.prefix = "CAMEO CSV", "cameo:"
	}
	if dataset != "" {
		l.dataset = dataset
	}
	var missing []string
	if l.col[colDate] < 0 && l.col[colAccord] < 0 {
		missing = append(missing, "an event date (Event Date, SQLDATE, event_date)")
	}
	if l.col[colCAMEO] < 0 && l.col[colAccord] < 0 {
		missing = append(missing, "a CAMEO code (CAMEO Code, EventCode, cameo_code)")
	}
	if l.col[colSrcCountry] < 0 && l.col[colSrcCode] < 0 && l.col[colSrcName] < 0 && l.col[colAccord] < 0 {
		missing = append(missing, "a source actor (Source Country, Actor1CountryCode, Actor1Code, source_country)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: line 1: the header has no column for %s", events.ErrInvalid, strings.Join(missing, ", nor for "))
	}
	return l, nil
}

func aliasRank(role int, n string) int {
	for i, a := range colAliases[role] {
		if a == n {
			return i
		}
	}
	return len(colAliases[role])
}

func (rd *reader) readCSV(data []byte) error {
	first := data
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	cr := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(first, []byte("\t")) > bytes.Count(first, []byte(",")) {
		cr.Comma = '\t'
		cr.LazyQuotes = true
	}
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: line 1: the header is not valid CSV: %v", events.ErrInvalid, err)
	}
	l, err := newLayout(header, rd.opts.Dataset)
	if err != nil {
		return err
	}
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rd.res.Records++
				where := ""
				if pe.Line > pe.StartLine {
					where = fmt.Sprintf(" (the record runs to line %d)", pe.Line)
				}
				rd.bad(pe.StartLine, "", "not valid CSV%s: %v", where, pe.Err)
				continue
			}
			return fmt.Errorf("read CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if strings.TrimSpace(strings.Join(fields, "")) == "" {
			continue
		}
		rd.res.Records++
		if len(fields) != len(header) {
			rd.bad(line, "", "has %d fields; the header has %d", len(fields), len(header))
			continue
		}
		size := 0
		for _, f := range fields {
			size += len(f)
		}
		if size > rd.opts.MaxLineBytes {
			rd.bad(line, "", "the record is %d bytes long; the limit is %d", size, rd.opts.MaxLineBytes)
			continue
		}
		rec, err := rd.csvRecord(l, line, fields)
		if err != nil {
			var fe *fieldErr
			if errors.As(err, &fe) {
				rd.bad(line, fe.field, "%s", fe.reason)
			} else {
				rd.bad(line, "", "%v", err)
			}
			continue
		}
		if rec != nil {
			rd.finish(rec)
		}
	}
}

func (rd *reader) csvRecord(l *csvLayout, line int, fields []string) (*record, error) {
	get := func(role int) string {
		if l.col[role] < 0 {
			return ""
		}
		return strings.TrimSpace(fields[l.col[role]])
	}
	id := get(colID)
	if v := get(colAccord); v != "" {
		rd.restore(line, l.name(colAccord), []byte(v), id)
		return nil, nil
	}
	rec := &record{line: line, dataset: l.dataset, idPrefix: l.prefix, originalID: id}
	ds := get(colDate)
	if ds == "" {
		return nil, ferr(l.roleName(colDate), "is required")
	}
	var err error
	if rec.date, err = parseFlexDate(ds); err != nil {
		return nil, ferr(l.roleName(colDate), "%v", err)
	}
	if rec.date, err = withPrecision(rec.date, get(colPrecision)); err != nil {
		return nil, ferr(l.roleName(colPrecision), "%v", err)
	}
	if rec.actors, err = csvEntities(l, get(colSrcCountry), get(colSrcCode), get(colSrcName), colSrcCountry, colSrcCode); err != nil {
		return nil, err
	}
	if rec.recipients, err = csvEntities(l, get(colTgtCountry), get(colTgtCode), get(colTgtName), colTgtCountry, colTgtCode); err != nil {
		return nil, err
	}
	if !rec.hasCountry() {
		return nil, ferr(l.roleName(colSrcCountry), "no country in the source or target actors (only non-state actors or none)")
	}
	if rec.cameo, err = normalizeCAMEO(get(colCAMEO)); err != nil {
		return nil, ferr(l.roleName(colCAMEO), "%v", err)
	}
	for _, f := range []struct {
		role int
		dst  **float64
	}{{colGoldstein, &rec.goldstein}, {colIntensity, &rec.intensity}} {
		s := get(f.role)
		if s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, ferr(l.name(f.role), "%q is not a number", clip(s))
		}
		*f.dst = &v
		if err := checkGoldstein(l.name(f.role), &v); err != nil {
			return nil, err
		}
	}
	rec.url, rec.publisher, rec.text, rec.location = get(colURL), get(colPublisher), get(colText), get(colLocation)
	rec.fixURL()
	return rec, nil
}

// csvEntities reads one side (source or target) of a row: the country
// column, else the actor code column ("JPNGOV"), else the name column;
// cells may list several actors separated by ';'. A country column that
// names no country, or a code that is neither a country nor a known
// non-state code, is an error.
func csvEntities(l *csvLayout, country, code, name string, countryRole, codeRole int) ([]entity, error) {
	var (
		cells []string
		field string
	)
	switch {
	case country != "":
		cells, field = strings.Split(country, ";"), l.name(countryRole)
	case code != "":
		cells, field = strings.Split(code, ";"), l.name(codeRole)
	}
	var out []entity
	for _, cell := range cells {
		if strings.TrimSpace(cell) == "" {
			continue
		}
		c, err := resolveActor(cell, true)
		if err != nil {
			return nil, ferr(field, "%v", err)
		}
		out = append(out, entity{country: c})
	}
	names := strings.Split(name, ";")
	if len(out) == 0 && name != "" {
		for _, n := range names {
			if n = strings.TrimSpace(n); n != "" {
				c, _ := CountryCode(n)
				out = append(out, entity{country: c, name: cleanText(n, 200)})
			}
		}
		return out, nil
	}
	if len(out) == len(names) {
		for i := range out {
			if _, isCountry := CountryCode(names[i]); !isCountry {
				out[i].name = cleanText(names[i], 200)
			}
		}
	}
	return out, nil
}

// parseFlexDate reads the date forms of event data sets: YYYY-MM-DD (and
// the partial forms of events.ParseDate), YYYYMMDD (GDELT SQLDATE),
// YYYYMMDDhhmmss (GDELT DATEADDED), YYYYMM, YYYY/MM/DD, and a date followed
// by a time.
func parseFlexDate(s string) (events.Date, error) {
	orig := s
	digits := strings.Trim(s, "0123456789") == ""
	switch {
	case digits && (len(s) == 8 || len(s) == 14):
		s = s[:4] + "-" + s[4:6] + "-" + s[6:8]
	case digits && len(s) == 6:
		s = s[:4] + "-" + s[4:]
	case len(s) == 10 && s[4] == '/' && s[7] == '/':
		s = strings.ReplaceAll(s, "/", "-")
	case len(s) > 10 && (s[10] == ' ' || s[10] == 'T') && !strings.ContainsAny(s[10:], "Z+") && strings.Count(s[10:], "-") == 0:
		s = s[:10]
	}
	d, err := events.ParseDate(s)
	if err != nil && s != orig {
		reason := err.Error()
		if i := strings.LastIndex(reason, ": "); i >= 0 {
			reason = reason[i+2:]
		}
		return d, fmt.Errorf("%q (read as %s) is not a date: %s", clip(orig), s, reason)
	}
	return d, err
}

func writeCSV(c *events.Codec, w io.Writer, evs []events.Event) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for i := range evs {
		x, err := exportOf(c, &evs[i])
		if err != nil {
			return err
		}
		actors, recipients := x.actors, x.recipients
		if x.reciprocal && len(actors) > 1 {
			actors, recipients = actors[:1], append(slices.Clone(actors[1:]), recipients...)
		}
		var env bytes.Buffer
		enc := json.NewEncoder(&env)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x.wire); err != nil {
			return err
		}
		prec := ""
		if x.date.Precision != events.PrecisionDay {
			prec = x.date.Precision.String()
		}
		src := x.wire.Source
		row := []string{
			x.wire.ID, x.date.Day.Format("2006-01-02"), prec,
			codes(actors), entityNames(actors), codes(recipients), entityNames(recipients),
			x.cameo, fmtFloat(x.goldstein), fmtFloat(x.intensity), x.text,
			src.Publication, src.URL, x.location, strings.TrimSpace(env.String()),
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func codes(es []outEntity) string {
	var out []string
	for _, e := range es {
		out = append(out, e.Code)
	}
	return strings.Join(out, ";")
}

func entityNames(es []outEntity) string {
	var out []string
	for _, e := range es {
		out = append(out, countryName(e.Code))
	}
	return strings.Join(out, ";")
}

func fmtFloat(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}
