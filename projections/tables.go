package projections

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/accord-dev/accord/events"
)

// The tables a core's facts index: strings, payload contents (infos),
// agreement references, sources and text ids. They share what repeats, so
// that a log costs about one fact per event plus its distinct values.

// tables holds the tables of a core. Entry 0 of infos, refs and srcs is
// the empty one, and strs entry 0 is "".
type tables struct {
	infos     table[info]
	refs      table[aref]
	srcs      table[source]
	recentSrc lru[sourceKey] // the sources used last in any stream
	strs      table[string]
	names     map[string]str // the strings interned by name
	textCache []str          // see text; nil until used
	seed      maphash.Seed
	textIDs   []string           // the ids that are not UUIDs (see eventID)
	textIdx   map[string]eventID // and their eventIDs
	arena     arena              // the bytes of strs and textIDs
	buf       []byte             // scratch
}

// newTables returns empty tables.
func newTables() tables {
	t := tables{names: map[string]str{}, textIdx: map[string]eventID{}}
	t.infos.add(info{})
	t.refs.add(aref{})
	t.srcs.add(source{})
	t.strs.add("")
	return t
}

// table is an append-only array indexed by uint32, stored in chunks of
// tableChunk entries so that it grows without copying what it holds (and
// without the large reallocations of a slice that doubles). The first
// chunk grows as a slice does, so that a small table stays small.
type table[T any] struct {
	chunks [][]T
	n      uint32
}

const (
	tableShift = 12
	tableChunk = 1 << tableShift
)

// at returns entry i. Entries do not change once added.
func (t *table[T]) at(i uint32) *T { return &t.chunks[i>>tableShift][i&(tableChunk-1)] }

// add appends v and returns its index.
func (t *table[T]) add(v T) uint32 {
	i := t.n
	c := int(i >> tableShift)
	if c == len(t.chunks) {
		var chunk []T
		if c > 0 {
			chunk = make([]T, 0, tableChunk)
		}
		t.chunks = append(t.chunks, chunk)
	}
	t.chunks[c] = append(t.chunks[c], v)
	t.n++
	return i
}

// lruSize is the length of an lru.
const lruSize = 16

// lru remembers the last entries of a table that were used, so that a
// value that repeats one of them is found without searching the table: a
// stream remembers the infos and sources its facts used last (see
// streamCache), a core the sources used last in any stream. An entry is
// the value's key, which holds what the value stands for as Go values
// (strings in the arena), so that a candidate is compared without going
// through the tables; its index in the table (0 marks an empty slot); and
// a tag that summarizes the key (equal keys have equal tags), kept apart so
// that a search reads one cache line of tags until one matches. When full,
// the least recently used entry makes room.
type lru[K comparable] struct {
	tags  [lruSize]uint32
	used  [lruSize]uint32 // the clock when each entry was last used
	clock uint32          // wraps around after 2^32 uses, which only makes one eviction unfair
	ents  [lruSize]lruEntry[K]
}

// lruEntry is an entry of an lru: a table index and its key.
type lruEntry[K comparable] struct {
	i uint32
	k K
}

// find returns the index of the entry with the tag and key, and marks it
// used; ok is false when there is none.
func (l *lru[K]) find(tag uint32, k *K) (i uint32, ok bool) {
	for j, t := range l.tags {
		if e := &l.ents[j]; t == tag && e.i != 0 && e.k == *k {
			l.clock++
			l.used[j] = l.clock
			return e.i, true
		}
	}
	return 0, false
}

// add remembers that table index i has key k, in place of the least
// recently used entry.
func (l *lru[K]) add(tag, i uint32, k K) {
	j := 0
	for m, u := range l.used {
		if u < l.used[j] {
			j = m
		}
	}
	l.clock++
	l.tags[j], l.used[j], l.ents[j] = tag, l.clock, lruEntry[K]{i: i, k: k}
}

// promote moves l[j] to the front of l.
func promote[T any](l []T, j int) {
	v := l[j]
	copy(l[1:j+1], l[:j])
	l[0] = v
}

// push puts v at the front of l, dropping the last entry.
func push[T any](l []T, v T) {
	copy(l[1:], l)
	l[0] = v
}

