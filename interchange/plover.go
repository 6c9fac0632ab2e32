package interchange

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/accord-dev/accord/events"
)

// nonState are the leading codes of actors that are not countries: the
// non-state codes of PLOVER and CAMEO, CAMEO's regions, and CAMEO sector
// codes used alone ("MIL": a military of no stated country).
var nonState = map[string]bool{}

func init() {
	for _, c := range strings.Fields(`IGO NGO ISM IMG MNC UIS INT NGM UNO IRC AMN GRP PKO
		WSB BAG GZS AFR ASA BLK CRB CAU CFR CAS CEU EIN EAF EEU EUR LAM MEA MDT NAF NMR PGS SCN SAM SAS SEA SAF WAF WST
		COP GOV JUD MIL SPY INS REB SEP UAF OPP MOD RAD AGR BUS CRM CVL DEV EDU ELI ENV HLH HRI LAB LEG MED REF SET
		PTY PRM REL SOC JRN`) {
		nonState[c] = true
	}
}

func isNonState(code string) bool {
	c := strings.ToUpper(strings.TrimSpace(code))
	return len(c) >= 3 && nonState[c[:3]]
}

// looksLikeCode reports whether s is shaped like an actor code (upper-case
// letters and digits, no spaces) rather than a name.
func looksLikeCode(s string) bool { return len(s) >= 2 && len(s) <= 15 && isUpperAlnum(s) }

// resolveActor resolves a code or name. A code that is neither a country
// nor a known non-state code is an error; a name that is not a country is
// a non-state actor.
func resolveActor(s string, isCode bool) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if c, ok := CountryCode(s); ok {
		return c, nil
	}
	if isNonState(s) && looksLikeCode(strings.ToUpper(s)) {
		return "", nil
	}
	if isCode || looksLikeCode(s) {
		return "", fmt.Errorf("no country could be determined from %q", clip(s))
	}
	return "", nil
}

type fieldErr struct{ field, reason string }

func (e *fieldErr) Error() string { return e.field + ": " + e.reason }

func ferr(field, format string, args ...any) error {
	return &fieldErr{field: field, reason: fmt.Sprintf(format, args...)}
}

// pobj is one PLOVER record as raw JSON fields.
type pobj map[string]json.RawMessage

func (o pobj) raw(keys ...string) (string, json.RawMessage) {
	for _, k := range keys {
		if v, ok := o[k]; ok && string(bytes.TrimSpace(v)) != "null" {
			return k, v
		}
	}
	return keys[0], nil
}

func jsonKindOf(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "true or false"
	}
	return "a number"
}

// str reads a string field; numbers are accepted when allowNumber.
func (o pobj) str(allowNumber bool, keys ...string) (string, error) {
	k, v := o.raw(keys...)
	if v == nil {
		return "", nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s, nil
	}
	if allowNumber {
		var n json.Number
		if json.Unmarshal(v, &n) == nil {
			return n.String(), nil
		}
	}
	return "", ferr(k, "must be a string, not %s", jsonKindOf(v))
}

// strs reads a string or a list of strings; a string is split on commas
// and semicolons when split is set.
func (o pobj) strs(split bool, keys ...string) ([]string, error) {
	k, v := o.raw(keys...)
	if v == nil {
		return nil, nil
	}
	var list []string
	var s string
	if json.Unmarshal(v, &s) == nil {
		list = []string{s}
		if split {
			list = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' })
		}
	} else if err := json.Unmarshal(v, &list); err != nil {
		return nil, ferr(k, "must be a string or a list of strings, not %s", jsonKindOf(v))
	}
	var out []string
	for _, x := range list {
		if x = strings.TrimSpace(x); x != "" && x != "---" {
			out = append(out, x)
		}
	}
	return out, nil
}

func (o pobj) num(keys ...string) (*float64, error) {
	k, v := o.raw(keys...)
	if v == nil {
		return nil, nil
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return nil, ferr(k, "must be a number, not %s", jsonKindOf(v))
		}
		if s = strings.TrimSpace(s); s == "" {
			return nil, nil
		}
		if f, err = strconv.ParseFloat(s, 64); err != nil {
			return nil, ferr(k, "%q is not a number", clip(s))
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, ferr(k, "must be a finite number")
	}
	return &f, nil
}

