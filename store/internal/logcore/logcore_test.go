package logcore_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/accord-dev/accord/events"
	"github.com/accord-dev/accord/store/internal/logcore"
	"github.com/accord-dev/accord/store/storetest"
)

func prepare(t *testing.T, g *storetest.Gen, stream string, exp events.ExpectedVersion, n int) *logcore.Request {
	t.Helper()
	r, err := logcore.Prepare(events.NewCodec(), stream, exp, g.Events(stream, n))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestBatchPlan checks the planning of a batch of several requests, as a
// group-commit writer would submit: later requests see the versions of
// earlier ones, a conflict skips only its request, positions stay
// contiguous.
func TestBatchPlan(t *testing.T) {
	g := storetest.NewGen("b")
	a, c := storetest.AgreementStream("a"), storetest.CountryStream("GBR")
	reqs := []*logcore.Request{
		prepare(t, g, a, events.Exact(3), 2), // a: 4, 5
		prepare(t, g, c, events.NoStream, 1), // c: 1
		prepare(t, g, a, events.Exact(3), 1), // conflict: a is at 5 by now
		prepare(t, g, a, events.Exact(5), 2), // a: 6, 7
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	p := logcore.MakePlan(reqs, map[string]int64{a: 3}, 10, now)
	if p.Head != 15 || len(p.Rows) != 5 || !reflect.DeepEqual(p.Streams, map[string]int64{a: 7, c: 1}) {
		t.Fatalf("plan: head %d, %d rows, streams %v", p.Head, len(p.Rows), p.Streams)
	}
	want := []struct{ pos, ver []int64 }{
		{[]int64{11, 12}, []int64{4, 5}},
		{[]int64{13}, []int64{1}},
		{nil, nil},
		{[]int64{14, 15}, []int64{6, 7}},
	}
	for i, r := range reqs {
		if i == 2 {
			var ce *events.ConflictError
			if !errors.As(r.Err, &ce) || ce.Actual != 5 || ce.Expected != events.Exact(3) {
				t.Errorf("request 2: err %v, want a conflict at actual 5", r.Err)
			}
			continue
		}
		if r.Err != nil || !reflect.DeepEqual(r.Result.Positions, want[i].pos) || !reflect.DeepEqual(r.Result.Versions, want[i].ver) {
			t.Errorf("request %d: %+v, %v; want positions %v versions %v", i, r.Result, r.Err, want[i].pos, want[i].ver)
		}
		for _, e := range r.Events {
			if !e.RecordedAt.Equal(now) {
				t.Errorf("request %d: RecordedAt %s", i, e.RecordedAt)
			}
		}
	}
}

func TestResolveDuplicates(t *testing.T) {
	g := storetest.NewGen("d")
	s := storetest.AgreementStream("d")
	all := prepare(t, g, s, events.NoStream, 2)
	some := prepare(t, g, s, events.Any, 2)
	none := prepare(t, g, s, events.Any, 1)
	found := map[string]logcore.Stored{
		all.Events[0].ID:  {Position: 7, Version: 1},
		all.Events[1].ID:  {Position: 8, Version: 2},
		some.Events[1].ID: {Position: 9, Version: 3},
	}
	if !logcore.ResolveDuplicates([]*logcore.Request{all, some, none}, found) {
		t.Fatal("no request left to write")
	}
	if !all.Done || all.Err != nil || all.Result.Duplicates != 2 || !reflect.DeepEqual(all.Result.Positions, []int64{7, 8}) {
		t.Errorf("all duplicates: %+v %v", all.Result, all.Err)
	}
	if !some.Done || !errors.Is(some.Err, events.ErrInvalid) {
		t.Errorf("some duplicates: err %v, want ErrInvalid", some.Err)
	}
	if none.Done {
		t.Errorf("new request marked done")
	}
}

func TestRecordedAt(t *testing.T) {
	last := time.Date(2030, 1, 1, 0, 0, 0, 5000, time.UTC)
	if got := logcore.RecordedAt(last.Add(-time.Hour), last); !got.Equal(last) {
		t.Errorf("clock behind: %s, want %s", got, last)
	}
	jst := time.FixedZone("JST", 9*3600)
	now := time.Date(2030, 1, 1, 9, 0, 1, 123456789, jst)
	got := logcore.RecordedAt(now, last)
	if got.Location() != time.UTC || got.Nanosecond() != 123456000 || !got.Equal(now.Truncate(time.Microsecond)) {
		t.Errorf("RecordedAt = %s", got)
	}
}