// streamCache is what a stream with many facts remembers of its recent
// facts, so that a fact that repeats their info or source shares it. A
// stream gets one when it reaches cacheAfter facts: shorter streams do not
// pay for it.
type streamCache struct {
	infos   lru[infoKey]
	sources lru[sourceKey]
}

// cacheAfter is how many facts a stream has before it gets a streamCache.
const cacheAfter = 16

// mix combines the words of a tag.
func mix(h, v uint32) uint32 { return (h ^ v) * 0x9e3779b1 }

// str is a string kept by a core: an index in its table of strings. 0 is
// "".
type str uint32

// str returns the string of h.
func (x *core) str(h str) string { return *x.strs.at(uint32(h)) }

// maxName is the length up to which name interns strings exactly.
const maxName = 64

// name returns the str of a string that repeats (a code, a name, a
// place): interned exactly up to maxName bytes, else kept as text.
func (x *core) name(s string) str {
	if s == "" {
		return 0
	}
	if len(s) > maxName {
		return x.text(s)
	}
	if h, ok := x.names[s]; ok {
		return h
	}
	s = x.arena.str(s)
	h := str(x.strs.add(s))
	x.names[s] = h
	return h
}

// textSlots is the size of the cache of recent texts.
const textSlots = 1 << 12

// text returns the str of free text (a title, a URL, a summary): shared
// with an earlier equal text while that is in a small cache indexed by
// hash, else stored anew. The cache bounds the memory of sharing: a log
// whose texts never repeat costs each text's bytes and a string header.
func (x *core) text(s string) str {
	if s == "" {
		return 0
	}
	if x.textCache == nil {
		x.textCache = make([]str, textSlots)
		x.seed = maphash.MakeSeed()
	}
	slot := &x.textCache[maphash.String(x.seed, s)&(textSlots-1)]
	if h := *slot; h != 0 && x.str(h) == s {
		return h
	}
	*slot = str(x.strs.add(x.arena.str(s)))
	return *slot
}

// intern returns the shared copy of a string that repeats (see name).
func (x *core) intern(s string) string { return x.str(x.name(s)) }

// info is what the projections use of a payload: the agreement reference
// of a lifecycle payload (an index in the refs table, 0 for none) and the
// type-specific fields, see extract. It holds no Go pointers. The facts of
// a stream that repeat an info share it.
type info struct {
	ref        uint32
	s1, s2, s3 str
	n          int32
	d          day
}

// ext is the type-specific fields of an info, with their strings.
type ext struct {
	s1, s2, s3 string
	n          int32
	d          day
}

// infoKey is an info as an lru compares it: its reference and its fields.
type infoKey struct {
	ref uint32
	ext
}

// tag returns the tag of k in an lru.
func (k *infoKey) tag() uint32 {
	h := mix(k.ref, uint32(k.n))
	h = mix(h, uint32(k.d))
	return mix(h, uint32(len(k.s1))|uint32(len(k.s2))<<10|uint32(len(k.s3))<<20)
}

// ex returns the type-specific fields of f (zero when none).
func (x *core) ex(f *fact) ext {
	in := x.infos.at(f.info)
	return ext{s1: x.str(in.s1), s2: x.str(in.s2), s3: x.str(in.s3), n: in.n, d: in.d}
}

