package projections

import (
	"slices"
	"testing"

	"github.com/accord-dev/accord/events"
)

func ukLeaders(t *testing.T, c *events.Codec) []events.Event {
	return []events.Event{
		ev(t, c, "johnson", "2019-07-24", "", leader("GBR", "prime_minister", "May", "Johnson")),
		ev(t, c, "truss", "2022-09-06", "", leader("GBR", "prime_minister", "Johnson", "Truss")),
		ev(t, c, "sunak", "2022-10-25", "", leader("GBR", "prime_minister", "Truss", "Sunak")),
		ev(t, c, "starmer", "2024-07-05", "", leader("GBR", "prime_minister", "Sunak", "Starmer")),
		ev(t, c, "kishida", "2021-10-04", "", leader("JPN", "prime_minister", "Suga", "Kishida")),
		ev(t, c, "wallace", "2019-07-24", "", leader("GBR", "defence_secretary", "Mordaunt", "Wallace")),
	}
}

func TestLeadership(t *testing.T) {
	c := events.NewCodec()
	evs := ukLeaders(t, c)
	tests := []struct {
		name    string
		cut     Cut
		holder  string
		since   string
		last60  int
		holders []string
	}{
		{"the UK example", Cut{AsOf: day0("2022-10-30")}, "Sunak", "2022-10-25", 3, []string{"May", "Johnson", "Truss", "Sunak"}},
		{"window edge: Johnson left on its first day", Cut{AsOf: day0("2022-11-05")}, "Sunak", "2022-10-25", 3, []string{"May", "Johnson", "Truss", "Sunak"}},
		{"window edge: a day later", Cut{AsOf: day0("2022-11-06")}, "Sunak", "2022-10-25", 2, []string{"May", "Johnson", "Truss", "Sunak"}},
		{"Truss", Cut{AsOf: day0("2022-09-10")}, "Truss", "2022-09-06", 2, []string{"May", "Johnson", "Truss"}},
		{"quiet times", Cut{AsOf: day0("2021-01-01")}, "Johnson", "2019-07-24", 1, []string{"May", "Johnson"}},
		{"zero cut: up to the last change", Cut{}, "Starmer", "2024-07-05", 2, []string{"May", "Johnson", "Truss", "Sunak", "Starmer"}},
		{"known at", Cut{KnownAt: day0("2022-10-30")}, "Sunak", "2022-10-25", 3, []string{"May", "Johnson", "Truss", "Sunak"}},
	}
	for _, tt := range tests {
		for _, rev := range []bool{false, true} {
			e := slices.Clone(evs)
			if rev {
				slices.Reverse(e)
			}
			s := NewSet(c)
			applyAll(t, s, e)
			o, ok := s.Leadership.Get("GBR", "prime_minister", tt.cut)
			if !ok {
				t.Fatalf("%s: no office", tt.name)
			}
			var hs []string
			for _, h := range o.Holders {
				hs = append(hs, h.Holder)
			}
			if o.Holder != tt.holder || o.Since.String() != tt.since || o.HoldersLast60d != tt.last60 || !slices.Equal(hs, tt.holders) {
				t.Errorf("%s (reverse=%v): %s since %s, %d in 60 days, %v", tt.name, rev, o.Holder, o.Since, o.HoldersLast60d, hs)
			}
		}
	}
	s := NewLeadership(c)
	for i := range evs {
		_ = s.Apply(&evs[i])
	}
	all := s.At(Cut{AsOf: day0("2022-10-30")})
	var keys []string
	for _, o := range all {
		keys = append(keys, o.Country+"/"+o.Office)
	}
	if !slices.Equal(keys, []string{"GBR/defence_secretary", "GBR/prime_minister", "JPN/prime_minister"}) {
		t.Errorf("offices %v", keys)
	}
	o := all[1]
	want := `{"country":"GBR","office":"prime_minister","holder":"Sunak","since":"2022-10-25","holders_last_60d":3,"holders":[` +
		`{"holder":"May","from":null,"to":"2019-07-24"},` +
		`{"holder":"Johnson","from":"2019-07-24","to":"2022-09-06","event":"johnson"},` +
		`{"holder":"Truss","from":"2022-09-06","to":"2022-10-25","event":"truss"},` +
		`{"holder":"Sunak","from":"2022-10-25","to":null,"event":"sunak"}]}`
	if got := mustJSON(t, o); got != want {
		t.Errorf("json\n got %s\nwant %s", got, want)
	}
	if len(s.Country("FRA", Cut{})) != 0 {
		t.Error("FRA has offices")
	}
	if _, ok := s.Get("GBR", "king", Cut{}); ok {
		t.Error("GBR has a king office")
	}
}

func TestLeadershipEdgeCases(t *testing.T) {
	c := events.NewCodec()
	evs := []events.Event{
		ev(t, c, "a", "2022-01", "", leader("ITA", "prime_minister", "", "Draghi")),
		ev(t, c, "b", "2022-01-15", "", leader("ITA", "prime_minister", "", "Draghi")), // a repeat
		ev(t, c, "c", "2022-10-22", "", leader("ITA", "prime_minister", "Draghi", "Meloni")),
		ev(t, c, "wrong", "2022-11-01", "", leader("ITA", "prime_minister", "Meloni", "Nobody")),
		ev(t, c, "r", "2022-11-02", "", &events.EventRetracted{Target: "wrong", Country: "ITA"}),
		ev(t, c, "fix", "2022-11-03", "", &events.EventCorrected{Target: "c", Country: "ITA", Data: []byte(`{"country":"ITA","office":"prime_minister","from":"Draghi","to":"Giorgia Meloni"}`)}),
	}
	s := NewSet(c)
	applyAll(t, s, evs)
	o, _ := s.Leadership.Get("ITA", "prime_minister", Cut{})
	if o.Holder != "Giorgia Meloni" || len(o.Holders) != 2 || o.Holders[0].From.String() != "2022-01" {
		t.Errorf("%+v", o)
	}
	o, _ = s.Leadership.Get("ITA", "prime_minister", Cut{KnownAt: day0("2022-11-01")})
	if o.Holder != "Nobody" || len(o.Holders) != 3 || o.HoldersLast60d != 3 {
		t.Errorf("before the retraction: %+v", o)
	}
	o, _ = s.Leadership.Get("ITA", "prime_minister", Cut{AsOf: day0("2022-01-10")})
	if o.Holder != "Draghi" || o.HoldersLast60d != 1 {
		t.Errorf("partial: %+v", o)
	}
	if _, ok := s.Leadership.Get("ITA", "prime_minister", Cut{AsOf: day0("2021-12-31")}); ok {
		t.Error("office before its first change")
	}
}
