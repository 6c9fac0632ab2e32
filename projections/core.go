package projections

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/accord-dev/accord/events"
)

// meta is a retraction or a correction.
type meta struct {
	id, target string          // as given (text form)
	retract    bool            // else a correction
	occ        day             // correction: new OccurredAt, 0 when unchanged
	data       json.RawMessage // correction: replacement data, nil when unchanged
	known      day
	hasRec     bool
	rec        int64
	pos        int64
	hints      [3]string // streams to look in first for the target

	// decoded replacement data, cached for the target's type
	decTyp  typeCode
	decDone bool
	decOK   bool
	decInfo uint32 // index in core.infos
}

// stream holds the facts of one stream in valid-time order, and the cached
// folds over them.
type stream struct {
	name, key    string // "agreement/gbr-jpn-raa", "gbr-jpn-raa"
	kind         streamKind
	index        int32    // in core.streams
	facts        factList // every fact but leadership changes
	lead         factList // leadership_changed facts
	leadTargeted int32    // how many facts of lead are targeted
	parties      []string // agreement streams: every party ever named (a superset), sorted
	ag           *agFold  // cached fold of everything; nil when stale or not yet asked for
	ld           *ldFold  // likewise for leadership

	cache     *streamCache // nil until the stream has cacheAfter facts
	recentRef [4]uint32    // the references of the recent facts, most recent first (see ref)
}

// streamKind is the part of a stream's name before the slash.
type streamKind uint8

const (
	otherStream streamKind = iota
	agreementStream
	countryStream
)

func kindOf(name string) streamKind {
	switch {
	case strings.HasPrefix(name, "agreement/"):
		return agreementStream
	case strings.HasPrefix(name, "country/"):
		return countryStream
	}
	return otherStream
}

// needs says which facts a core keeps.
type needs uint8

const (
	needAgreements needs = 1 << iota // agreement streams and leadership changes
	needLeadership                   // leadership changes
	needTimeline                     // everything
	needAll        = needAgreements | needLeadership | needTimeline
)

// core is the in-memory state of one projection, or shared by the
// projections of a Set: the facts by stream, the retractions and
// corrections by target, the tables the facts index, and the cached folds.
// It is not safe for concurrent use.
type core struct {
	codec      *events.Codec
	needs      needs
	streams    []*stream
	byName     map[string]int32
	lastStream *stream            // the stream of the last fact, looked up first
	partyOf    map[string][]int32 // country code -> agreement streams naming it, ascending
	metas      map[string]*meta
	byTarget   map[string][]*meta // target id (text form) -> its retractions and corrections
	unlocated  []*meta            // metas whose target was not found in their hint streams
	custom     []string
	customID   map[string]typeCode
	agSorted   []int32 // agreement streams by id; nil when stale
	ctSorted   []int32 // country streams by code; nil when stale
	slowFold   bool    // tests: always merge leadership changes in full
	cacheAfter int     // cacheAfter, or less in tests
	items      []item  // scratch for folds
	tmp        []item  // more scratch
	nfacts     int

	tables
}

// item is a fact in a fold, with the country whose stream it came from for
// leadership changes merged into an agreement's fold.
type item struct {
	f       fact
	country string
}

func newCore(codec *events.Codec, n needs) *core {
	if codec == nil {
		codec = events.NewCodec()
	}
	return &core{
		codec:      codec,
		needs:      n,
		byName:     map[string]int32{},
		partyOf:    map[string][]int32{},
		metas:      map[string]*meta{},
		byTarget:   map[string][]*meta{},
		customID:   map[string]typeCode{},
		tables:     newTables(),
		cacheAfter: cacheAfter,
	}
}

func invalidf(field, format string, args ...any) error {
	return &events.FieldError{Field: field, Problem: "projections: " + fmt.Sprintf(format, args...)}
}

// maxChain bounds how far retractions of retractions are followed.
const maxChain = 32

// keeps reports whether the core stores a fact of type typ in a stream of
// kind.
func (x *core) keeps(kind streamKind, typ typeCode) bool {
	switch {
	case x.needs&needTimeline != 0:
		return true
	case typ == tLeadership:
		return true
	}
	return kind == agreementStream && x.needs&needAgreements != 0
}