// extract keeps what the projections use of a payload, and returns its
// index in the infos table (0 when nothing):
//
//	agreement_proposed          s1 proposed_by
//	talks_opened                s1 location
//	talks_round_held            s1 location, n round
//	talks_stalled               s1 reason
//	agreement_signed            s1 location, s2 signatories joined by ", "
//	domestic_approval_completed s1 party, s2 body
//	suspended, terminated       s1 reason, s2 by
//	abandoned                   s1 reason
//	leadership_changed          s1 office, s2 from, s3 to
//	election_held               s1 body, s2 winner, s3 summary
//	government_collapsed        s1 reason
//	statement_issued            s1 speaker, s2 stance, s3 summary
//	expectation_reported        s1 expected_type, s2 said_by, s3 summary, d expected_by
//	political_event             s1 text, s2 plover_event, s3 cameo
//
// and, for lifecycle payloads, the agreement reference. An info equal to
// one of the recent infos of stream s (see streamCache) is shared; s may
// be nil. Short strings are kept with name, free text with text.
func (x *core) extract(p events.Payload, s *stream) uint32 {
	var (
		r    uint32
		e    ext
		free uint8 // which of s1, s2, s3 (bits 0, 1, 2) are free text
	)
	if l, ok := p.(events.Lifecycle); ok {
		r = x.ref(l.Ref(), s)
	}
	switch p := p.(type) {
	case *events.AgreementProposed:
		e.s1 = p.ProposedBy
	case *events.TalksOpened:
		e.s1 = p.Location
	case *events.TalksRoundHeld:
		e.s1, e.n = p.Location, int32(p.Round)
	case *events.TalksStalled:
		e.s1, free = p.Reason, 1
	case *events.AgreementSigned:
		e.s1, e.s2, free = p.Location, strings.Join(p.Signatories, ", "), 2
	case *events.DomesticApprovalCompleted:
		e.s1, e.s2 = p.Party, p.Body
	case *events.Suspended:
		e.s1, e.s2, free = p.Reason, p.By, 1
	case *events.Terminated:
		e.s1, e.s2, free = p.Reason, p.By, 1
	case *events.Abandoned:
		e.s1, free = p.Reason, 1
	case *events.LeadershipChanged:
		e.s1, e.s2, e.s3 = p.Office, p.From, p.To
	case *events.ElectionHeld:
		e.s1, e.s2, e.s3, free = p.Body, p.Winner, p.Summary, 4
	case *events.GovernmentCollapsed:
		e.s1, free = p.Reason, 1
	case *events.StatementIssued:
		e.s1, e.s2, e.s3, free = p.Speaker, p.Stance, p.Summary, 4
	case *events.ExpectationReported:
		e.s1, e.s2, e.s3, e.d, free = p.ExpectedType, p.SaidBy, p.Summary, packDate(p.ExpectedBy), 4
	case *events.PoliticalEvent:
		e.s1, e.s2, e.s3, free = p.Text, p.PloverEvent, p.CAMEO, 1
	}
	if r == 0 && e == (ext{}) {
		return 0
	}
	var cache *streamCache
	if s != nil {
		cache = s.cache
	}
	key := infoKey{ref: r, ext: e}
	tag := key.tag()
	if cache != nil {
		if i, ok := cache.infos.find(tag, &key); ok {
			return i
		}
	}
	keep := func(s string, bit uint8) str {
		if free&bit != 0 {
			return x.text(s)
		}
		return x.name(s)
	}
	in := info{ref: r, s1: keep(e.s1, 1), s2: keep(e.s2, 2), s3: keep(e.s3, 4), n: e.n, d: e.d}
	i := x.infos.add(in)
	if cache != nil {
		cache.infos.add(tag, i, infoKey{ref: r, ext: ext{s1: x.str(in.s1), s2: x.str(in.s2), s3: x.str(in.s3), n: e.n, d: e.d}})
	}
	return i
}

// aref is an agreement reference. A stream's facts share the references
// of its recent facts (see ref), so the refs table holds about one per
// agreement, with Go strings.
type aref struct {
	parties []string // sorted; nil when the payload names none
	kind    string
	title   string
}

// refOf returns the agreement reference of f, or nil. It must not be
// modified.
func (x *core) refOf(f *fact) *aref {
	if r := x.infos.at(f.info).ref; r != 0 {
		return x.refs.at(r)
	}
	return nil
}

// infoParties returns the parties named by the reference of info in, or
// nil.
func (x *core) infoParties(in uint32) []string {
	return x.refs.at(x.infos.at(in).ref).parties
}

