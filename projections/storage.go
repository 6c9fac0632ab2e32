package projections

import (
	"iter"
	"math"
	"strings"
	"time"
)

// fact is the compact form of one event that the projections keep: 48
// bytes and no Go pointers, so that the per-stream arrays of facts, which
// hold one record per event, are copied with plain moves and never scanned
// by the garbage collector. What is not a number is an index into a table
// of the core that stores each distinct value once, or once per run of
// repeats (see info, source and core.text). Envelopes and payloads are not
// retained.
type fact struct {
	rec   int64    // RecordedAt in nanoseconds (see nanos), when fRecorded
	id    [16]byte // the event's id: see eventID
	occ   day      // OccurredAt
	known day      // KnownAt: ReportedAt, or OccurredAt when that is zero
	sdate day      // the source's date
	src   uint32   // the source's publication, title and URL: index in core.srcs (0: none)
	info  uint32   // what the projections use of the payload: index in core.infos (0: nothing)
	typ   typeCode
	conf  uint8
	flags uint8
}

const (
	fRecorded uint8 = 1 << iota // rec holds RecordedAt
	fTargeted                   // a retraction or correction names this fact
	fTextID                     // id is a text id (see eventID)
)

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
func (x *core) cmpFacts(a, b *fact) int {
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
	if (a.flags|b.flags)&fTextID == 0 {
		return cmpKeys(&a.id, &b.id)
	}
	return x.cmpIDs(a.eid(), b.eid())
}

// factList is the facts of one stream in cmpFacts order, in pages of
// factPage facts, so that it grows without copying what it holds and
// without the large allocations of a slice that doubles: full pages, then
// the last page (tail), which new facts usually go to. Only a first page
// grows as a slice does, so that a short stream stays small.
type factList struct {
	full [][]fact // each of factPage facts
	tail []fact   // fewer than factPage facts, or nil
}

const (
	factShift = 6
	factPage  = 1 << factShift // 3 KiB of facts
)

func (l *factList) len() int { return len(l.full)<<factShift + len(l.tail) }

// at returns fact i. The pointer is valid until the next insert.
func (l *factList) at(i int) *fact {
	if p := i >> factShift; p < len(l.full) {
		return &l.full[p][i&(factPage-1)]
	}
	return &l.tail[i-len(l.full)<<factShift]
}

// all yields the facts in order.
func (l *factList) all() iter.Seq[*fact] {
	return func(yield func(*fact) bool) {
		for _, p := range l.full {
			for i := range p {
				if !yield(&p[i]) {
					return
				}
			}
		}
		for i := range l.tail {
			if !yield(&l.tail[i]) {
				return
			}
		}
	}
}

// insert inserts f at i (0 <= i <= len).
func (l *factList) insert(i int, f fact) {
	if len(l.tail) == cap(l.tail) { // make room
		c := factPage
		if len(l.full) == 0 {
			c = grownCap(cap(l.tail)) // the first page, growing
		}
		p := make([]fact, len(l.tail), c)
		copy(p, l.tail)
		l.tail = p
	}
	l.tail = l.tail[:len(l.tail)+1]
	// Shift the facts from i on by one, page by page from the end.
	pg := l.tail
	for p := len(l.full) - 1; p >= 0 && i < (p+1)<<factShift; p-- {
		prev := l.full[p]
		copy(pg[1:], pg)
		pg[0] = prev[factPage-1]
		pg = prev
	}
	o := i & (factPage - 1)
	if i >= len(l.full)<<factShift {
		o = i - len(l.full)<<factShift
	}
	copy(pg[o+1:], pg[o:])
	pg[o] = f
	if len(l.tail) == factPage {
		l.full, l.tail = append(l.full, l.tail), nil
	}
}

// grownCap returns the capacity the first page of a factList grows to
// from c: 2, 4, 8, 12, 16, 32, 64 facts, in small steps at first because
// most streams are short, and in sizes that are size classes of the Go
// allocator (48 bytes a fact), so that none of the memory it rounds up to
// is wasted.
func grownCap(c int) int {
	switch {
	case c < 8:
		return max(2, 2*c)
	case c < 16:
		return c + 4
	}
	return min(2*c, factPage)
}

// search returns where f sorts in l, and whether an equal fact is there.
// New facts mostly sort last, which is tried first.
func (x *core) search(l *factList, f *fact) (int, bool) {
	n := l.len()
	if n == 0 {
		return 0, false
	}
	switch x.cmpFacts(l.at(n-1), f) {
	case -1:
		return n, false
	case 0:
		return n - 1, true
	}
	lo, hi := 0, n-1 // l.at(hi) sorts after f
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if x.cmpFacts(l.at(m), f) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, x.cmpFacts(l.at(lo), f) == 0
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
	if len(p) == 0 {
		return ""
	}
	if len(p) > arenaChunk/16 {
		return string(p)
	}
	a.room(len(p))
	start := a.b.Len()
	a.b.Write(p)
	return a.b.String()[start:]
}

// room starts a new chunk when the current one has less than n bytes
// free.
func (a *arena) room(n int) {
	if a.b == nil || a.b.Cap()-a.b.Len() < n {
		a.b = new(strings.Builder)
		a.b.Grow(arenaChunk)
	}
}