func (o pobj) obj(key string) (pobj, error) {
	k, v := o.raw(key)
	if v == nil {
		return nil, nil
	}
	var m pobj
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, ferr(k, "must be an object, not %s", jsonKindOf(v))
	}
	return m, nil
}

// entities reads an actor or recipient field: a string, an actor object,
// or a list of either.
func (o pobj) entities(keys ...string) ([]entity, error) {
	k, v := o.raw(keys...)
	if v == nil {
		return nil, nil
	}
	v = bytes.TrimSpace(v)
	var items []json.RawMessage
	names := []string{k}
	if v[0] == '[' {
		if err := json.Unmarshal(v, &items); err != nil {
			return nil, ferr(k, "must be a list of actors: %v", err)
		}
		names = names[:0]
		for i := range items {
			names = append(names, fmt.Sprintf("%s[%d]", k, i))
		}
	} else {
		items = []json.RawMessage{v}
	}
	var out []entity
	for i, it := range items {
		e, err := parseEntity(names[i], it)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func parseEntity(field string, v json.RawMessage) (entity, error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		c, err := resolveActor(s, false)
		if err != nil {
			return entity{}, ferr(field, "%v", err)
		}
		e := entity{country: c}
		if !looksLikeCode(strings.TrimSpace(s)) {
			e.name = cleanText(s, 200)
		}
		return e, nil
	}
	var m pobj
	if err := json.Unmarshal(v, &m); err != nil {
		return entity{}, ferr(field, "an actor must be a string or an object with a code, not %s", jsonKindOf(v))
	}
	var e entity
	for _, key := range []string{"country", "code"} {
		s, err := m.str(false, key)
		if err != nil {
			return entity{}, ferr(field+"."+key, "%s", err.(*fieldErr).reason)
		}
		if s == "" || e.country != "" {
			continue
		}
		c, err := resolveActor(s, true)
		if err != nil {
			return entity{}, ferr(field+"."+key, "%v", err)
		}
		e.country = c
	}
	for _, key := range []string{"name", "actor_name", "identifier_text", "actor_text", "text"} {
		if s, err := m.str(false, key); err == nil && strings.TrimSpace(s) != "" {
			e.name = cleanText(s, 200)
			break
		}
	}
	if e.country == "" && e.name != "" {
		e.country, _ = CountryCode(e.name)
	}
	if s, err := m.str(false, "office"); err == nil {
		e.office = officeCode(s)
	}
	return e, nil
}

func (rd *reader) readPLOVER(data []byte) {
	lineNo := 0
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		lineNo++
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		rd.res.Records++
		if len(line) > rd.opts.MaxLineBytes {
			rd.bad(lineNo, "", "the line is %d bytes long; the limit is %d", len(line), rd.opts.MaxLineBytes)
			continue
		}
		rec, err := rd.ploverRecord(lineNo, line)
		if err != nil {
			var fe *fieldErr
			if errors.As(err, &fe) {
				rd.bad(lineNo, fe.field, "%s", fe.reason)
			} else {
				rd.bad(lineNo, "", "%v", err)
			}
			continue
		}
		if rec != nil {
			rd.finish(rec)
		}
	}
}

