package projections

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/accord-dev/accord/events"
)

// fact is the compact form of one event that the projections keep: 64
// bytes, plus its id and source in the arena (17 bytes for a UUID-shaped
// id; the source's title and URL, shared with the events just before it
// when they cite the same one), and what the projections use of its
// payload, shared between events where it repeats. Envelopes and payloads
// are not retained.
type fact struct {
	id    string // idKey form, in the arena
	src   string // source form, in the arena
	info  *info  // what the projections use of the payload; nil when nothing
	rec   int64  // RecordedAt in nanoseconds (see nanos), when fRecorded
	occ   day    // OccurredAt
	known day    // KnownAt: ReportedAt, or OccurredAt when that is zero
	typ   typeCode
	conf  uint8
	flags uint8
}

const (
	fRecorded uint8 = 1 << iota // rec holds RecordedAt
	fTargeted                   // a retraction or correction names this fact
)

// aref is an interned agreement reference.
type aref struct {
	parties []string // sorted; nil when the payload names none
	kind    string
	title   string
}

// ext holds the type-specific fields of a fact; see extract for the
// meaning of each field per type.
type ext struct {
	s1, s2, s3 string
	n          int32
	d          day
}

// info is what the projections use of a payload: the agreement reference
// of a lifecycle payload and the type-specific fields.
type info struct {
	ref *aref
	ext
}

// ref returns the agreement reference of f, or nil.
func (f *fact) ref() *aref {
	if f.info == nil {
		return nil
	}
	return f.info.ref
}

// ex returns the type-specific fields of f (zero when none).
func (f *fact) ex() ext {
	if f.info == nil {
		return ext{}
	}
	return f.info.ext
}

// nanos returns t as nanoseconds since the epoch, clamped to the int64
// range (years 1678 to 2262): RecordedAt and RecordedBy are compared in
// this form.
func nanos(t time.Time) int64 {
	const lim = math.MaxInt64/1_000_000_000 - 1
	s := t.Unix()
	switch {
	case s > lim:
		return math.MaxInt64
	case s < -lim:
		return math.MinInt64
	}
	return s*1e9 + int64(t.Nanosecond())
}

// cmpFacts orders facts by (OccurredAt, KnownAt, ID): the valid-time order
// every fold uses.
func cmpFacts(a, b *fact) int {
	if a.occ != b.occ {
		if a.occ < b.occ {
			return -1
		}
		return 1
	}
	if a.known != b.known {
		if a.known < b.known {
			return -1
		}
		return 1
	}
	return cmpID(a.id, b.id)
}

// insertFact inserts f at i, growing the slice by an eighth (at least two)
// when full rather than doubling it: streams are many and mostly short.
func insertFact(list []fact, i int, f fact) []fact {
	if len(list) == cap(list) {
		grown := make([]fact, len(list), len(list)+max(2, len(list)/8))
		copy(grown, list)
		list = grown
	}
	return slices.Insert(list, i, f)
}

// arena stores strings back to back in 64 KiB chunks, so that a string the
// projections keep costs its bytes and nothing else (no allocation
// rounding, nothing for the garbage collector to scan), and the caller's
// decoded strings are not retained. Bytes are never modified once written,
// so the strings stay valid when a new chunk is started.
type arena struct {
	b *strings.Builder
}

const arenaChunk = 64 << 10

func (a *arena) room(n int) {
	if a.b == nil || a.b.Cap()-a.b.Len() < n {
		a.b = new(strings.Builder)
		a.b.Grow(arenaChunk)
	}
}

func (a *arena) str(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > arenaChunk/16 {
		return strings.Clone(s)
	}
	a.room(len(s))
	start := a.b.Len()
	a.b.WriteString(s)
	return a.b.String()[start:]
}

func (a *arena) bytes(p []byte) string {
	if len(p) > arenaChunk/16 {
		return string(p)
	}
	a.room(len(p))
	start := a.b.Len()
	a.b.Write(p)
	return a.b.String()[start:]
}