// apply adds one event. See Set.Apply for the contract.
func (x *core) apply(e *events.Event) error {
	if e == nil {
		return invalidf("", "nil event")
	}
	if e.Data == nil {
		return invalidf("data", "is required")
	}
	typ := e.Data.EventType()
	if e.Type != "" && e.Type != typ {
		return invalidf("type", "%q does not match the payload type %q", e.Type, typ)
	}
	if e.OccurredAt.IsZero() {
		return invalidf("occurred_at", "is required")
	}
	name := e.Stream
	if name == "" {
		name = e.Data.StreamName()
	}
	id := e.ID
	if id == "" {
		c := *e
		c.Stream, c.Type = name, typ
		if c.ReportedAt.IsZero() {
			c.ReportedAt = c.OccurredAt
		}
		var err error
		if id, err = events.DeriveID(x.codec, &c); err != nil {
			return err
		}
	}
	switch p := e.Data.(type) {
	case *events.EventRetracted:
		x.applyMeta(e, id, name, p.Target, true, nil, p.Agreement, p.Country)
		return nil
	case *events.EventCorrected:
		x.applyMeta(e, id, name, p.Target, false, p, p.Agreement, p.Country)
		return nil
	}
	if name == "" {
		return invalidf("stream", "is required for %s when data names no agreement or country", typ)
	}
	x.applyFact(e, id, name, typ)
	return nil
}

func (x *core) applyFact(e *events.Event, id, name, typName string) {
	typ := x.typeCode(typName)
	if !x.keeps(kindOf(name), typ) {
		return
	}
	si := x.streamIndex(name)
	s := x.streams[si]
	list := &s.facts
	if typ == tLeadership {
		list = &s.lead
	}
	f := fact{occ: packDate(e.OccurredAt), known: packDate(e.KnownAt())}
	f.setID(x.idOf(id))
	i, dup := x.search(list, &f)
	if dup {
		return // the same event again
	}
	if s.cache == nil && s.facts.len()+s.lead.len() >= x.cacheAfter {
		s.cache = new(streamCache)
	}
	f.src, f.sdate = x.source(&e.Source, s), packDate(e.Source.Date)
	f.conf = confCode(e.Confidence)
	f.typ = typ
	if !e.RecordedAt.IsZero() {
		f.flags |= fRecorded
		f.rec = nanos(e.RecordedAt)
	}
	f.info = x.extract(e.Data, s) // records the parties of a new reference
	var ms []*meta
	if len(x.byTarget) > 0 {
		ms = x.byTarget[id]
	}
	if len(ms) > 0 {
		f.flags |= fTargeted
		if typ == tLeadership {
			s.leadTargeted++
		}
	}
	list.insert(i, f)
	x.nfacts++
	if s.kind == agreementStream {
		for _, m := range ms {
			if in, ok := x.decodeCorrection(m, f.typ); ok {
				if ps := x.infoParties(in); ps != nil {
					x.addParties(si, ps)
				}
			}
		}
	}
	x.offer(s, &f)
}

// offer extends the cached folds that f affects when f sorts after
// everything they folded and nothing retracts or corrects it (the fast
// path); otherwise it drops them, to be recomputed when next asked for.
func (x *core) offer(s *stream, f *fact) {
	if f.typ != tLeadership {
		if s.kind == agreementStream && s.ag != nil && !s.ag.stepFact(x, f) {
			s.ag = nil
		}
		return
	}
	if s.ld != nil && !s.ld.step(x, f) {
		s.ld = nil
	}
	if s.kind != countryStream {
		return
	}
	for _, ai := range x.partyOf[s.key] {
		a := x.streams[ai]
		if a.ag != nil && !a.ag.stepLead(x, s.key, f) {
			a.ag = nil
		}
	}
}

func (x *core) applyMeta(e *events.Event, id, name, target string, retract bool, c *events.EventCorrected, agreement, country string) {
	if _, dup := x.metas[id]; dup {
		return
	}
	m := &meta{
		id: id, target: target, retract: retract,
		known: packDate(e.KnownAt()), pos: e.Position,
	}
	if !e.RecordedAt.IsZero() {
		m.hasRec, m.rec = true, nanos(e.RecordedAt)
	}
	if c != nil {
		m.occ = packDate(c.OccurredAt)
		if len(c.Data) > 0 {
			m.data = slices.Clone(c.Data)
		}
	}
	m.hints[0] = name
	if agreement != "" {
		m.hints[1] = events.AgreementStream(agreement)
	}
	if country != "" {
		m.hints[2] = events.CountryStream(country)
	}
	x.metas[id] = m
	x.byTarget[target] = append(x.byTarget[target], m)
	x.touch(m, 0)
}