// ref returns the index in the refs table of reference r, shared with a
// recent one of stream s when equal (an agreement's events repeat it), or
// 0 when r is empty. s may be nil. The parties of a new reference of an
// agreement stream are recorded for it (see addParties).
func (x *core) ref(r *events.AgreementRef, s *stream) uint32 {
	if r.Parties == nil && r.Kind == "" && r.Title == "" {
		return 0
	}
	parties := r.Parties
	if !slices.IsSorted(parties) || hasAdjacentDup(parties) {
		parties = slices.Compact(slices.Sorted(slices.Values(parties)))
	}
	if s != nil {
		for j, v := range s.recentRef {
			if v == 0 {
				break
			}
			if l := x.refs.at(v); l.kind == r.Kind && l.title == r.Title && (l.parties == nil) == (parties == nil) && slices.Equal(l.parties, parties) {
				promote(s.recentRef[:], j)
				return v
			}
		}
	}
	if parties != nil {
		own := make([]string, len(parties))
		for i, p := range parties {
			own[i] = x.intern(p)
		}
		parties = own
	}
	v := x.refs.add(aref{parties: parties, kind: x.intern(r.Kind), title: x.str(x.text(r.Title))})
	if s != nil {
		push(s.recentRef[:], v)
		if s.kind == agreementStream && parties != nil {
			x.addParties(s.index, parties)
		}
	}
	return v
}

// source is the publication, title and URL of an event's source (the fact
// keeps its date): body is the title and the URL back to back, title the
// length of the title. The facts that cite the same source share it.
type source struct {
	pub, body str
	title     uint32
}

// sourceKey is a source as an lru compares it.
type sourceKey struct {
	pub, title, url string
}

// tag returns the tag of k in an lru: the lengths and the last bytes of
// the strings, where sources that cite different articles of one
// publication usually differ.
func (k *sourceKey) tag() uint32 {
	h := mix(uint32(len(k.pub)), uint32(len(k.title))|uint32(len(k.url))<<16)
	return mix(h, uint32(last(k.title))|uint32(last(k.url))<<8|uint32(last(k.pub))<<16)
}

// last returns the last byte of s, or 0.
func last(s string) byte {
	if s == "" {
		return 0
	}
	return s[len(s)-1]
}

// source returns the index in the srcs table of the publication, title
// and URL of src, shared with a recent source of stream s or of any stream
// when equal (a stream's events often cite the same few publications, and
// imports cite one article for several events), or 0 when they are empty.
func (x *core) source(src *events.Source, s *stream) uint32 {
	key := sourceKey{pub: src.Publication, title: src.Title, url: src.URL}
	if key == (sourceKey{}) {
		return 0
	}
	tag := key.tag()
	if s.cache != nil {
		if i, ok := s.cache.sources.find(tag, &key); ok {
			return i
		}
	}
	i, ok := x.recentSrc.find(tag, &key)
	if !ok {
		x.buf = append(append(x.buf[:0], src.Title...), src.URL...)
		i = x.srcs.add(source{pub: x.name(src.Publication), body: str(x.strs.add(x.arena.bytes(x.buf))), title: uint32(len(src.Title))})
		x.recentSrc.add(tag, i, x.sourceKey(i))
	}
	if s.cache != nil {
		// The key's strings are shared texts rather than the table's
		// copy, so that the many sources that repeat a title or a URL
		// are compared with one copy of it, which stays in the CPU's
		// caches.
		key = sourceKey{pub: x.intern(src.Publication), title: x.str(x.text(src.Title)), url: x.str(x.text(src.URL))}
		s.cache.sources.add(tag, i, key)
	}
	return i
}

// sourceKey returns the key of entry i of the srcs table.
func (x *core) sourceKey(i uint32) sourceKey {
	v := x.srcs.at(i)
	body := x.str(v.body)
	return sourceKey{pub: x.str(v.pub), title: body[:v.title], url: body[v.title:]}
}

// decodeSource returns the source of a fact, given its src and sdate.
func (x *core) decodeSource(src uint32, date day) events.Source {
	k := x.sourceKey(src)
	return events.Source{Publication: k.pub, Title: k.title, URL: k.url, Date: date.date()}
}

// eventID is an event id as the facts keep it: a canonical lower-case
// UUID (what events.DeriveID and the stores produce) as its 16 bytes, any
// other id as the index of its text in textIDs (in the first four bytes)
// with text set. Equal ids have equal eventIDs, and cmpIDs orders them as
// strings.Compare orders the ids.
type eventID struct {
	key  [16]byte
	text bool
}

