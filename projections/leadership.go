package projections

import (
	"slices"
	"strings"

	"github.com/accord-dev/accord/events"
)

// TurnoverWindowDays is the window of OfficeState.HoldersLast60d.
const TurnoverWindowDays = 60

// Leadership is the projection of who holds which office: per country and
// office, the holder, their tenure, and turnover ("third prime minister in
// two months"). It consumes leadership_changed events.
//
// Tenures are built by folding a country's changes in valid-time order: a
// change ends the current holder's tenure on its date and starts the new
// holder's; a change naming the same holder as the current one is a repeat
// and ignored; the first change of an office that names a predecessor
// ("from") gives that predecessor a tenure of unknown start.
//
// Like every projection here, the state is a pure function of the set of
// events applied, and it is not safe for concurrent use (queries update
// caches).
type Leadership struct{ x *core }

// NewLeadership returns an empty projection. codec decodes the replacement
// data of corrections; nil means events.NewCodec().
func NewLeadership(codec *events.Codec) *Leadership {
	return &Leadership{x: newCore(codec, needLeadership)}
}

// Apply adds one event; see Set.Apply for the contract.
func (l *Leadership) Apply(e *events.Event) error { return l.x.apply(e) }

// At returns every office with a holder history at cut, sorted by country
// then office.
func (l *Leadership) At(cut Cut) []OfficeState {
	l.x.settle()
	out := []OfficeState{}
	for _, si := range l.x.sortedStreams(countryStream) {
		out = append(out, l.x.offices(l.x.streams[si], cut)...)
	}
	return out
}

// Country returns the offices of one country (alpha-3 code) at cut, sorted
// by office.
func (l *Leadership) Country(code string, cut Cut) []OfficeState {
	l.x.settle()
	s := l.x.stream(events.CountryStream(code))
	if s == nil {
		return []OfficeState{}
	}
	return l.x.offices(s, cut)
}

// Get returns one office at cut; ok is false when it has no history there.
func (l *Leadership) Get(country, office string, cut Cut) (OfficeState, bool) {
	for _, o := range l.Country(country, cut) {
		if o.Office == office {
			return o, true
		}
	}
	return OfficeState{}, false
}

// OfficeState is one office of one country at a cut.
type OfficeState struct {
	Country string `json:"country"`
	Office  string `json:"office"`
	// Holder is the current holder, "" when the last change left the office
	// vacant; Since is the start of their tenure.
	Holder string      `json:"holder"`
	Since  events.Date `json:"since"`
	// HoldersLast60d is the number of distinct holders whose tenure
	// overlaps the TurnoverWindowDays days up to the cut's Reference (or,
	// for a cut without one, up to the office's last change), both ends
	// included: a holder who left on the window's first day counts.
	HoldersLast60d int `json:"holders_last_60d"`
	// Holders are all tenures, oldest first.
	Holders []Tenure `json:"holders"`
}

// Tenure is one holder's time in office. From is zero when the start is
// unknown, To when the tenure is current.
type Tenure struct {
	Holder string      `json:"holder"`
	From   events.Date `json:"from"`
	To     events.Date `json:"to"`
	Event  string      `json:"event,omitempty"`
}

type ldFold struct {
	offices []*officeFold // sorted by office
	lastAt  fact          // the last change folded: only its key is used
	any     bool
}

type officeFold struct {
	office  string
	tenures []tenureRec
	last    day // date of the last change
}

type tenureRec struct {
	holder   string
	from, to day
	id       eventID // of the change that started it, when hasID
	hasID    bool
}

// step is the fast path for a new leadership change.
func (l *ldFold) step(x *core, f *fact) bool {
	if f.flags&fTargeted != 0 {
		return false
	}
	if l.any && x.cmpFacts(&l.lastAt, f) >= 0 {
		return false
	}
	l.add(x, f)
	return true
}

func (l *ldFold) add(x *core, f *fact) {
	l.any, l.lastAt = true, *f
	e := x.ex(f)
	if e.s1 == "" {
		return
	}
	from, to := e.s2, e.s3
	i, found := slices.BinarySearchFunc(l.offices, e.s1, func(o *officeFold, name string) int { return strings.Compare(o.office, name) })
	if !found {
		l.offices = slices.Insert(l.offices, i, &officeFold{office: e.s1})
	}
	o := l.offices[i]
	o.last = f.occ
	n := len(o.tenures)
	switch {
	case n > 0 && o.tenures[n-1].to == 0:
		if o.tenures[n-1].holder == to {
			return // a repeat of the current holder
		}
		o.tenures[n-1].to = f.occ
	case n == 0 && from != "":
		o.tenures = append(o.tenures, tenureRec{holder: from, to: f.occ})
	}
	if to != "" {
		o.tenures = append(o.tenures, tenureRec{holder: to, from: f.occ, id: f.eid(), hasID: true})
	}
}

func (x *core) foldLeadership(s *stream, k *cutK) *ldFold {
	items, moved := x.collect(x.items[:0], &s.lead, k, "")
	if moved {
		x.sortItems(items)
	}
	l := &ldFold{}
	for i := range items {
		l.add(x, &items[i].f)
	}
	x.items = items[:0]
	return l
}

func (x *core) offices(s *stream, cut Cut) []OfficeState {
	out := []OfficeState{}
	if s.lead.len() == 0 {
		return out
	}
	var l *ldFold
	if cut.IsZero() {
		if s.ld == nil {
			k := compileCut(cut)
			s.ld = x.foldLeadership(s, &k)
		}
		l = s.ld
	} else {
		k := compileCut(cut)
		l = x.foldLeadership(s, &k)
	}
	ref, hasRef := cut.Reference()
	for _, o := range l.offices {
		st := OfficeState{Country: s.key, Office: o.office, Holders: make([]Tenure, 0, len(o.tenures))}
		for _, t := range o.tenures {
			te := Tenure{Holder: t.holder, From: t.from.date(), To: t.to.date()}
			if t.hasID {
				te.Event = x.idText(t.id)
			}
			st.Holders = append(st.Holders, te)
		}
		if n := len(o.tenures); n > 0 && o.tenures[n-1].to == 0 {
			st.Holder, st.Since = o.tenures[n-1].holder, o.tenures[n-1].from.date()
		}
		end := o.last.days()
		if hasRef {
			end = dayLimit(ref)
		}
		st.HoldersLast60d = holdersWithin(o.tenures, end-TurnoverWindowDays, end)
		out = append(out, st)
	}
	return out
}

// holdersWithin counts the distinct holders whose tenure overlaps the days
// [first, last].
func holdersWithin(ts []tenureRec, first, last int32) int {
	var seen []string
	for _, t := range ts {
		if t.from != 0 && t.from.days() > last {
			continue
		}
		if t.to != 0 && t.to.days() < first {
			continue
		}
		if !slices.Contains(seen, t.holder) {
			seen = append(seen, t.holder)
		}
	}
	return len(seen)
}