// ploverRecord parses one line. It returns nil, nil when the line carried
// an accord envelope and was restored.
func (rd *reader) ploverRecord(line int, b []byte) (*record, error) {
	var o pobj
	if err := json.Unmarshal(b, &o); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return nil, fmt.Errorf("a PLOVER record must be a JSON object, not a JSON %s", te.Value)
		case string(b) == "{" || string(b) == "[":
			return nil, fmt.Errorf("not valid JSON: a PLOVER record must be one JSON object on one line")
		}
		return nil, fmt.Errorf("not valid JSON: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	id, err := o.str(true, "id")
	if err != nil {
		return nil, err
	}
	id = strings.TrimSpace(id)
	if _, v := o.raw("accord"); v != nil {
		rd.restore(line, "accord", v, id)
		return nil, nil
	}
	rec := &record{line: line, idPrefix: "plover:", originalID: id}

	ds, err := o.str(false, "date")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(ds) == "" {
		return nil, ferr("date", "is required (YYYY-MM-DD)")
	}
	if rec.date, err = events.ParseDate(strings.TrimSpace(ds)); err != nil {
		return nil, ferr("date", "%v", err)
	}
	prec, err := o.str(false, "date_precision")
	if err != nil {
		return nil, err
	}
	if rec.date, err = withPrecision(rec.date, prec); err != nil {
		return nil, ferr("date_precision", "%v", err)
	}

	if rec.actors, err = o.entities("actor", "source"); err != nil {
		return nil, err
	}
	if rec.recipients, err = o.entities("recipient", "target"); err != nil {
		return nil, err
	}
	if !rec.hasCountry() {
		if len(rec.actors)+len(rec.recipients) == 0 {
			return nil, ferr("actor", "is required (actor or source, with a country code such as JPN)")
		}
		return nil, ferr("actor", "no country in the actors or recipients (only non-state actors)")
	}

	evs, err := o.strs(true, "event", "event_type")
	if err != nil {
		return nil, err
	}
	for _, ev := range evs {
		norm, ok := ploverEvents[strings.ToUpper(ev)]
		if !ok {
			return nil, ferr("event", "%q is not a PLOVER event category (%s)", clip(ev), ploverEventList())
		}
		if !has(rec.plover, norm) {
			rec.plover = append(rec.plover, norm)
		}
	}
	if len(rec.plover) == 0 {
		if _, v := o.raw("has_event"); string(bytes.TrimSpace(v)) != "false" {
			return nil, ferr("event", "is required (a PLOVER category such as AGREE), unless has_event is false")
		}
	}
	modes, err := o.strs(true, "mode", "event_mode")
	if err != nil {
		return nil, err
	}
	for _, m := range modes {
		rec.modes = append(rec.modes, strings.ToLower(m))
	}
	ctxs, err := o.strs(true, "context", "contexts")
	if err != nil {
		return nil, err
	}
	for _, c := range ctxs {
		if c = strings.ToLower(c); !has(rec.contexts, c) {
			rec.contexts = append(rec.contexts, c)
		}
	}

	texts, err := o.strs(false, "text", "event_text")
	if err != nil {
		return nil, err
	}
	rec.text = strings.Join(texts, " ")

	cite, err := o.obj("cite_info")
	if err != nil {
		return nil, err
	}
	corpus := ""
	if cite != nil {
		for _, f := range []struct {
			key string
			dst *string
		}{{"title", &rec.title}, {"publication", &rec.publisher}, {"citation", &rec.citation}, {"corpus", &corpus}, {"url", &rec.url}} {
			s, err := cite.str(false, f.key)
			if err != nil {
				return nil, ferr("cite_info."+f.key, "%s", err.(*fieldErr).reason)
			}
			*f.dst = strings.TrimSpace(s)
		}
	}
	if rec.url == "" {
		if rec.url, err = o.str(false, "url", "source_url"); err != nil {
			return nil, err
		}
		rec.url = strings.TrimSpace(rec.url)
	}
	rec.fixURL()
	rec.dataset = firstNonEmpty(rd.opts.Dataset, corpus, "PLOVER")

	if loc, err := o.obj("event_loc"); err == nil && loc != nil {
		if s, err := loc.str(false, "name", "asciiname"); err == nil {
			rec.location = s
		}
	} else if s, err := o.str(false, "event_loc"); err == nil {
		rec.location = s
	}

	code, err := o.str(true, "cameo", "cameo_code")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(code) != "" {
		if rec.cameo, err = normalizeCAMEO(code); err != nil {
			return nil, ferr("cameo", "%v", err)
		}
	}
	if rec.goldstein, err = o.num("goldstein"); err != nil {
		return nil, err
	}
	if err := checkGoldstein("goldstein", rec.goldstein); err != nil {
		return nil, err
	}
	if rec.intensity, err = o.num("event_intensity", "intensity", "event_scale"); err != nil {
		return nil, err
	}
	return rec, nil
}

func checkGoldstein(field string, g *float64) error {
	if g != nil && (*g < -10 || *g > 10) {
		return ferr(field, "%v is outside the Goldstein scale (-10 to +10)", *g)
	}
	return nil
}