// Event ids are kept in "key" form: a canonical lower-case UUID (what
// events.DeriveID and the stores produce) as a zero byte and its 16 bytes,
// anything else as itself (valid ids never start with a zero byte). cmpID
// orders keys exactly as strings.Compare orders the ids.

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}

// packUUID writes the key form of a UUID-shaped id into b[:17].
func packUUID(b []byte, s string) {
	b[0] = 0
	j := 1
	for i := 0; i < 36; i++ {
		if s[i] == '-' {
			continue
		}
		b[j] = unhex(s[i])<<4 | unhex(s[i+1])
		j++
		i++
	}
}

const hexDigits = "0123456789abcdef"

// unpackUUID writes the text form of key k (17 bytes) into b[:36].
func unpackUUID(b []byte, k string) {
	j := 0
	for i := 1; i < 17; i++ {
		if j == 8 || j == 13 || j == 18 || j == 23 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexDigits[k[i]>>4], hexDigits[k[i]&15]
		j += 2
	}
}

func isPacked(k string) bool { return len(k) == 17 && k[0] == 0 }

// idKey stores id in the arena in key form.
func (x *core) idKey(id string) string {
	if isUUID(id) {
		var b [17]byte
		packUUID(b[:], id)
		return x.arena.bytes(b[:])
	}
	return x.arena.str(id)
}

// lookupKey returns the key form of id without storing it.
func lookupKey(id string) string {
	if isUUID(id) {
		var b [17]byte
		packUUID(b[:], id)
		return string(b[:])
	}
	return id
}

// idText returns the id of key k.
func idText(k string) string {
	if !isPacked(k) {
		return k
	}
	var b [36]byte
	unpackUUID(b[:], k)
	return string(b[:])
}

func cmpID(a, b string) int {
	pa, pb := isPacked(a), isPacked(b)
	if pa == pb {
		return strings.Compare(a, b) // packing keeps the order of the hex digits
	}
	var buf [36]byte
	if pa {
		unpackUUID(buf[:], a)
		return cmpBytes(buf[:], b)
	}
	unpackUUID(buf[:], b)
	return -cmpBytes(buf[:], a)
}

func cmpBytes(a []byte, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// A source is kept as one arena string: the date (4 bytes), the index of
// the publication in core.pubs (2 bytes), the title's length (2 bytes),
// then title and URL.

const srcHeader = 8

// source returns the encoded form of s, shared with one of the last few
// sources seen when equal (imports cite one article for several events).
func (x *core) source(s events.Source) string {
	title := s.Title
	if len(title) > 0xffff {
		title = title[:0xffff]
	}
	b := x.srcBuf[:0]
	b = binary.LittleEndian.AppendUint32(b, uint32(packDate(s.Date)))
	b = binary.LittleEndian.AppendUint16(b, x.pub(s.Publication))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(title)))
	b = append(b, title...)
	b = append(b, s.URL...)
	x.srcBuf = b[:0]
	for _, r := range x.recent {
		if r == string(b) {
			return r
		}
	}
	r := x.arena.bytes(b)
	x.recent[x.nrecent%len(x.recent)] = r
	x.nrecent++
	return r
}

// pub returns the index of a publication, adding it when new. Past 65535
// publications, the last index is shared (and shows the last publication
// added then); no real log has that many.
func (x *core) pub(name string) uint16 {
	if i, ok := x.pubIdx[name]; ok {
		return i
	}
	if len(x.pubs) > 0xffff {
		return 0xffff
	}
	i := uint16(len(x.pubs))
	name = strings.Clone(name)
	x.pubs = append(x.pubs, name)
	x.pubIdx[name] = i
	return i
}

func (x *core) decodeSource(r string) events.Source {
	if len(r) < srcHeader {
		return events.Source{}
	}
	d := day(int32(uint32(r[0]) | uint32(r[1])<<8 | uint32(r[2])<<16 | uint32(r[3])<<24))
	p := int(r[4]) | int(r[5])<<8
	t := int(r[6]) | int(r[7])<<8
	body := r[srcHeader:]
	return events.Source{Publication: x.pubs[min(p, len(x.pubs)-1)], Title: body[:t], URL: body[t:], Date: d.date()}
}