// touch follows m (through retractions of retractions) to the fact at the
// end of the chain, marks it as targeted and drops the cached folds that
// depend on it. A target not found in the hint streams is looked for by
// settle, before the next query; one that has not arrived is marked when it
// does.
func (x *core) touch(m *meta, depth int) {
	if depth > maxChain {
		return
	}
	if t, ok := x.metas[m.target]; ok {
		x.touch(t, depth+1)
		return
	}
	if key, ok := x.lookupID(m.target); ok {
		for _, h := range m.hints {
			if h == "" {
				continue
			}
			if s := x.stream(h); s != nil {
				if f := s.find(key); f != nil {
					x.hit(s, f, m.target)
					return
				}
			}
		}
	}
	x.unlocated = append(x.unlocated, m)
}

// settle finds the targets of unlocated metas with one pass over every
// fact. Queries call it first.
func (x *core) settle() {
	if len(x.unlocated) == 0 {
		return
	}
	want := make(map[eventID]string, len(x.unlocated))
	for _, m := range x.unlocated {
		if key, ok := x.lookupID(m.target); ok {
			want[key] = m.target
		}
	}
	x.unlocated = nil
	if len(want) == 0 {
		return
	}
	for _, s := range x.streams {
		for _, list := range []*factList{&s.facts, &s.lead} {
			for f := range list.all() {
				if id, ok := want[f.eid()]; ok {
					x.hit(s, f, id)
				}
			}
		}
	}
}

// hit marks fact f (with text id) of s as targeted and drops what depends
// on it.
func (x *core) hit(s *stream, f *fact, id string) {
	if f.flags&fTargeted == 0 {
		f.flags |= fTargeted
		if f.typ == tLeadership {
			s.leadTargeted++
		}
	}
	if f.typ != tLeadership {
		if s.kind == agreementStream {
			for _, m := range x.byTarget[id] {
				if in, ok := x.decodeCorrection(m, f.typ); ok {
					if ps := x.infoParties(in); ps != nil {
						x.addParties(s.index, ps)
					}
				}
			}
		}
		s.ag = nil
		return
	}
	s.ld = nil
	if s.kind == countryStream {
		for _, ai := range x.partyOf[s.key] {
			x.streams[ai].ag = nil
		}
	}
}

// find returns the fact with id k, or nil.
func (s *stream) find(k eventID) *fact {
	for _, list := range []*factList{&s.facts, &s.lead} {
		for f := range list.all() {
			if f.eid() == k {
				return f
			}
		}
	}
	return nil
}

func (x *core) streamIndex(name string) int32 {
	if s := x.lastStream; s != nil && s.name == name {
		return s.index // events often come in runs of one stream
	}
	if i, ok := x.byName[name]; ok {
		x.lastStream = x.streams[i]
		return i
	}
	i := int32(len(x.streams))
	name = strings.Clone(name)
	_, key, _ := strings.Cut(name, "/")
	s := &stream{name: name, kind: kindOf(name), key: key, index: i}
	x.streams = append(x.streams, s)
	x.byName[name] = i
	switch s.kind {
	case agreementStream:
		x.agSorted = nil
		if ps := idParties(key); ps != nil {
			x.addParties(i, ps)
		}
	case countryStream:
		x.ctSorted = nil
	}
	x.lastStream = s
	return i
}

// addParties records that agreement stream si names parties.
func (x *core) addParties(si int32, parties []string) {
	s := x.streams[si]
	for _, p := range parties {
		p = x.intern(p)
		if j, found := slices.BinarySearch(s.parties, p); !found {
			s.parties = slices.Insert(s.parties, j, p)
		}
		l := x.partyOf[p]
		if j, found := slices.BinarySearch(l, si); !found {
			x.partyOf[p] = slices.Insert(l, j, si)
		}
	}
}