// eid returns the id of f.
func (f *fact) eid() eventID { return eventID{key: f.id, text: f.flags&fTextID != 0} }

// setID sets the id of f.
func (f *fact) setID(id eventID) {
	f.id = id.key
	f.flags &^= fTextID
	if id.text {
		f.flags |= fTextID
	}
}

// idOf returns the eventID of id, adding a text id to the table.
func (x *core) idOf(id string) eventID {
	if k, ok := parseUUID(id); ok {
		return eventID{key: k}
	}
	if e, ok := x.textIdx[id]; ok {
		return e
	}
	id = x.arena.str(id)
	e := eventID{text: true}
	binary.LittleEndian.PutUint32(e.key[:], uint32(len(x.textIDs)))
	x.textIDs = append(x.textIDs, id)
	x.textIdx[id] = e
	return e
}

// lookupID returns the eventID of id without storing it; ok is false for a
// text id not stored (which no fact has).
func (x *core) lookupID(id string) (eventID, bool) {
	if k, ok := parseUUID(id); ok {
		return eventID{key: k}, true
	}
	e, ok := x.textIdx[id]
	return e, ok
}

// idText returns the text of an id.
func (x *core) idText(e eventID) string {
	if e.text {
		return x.textIDs[binary.LittleEndian.Uint32(e.key[:])]
	}
	var b [36]byte
	j := 0
	for i, c := range e.key {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexDigits[c>>4], hexDigits[c&15]
		j += 2
	}
	return string(b[:])
}

const hexDigits = "0123456789abcdef"

// parseUUID returns the bytes of a canonical lower-case UUID; ok is false
// for any other string. It decodes eight digits at a time (see hex8).
func parseUUID(s string) (k [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return k, false
	}
	le32 := func(i int) uint64 {
		return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24
	}
	a, okA := hex8(le32(0) | le32(4)<<32)
	b, okB := hex8(le32(9) | le32(14)<<32)
	c, okC := hex8(le32(19) | le32(24)<<32)
	d, okD := hex8(le32(28) | le32(32)<<32)
	binary.LittleEndian.PutUint32(k[0:], a)
	binary.LittleEndian.PutUint32(k[4:], b)
	binary.LittleEndian.PutUint32(k[8:], c)
	binary.LittleEndian.PutUint32(k[12:], d)
	return k, okA && okB && okC && okD
}

// hex8 decodes eight lower-case hex digits, the first in the low byte of
// w, into four bytes, the first in the low byte of the result; ok is false
// when one of them is not such a digit. It works on all eight bytes at
// once: a byte c is a digit when it is in '0'..'9' or 'a'..'f', and its
// value is c&15, plus 9 for a letter (c>>6 is 1 for letters, 0 for
// digits).
func hex8(w uint64) (v uint32, ok bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// in reports, in the high bit of each byte, whether the byte (below
	// 0x80) is in lo..hi.
	in := func(lo, hi uint64) uint64 {
		return (w + (0x80-lo)*ones) &^ (w + (0x7f-hi)*ones) & highs
	}
	ok = w&highs == 0 && in('0', '9')|in('a', 'f') == highs
	n := w&(15*ones) + 9*(w>>6&ones)       // the value of each digit, one per byte
	n = (n<<4 | n>>8) & 0x00ff00ff00ff00ff // pairs of digits, in the even bytes
	n = (n | n>>8) & 0x0000ffff0000ffff    // packed to 16-bit halves
	return uint32(n | n>>16), ok
}

// cmpKeys compares UUID bytes, which order as their texts do.
func cmpKeys(a, b *[16]byte) int {
	for i := 0; i < 16; i += 8 {
		p, q := binary.BigEndian.Uint64(a[i:]), binary.BigEndian.Uint64(b[i:])
		if p != q {
			if p < q {
				return -1
			}
			return 1
		}
	}
	return 0
}

// cmpIDs orders ids as strings.Compare orders their texts.
func (x *core) cmpIDs(a, b eventID) int {
	if !a.text && !b.text {
		return cmpKeys(&a.key, &b.key)
	}
	return strings.Compare(x.idText(a), x.idText(b))
}
