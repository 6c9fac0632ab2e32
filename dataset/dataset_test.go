package dataset_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/accord-dev/accord/dataset"
	"github.com/accord-dev/accord/events"
)

func TestHistoryParsesAndIsBigEnough(t *testing.T) {
	evs, err := dataset.History(events.NewCodec())
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < 150 {
		t.Errorf("%d events, want at least 150", len(evs))
	}
	agreements := map[string]bool{}
	ids := map[string]bool{}
	for i := range evs {
		e := &evs[i]
		if ids[e.ID] {
			t.Errorf("event %d: id %s twice", i+1, e.ID)
		}
		ids[e.ID] = true
		if lc, ok := e.Data.(events.Lifecycle); ok {
			id := lc.Ref().Agreement
			if !agreements[id] {
				if len(lc.Ref().Parties) < 2 {
					t.Errorf("first event of %s has no parties", id)
				}
				want := strings.ToLower(strings.Join(slices.Sorted(slices.Values(lc.Ref().Parties)), "-")) + "-" + lc.Ref().Kind
				if id != want {
					t.Errorf("agreement id %s, want %s from its parties and kind", id, want)
				}
			}
			agreements[id] = true
		}
	}
	if len(agreements) < 25 {
		t.Errorf("%d agreements, want at least 25", len(agreements))
	}
	for _, id := range []string{"aus-jpn-raa", "gbr-jpn-raa", "jpn-phl-raa", "gbr-ita-jpn-gcap"} {
		if !agreements[id] {
			t.Errorf("missing %s", id)
		}
	}
}