// idParties derives the parties from an agreement id built as the rules
// say ("gbr-jpn-raa": GBR and JPN), or returns nil when the id is not of
// that form. It is the fallback when no event of the agreement lists them.
func idParties(id string) []string {
	parts := strings.Split(id, "-")
	if len(parts) < 3 {
		return nil
	}
	out := make([]string, 0, len(parts)-1)
	for _, p := range parts[:len(parts)-1] {
		if len(p) != 3 {
			return nil
		}
		for i := 0; i < 3; i++ {
			if p[i] < 'a' || p[i] > 'z' {
				return nil
			}
		}
		out = append(out, strings.ToUpper(p))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (x *core) typeCode(name string) typeCode {
	if c := stdTypeCode(name); c != tUnknown {
		return c
	}
	if c, ok := x.customID[name]; ok {
		return c
	}
	c := numStdTypes + typeCode(len(x.custom))
	name = strings.Clone(name)
	x.custom = append(x.custom, name)
	x.customID[name] = c
	return c
}

func (x *core) typeName(c typeCode) string {
	if c < numStdTypes {
		return stdTypeName(c)
	}
	return x.custom[c-numStdTypes]
}

// hasAdjacentDup reports whether two neighbours of l are equal.
func hasAdjacentDup(l []string) bool {
	for i := 1; i < len(l); i++ {
		if l[i] == l[i-1] {
			return true
		}
	}
	return false
}

// decodeCorrection decodes a correction's replacement data as the target's
// type. ok is false when the correction gives no data, or data that does
// not decode strictly or validate as that type: such data is ignored (the
// correction's occurred_at still applies).
func (x *core) decodeCorrection(m *meta, typ typeCode) (uint32, bool) {
	if m.retract || len(m.data) == 0 {
		return 0, false
	}
	if !m.decDone || m.decTyp != typ {
		m.decDone, m.decTyp, m.decOK, m.decInfo = true, typ, false, 0
		p, err := x.codec.Decode(x.typeName(typ), 0, m.data)
		if err == nil && p.Validate() == nil {
			m.decOK = true
			m.decInfo = x.extract(p, nil)
		}
	}
	return m.decInfo, m.decOK
}

// live reports whether meta m takes effect at cut k: it is known at k and
// no retraction that takes effect at k retracts it.
func (x *core) live(m *meta, k *cutK, depth int) bool {
	if !k.knows(m.known, m.hasRec, m.rec) {
		return false
	}
	if depth >= maxChain {
		return true
	}
	for _, r := range x.byTarget[m.id] {
		if r.retract && x.live(r, k, depth+1) {
			return false
		}
	}
	return true
}

// view returns f as the cut k sees it: ok is false when f is not known at
// k, is retracted, or (after corrections) has not occurred by k's AsOf.
// corrected reports that a correction changed it.
func (x *core) view(f *fact, k *cutK) (v fact, ok, corrected bool) {
	if !k.knows(f.known, f.flags&fRecorded != 0, f.rec) {
		return v, false, false
	}
	v = *f
	if f.flags&fTargeted != 0 {
		var buf [4]*meta
		cs := buf[:0]
		for _, m := range x.byTarget[x.idText(f.eid())] {
			if !x.live(m, k, 0) {
				continue
			}
			if m.retract {
				return v, false, false
			}
			cs = append(cs, m)
		}
		slices.SortFunc(cs, func(a, b *meta) int {
			return cmp.Or(cmp.Compare(a.known, b.known), cmp.Compare(a.pos, b.pos), strings.Compare(a.id, b.id))
		})
		for _, m := range cs {
			if m.occ != 0 {
				v.occ, corrected = m.occ, true
			}
			if in, ok := x.decodeCorrection(m, f.typ); ok {
				v.info, corrected = in, true
			}
		}
	}
	return v, k.reaches(v.occ), corrected
}

// collect appends to items the facts of list as k sees them, with country
// set, and reports whether a correction moved one (so items may need
// sorting).
func (x *core) collect(items []item, list *factList, k *cutK, country string) ([]item, bool) {
	moved := false
	all := *k == cutK{} // the zero cut: every fact nothing targets is seen as it is
	for f := range list.all() {
		if all && f.flags&fTargeted == 0 {
			items = append(items, item{f: *f, country: country})
			continue
		}
		v, ok, corrected := x.view(f, k)
		if !ok {
			continue
		}
		if corrected && v.occ != f.occ {
			moved = true
		}
		items = append(items, item{f: v, country: country})
	}
	return items, moved
}

func (x *core) sortItems(items []item) {
	slices.SortFunc(items, func(a, b item) int { return x.cmpFacts(&a.f, &b.f) })
}

// sortedStreams returns the indexes of the streams of a kind, by key.
func (x *core) sortedStreams(kind streamKind) []int32 {
	cache := &x.agSorted
	if kind == countryStream {
		cache = &x.ctSorted
	}
	if *cache == nil {
		out := []int32{}
		for i, s := range x.streams {
			if s.kind == kind {
				out = append(out, int32(i))
			}
		}
		slices.SortFunc(out, func(a, b int32) int { return strings.Compare(x.streams[a].key, x.streams[b].key) })
		*cache = out
	}
	return *cache
}

func (x *core) stream(name string) *stream {
	if i, ok := x.byName[name]; ok {
		return x.streams[i]
	}
	return nil
}
