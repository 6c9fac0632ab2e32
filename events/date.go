package events

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Precision says how much of a Date is known.
type Precision uint8

// The precisions a Date may have. The zero value is PrecisionNone, the
// precision of the zero Date.
const (
	PrecisionNone Precision = iota
	PrecisionYear
	PrecisionMonth
	PrecisionDay
)

// String returns "day", "month", "year" or "none".
func (p Precision) String() string {
	switch p {
	case PrecisionDay:
		return "day"
	case PrecisionMonth:
		return "month"
	case PrecisionYear:
		return "year"
	}
	return "none"
}

// Date is a calendar date that may be partial: "2023-01-11" (day
// precision), "2023-01" (month) or "2023" (year). News often dates things
// only to the month ("in May 2022"), and a Date keeps that.
//
// Comparison rule, used by every as-of and known-at query: a partial date
// stands for the first day of its period. "2022-05" sorts as 2022-05-01 and
// counts as having happened by any date on or after 2022-05-01. Equivalently,
// the query date is truncated to the event date's precision before
// comparing. Two dates with the same first day sort coarser first.
//
// Date is a small value type; the zero Date is "no date".
type Date struct {
	// Day is the first day of the period, at 00:00 UTC.
	Day time.Time
	// Precision says how much of Day is meaningful.
	Precision Precision
}

// ParseDate parses "YYYY-MM-DD", "YYYY-MM" or "YYYY". A full RFC 3339
// timestamp is also accepted and kept to the day (UTC). Impossible dates such
// as 2022-02-30 are errors.
func ParseDate(s string) (Date, error) {
	var (
		t   time.Time
		p   Precision
		err error
	)
	switch len(s) {
	case 4:
		t, err = time.Parse("2006", s)
		p = PrecisionYear
	case 7:
		t, err = time.Parse("2006-01", s)
		p = PrecisionMonth
	case 10:
		t, err = time.Parse("2006-01-02", s)
		p = PrecisionDay
	default:
		t, err = time.Parse(time.RFC3339, s)
		p = PrecisionDay
		if err == nil {
			t = t.UTC()
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
	}
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD, YYYY-MM or YYYY): %w", s, errDateReason(err))
	}
	if t.Year() < 1800 || t.Year() > 2200 {
		return Date{}, fmt.Errorf("%q is out of the supported range (years 1800 to 2200)", s)
	}
	return Date{Day: t, Precision: p}, nil
}

// errDateReason shortens time.Parse's messages to their reason.
func errDateReason(err error) error {
	if pe, ok := err.(*time.ParseError); ok && pe.Message != "" {
		return fmt.Errorf("%s", pe.Message[2:])
	}
	return fmt.Errorf("bad format")
}

// MustDate is ParseDate for constants in tests and examples; it panics on a
// bad date.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DayOf returns the day-precision Date of t (in UTC).
func DayOf(t time.Time) Date {
	t = t.UTC()
	return Date{Day: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), Precision: PrecisionDay}
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d.Precision == PrecisionNone }

// String formats d in the form its precision implies, or "" for the zero Date.
func (d Date) String() string {
	switch d.Precision {
	case PrecisionDay:
		return d.Day.Format("2006-01-02")
	case PrecisionMonth:
		return d.Day.Format("2006-01")
	case PrecisionYear:
		return strconv.Itoa(d.Day.Year())
	}
	return ""
}

// End returns the last day of d's period (for a day, the day itself).
func (d Date) End() time.Time {
	switch d.Precision {
	case PrecisionMonth:
		return d.Day.AddDate(0, 1, -1)
	case PrecisionYear:
		return d.Day.AddDate(1, 0, -1)
	}
	return d.Day
}

// Compare orders dates by their first day, then coarser precision first.
// It returns -1, 0 or +1.
func (d Date) Compare(o Date) int {
	if c := d.Day.Compare(o.Day); c != 0 {
		return c
	}
	switch {
	case d.Precision < o.Precision:
		return -1
	case d.Precision > o.Precision:
		return 1
	}
	return 0
}

// Before reports whether d sorts before o (see Compare).
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// ReachedBy reports whether an event dated d counts as having happened (or
// been reported) by the instant t: the first day of d's period is on or
// before t. The zero Date is never reached.
func (d Date) ReachedBy(t time.Time) bool {
	if d.IsZero() {
		return false
	}
	return !d.Day.After(t)
}

// DaysUntil returns the whole days from d's first day to t (negative when t
// is earlier).
func (d Date) DaysUntil(t time.Time) int {
	return int(t.Sub(d.Day).Hours() / 24)
}

// MarshalJSON writes d as a JSON string, or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads a JSON string in one of the forms ParseDate accepts,
// or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a date must be a string such as \"2023-01-11\"")
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