// fixURL moves a cited "url" that is not an http(s) URL (a database id, a
// newswire slug) into the citation.
func (r *record) fixURL() {
	u := r.url
	if u == "" {
		return
	}
	if (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) && len(u) <= 2000 && cleanText(u, 2000) == u && !strings.ContainsAny(u, " \t\n") {
		return
	}
	r.url = ""
	r.citation = strings.TrimSpace(strings.TrimPrefix(r.citation+"; "+cleanText(u, 500), "; "))
}

func withPrecision(d events.Date, p string) (events.Date, error) {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "", "day":
		return d, nil
	case "month":
		if d.Precision < events.PrecisionMonth {
			return d, nil
		}
		return events.ParseDate(d.Day.Format("2006-01"))
	case "year":
		return events.ParseDate(d.Day.Format("2006"))
	}
	return d, fmt.Errorf("%q is not a precision (day, month or year)", clip(p))
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func ploverEventList() string {
	var names []string
	for k, v := range ploverEvents {
		if k == v {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// ploverOut is the PLOVER record written for one event. Fields beyond the
// PLOVER specification (which allows them): date_precision, cameo,
// goldstein, event_intensity (as POLECAT names it) and accord, the event's
// own envelope.
type ploverOut struct {
	ID            string            `json:"id"`
	Date          string            `json:"date"`
	DatePrecision string            `json:"date_precision,omitempty"`
	HasEvent      *bool             `json:"has_event,omitempty"`
	Actor         []ploverEntity    `json:"actor"`
	Recipient     []ploverEntity    `json:"recipient,omitempty"`
	Event         any               `json:"event,omitempty"`
	Mode          string            `json:"mode,omitempty"`
	Context       []string          `json:"context,omitempty"`
	EventLoc      *ploverLoc        `json:"event_loc,omitempty"`
	Text          string            `json:"text,omitempty"`
	CiteInfo      *ploverCite       `json:"cite_info,omitempty"`
	CAMEO         string            `json:"cameo,omitempty"`
	Goldstein     *float64          `json:"goldstein,omitempty"`
	Intensity     *float64          `json:"event_intensity,omitempty"`
	Accord        *events.WireEvent `json:"accord"`
}

type ploverEntity struct {
	Code   string `json:"code"`
	Name   string `json:"name,omitempty"`
	Office string `json:"office,omitempty"`
}

type ploverLoc struct {
	Name string `json:"name"`
}

type ploverCite struct {
	Publication string `json:"publication,omitempty"`
	Title       string `json:"title,omitempty"`
	URL         string `json:"url,omitempty"`
	Date        string `json:"date,omitempty"`
}

func writePLOVER(c *events.Codec, w io.Writer, evs []events.Event) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range evs {
		x, err := exportOf(c, &evs[i])
		if err != nil {
			return err
		}
		out := ploverOut{
			ID:        x.wire.ID,
			Date:      x.date.Day.Format("2006-01-02"),
			Actor:     []ploverEntity{},
			Mode:      x.mode,
			Context:   x.contexts,
			Text:      x.text,
			CAMEO:     x.cameo,
			Goldstein: x.goldstein,
			Intensity: x.intensity,
			Accord:    &x.wire,
		}
		if x.date.Precision != events.PrecisionDay {
			out.DatePrecision = x.date.Precision.String()
		}
		actors, recipients := x.actors, x.recipients
		if x.reciprocal {
			actors, recipients = append(slices.Clone(actors), recipients...), nil
		}
		for _, a := range actors {
			out.Actor = append(out.Actor, ploverEntity(a))
		}
		for _, a := range recipients {
			out.Recipient = append(out.Recipient, ploverEntity(a))
		}
		switch len(x.plover) {
		case 0:
			f := false
			out.HasEvent = &f
		case 1:
			out.Event = x.plover[0]
		default:
			out.Event = x.plover
		}
		if x.location != "" {
			out.EventLoc = &ploverLoc{Name: x.location}
		}
		s := x.wire.Source
		if s != nil {
			out.CiteInfo = &ploverCite{Publication: s.Publication, Title: s.Title, URL: s.URL, Date: s.Date.String()}
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	return bw.Flush()
}
