package projections

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/accord-dev/accord/events"
)

// graph builds adjacency lists from "a-b" edges over nodes named by single
// letters, sorted.
func graph(edges ...string) ([]string, [][]int) {
	var names []string
	for _, e := range edges {
		a, b, _ := strings.Cut(e, "-")
		names = append(names, a, b)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	adj := make([][]int, len(names))
	for _, e := range edges {
		a, b, _ := strings.Cut(e, "-")
		i, _ := slices.BinarySearch(names, a)
		j, _ := slices.BinarySearch(names, b)
		adj[i] = append(adj[i], j)
		adj[j] = append(adj[j], i)
	}
	for _, l := range adj {
		slices.Sort(l)
	}
	return names, adj
}

func TestBetweenness(t *testing.T) {
	tests := []struct {
		name  string
		edges []string
		want  map[string]float64
	}{
		{"star", []string{"c-a", "c-b", "c-d", "c-e"}, map[string]float64{"c": 1, "a": 0, "b": 0, "d": 0, "e": 0}},
		{"path of three", []string{"a-b", "b-c"}, map[string]float64{"a": 0, "b": 1, "c": 0}},
		{"path of four", []string{"a-b", "b-c", "c-d"}, map[string]float64{"a": 0, "b": 0.666667, "c": 0.666667, "d": 0}},
		{"triangle", []string{"a-b", "b-c", "a-c"}, map[string]float64{"a": 0, "b": 0, "c": 0}},
		// a square: each node is on one of the two shortest paths between
		// its neighbours: 2 pairs x 1/2, normalized by 2/(3*2)
		{"cycle of four", []string{"a-b", "b-c", "c-d", "d-a"}, map[string]float64{"a": 0.166667, "b": 0.166667, "c": 0.166667, "d": 0.166667}},
		// two triangles joined at c (the bowtie): c is on all 4 cross pairs
		{"bowtie", []string{"a-b", "a-c", "b-c", "c-d", "c-e", "d-e"}, map[string]float64{"a": 0, "b": 0, "c": 0.666667, "d": 0, "e": 0}},
		{"pair", []string{"a-b"}, map[string]float64{"a": 0, "b": 0}},
	}
	for _, tt := range tests {
		names, adj := graph(tt.edges...)
		got := betweenness(adj)
		for i, n := range names {
			if got[i] != tt.want[n] {
				t.Errorf("%s: %s = %v, want %v", tt.name, n, got[i], tt.want[n])
			}
		}
	}
}

func TestNetwork(t *testing.T) {
	c := events.NewCodec()
	at := func(id, typ, occ string, parties ...string) events.Event {
		return ev(t, c, id+"-"+occ, occ, "", lifecycle(t, typ, ref(id, parties...)))
	}
	evs := []events.Event{
		at("aus-jpn-raa", events.TypeEnteredIntoForce, "2023-08-13", "AUS", "JPN"),
		at("gbr-jpn-raa", events.TypeAgreementSigned, "2023-01-11", "GBR", "JPN"),
		at("jpn-phl-raa", events.TypeTalksOpened, "2023-11-03", "JPN", "PHL"),
		at("aus-phl-sofa", events.TypeEnteredIntoForce, "2012-09-14", "AUS", "PHL"),
		at("fra-jpn-raa", events.TypeAgreementProposed, "2024-01-01", "FRA", "JPN"), // only proposed: no edge
		at("ind-jpn-x", events.TypeTalksOpened, "2020-01-01", "IND", "JPN"),
		at("ind-jpn-x", events.TypeAbandoned, "2021-01-01", "IND", "JPN"), // abandoned: no edge
		at("gbr-ita-jpn-gcap", events.TypeAgreementSigned, "2023-12-14", "GBR", "ITA", "JPN"),
	}
	s := NewSet(c)
	applyAll(t, s, evs)
	n := s.Network.At(Cut{})
	var edges []string
	for _, e := range n.Edges {
		edges = append(edges, fmt.Sprintf("%s-%s:%s:%s", e.A, e.B, e.Agreement, e.Stage))
	}
	want := []string{
		"AUS-JPN:aus-jpn-raa:in_force",
		"AUS-PHL:aus-phl-sofa:in_force",
		"GBR-ITA:gbr-ita-jpn-gcap:signed",
		"GBR-JPN:gbr-ita-jpn-gcap:signed",
		"GBR-JPN:gbr-jpn-raa:signed",
		"ITA-JPN:gbr-ita-jpn-gcap:signed",
		"JPN-PHL:jpn-phl-raa:negotiating",
	}
	if !slices.Equal(edges, want) {
		t.Errorf("edges\n got %v\nwant %v", edges, want)
	}
	// Nodes: n=5; JPN is on the only shortest paths of GBR-AUS, GBR-PHL,
	// ITA-AUS and ITA-PHL (AUS-PHL and GBR-ITA are adjacent): 4*2/(4*3).
	var nodes []string
	for _, nd := range n.Nodes {
		nodes = append(nodes, fmt.Sprintf("%s:%d:%v:%d", nd.Country, nd.Degree, nd.Betweenness, nd.Agreements))
	}
	wantNodes := []string{"JPN:4:0.666667:4", "AUS:2:0:2", "GBR:2:0:2", "ITA:2:0:1", "PHL:2:0:2"}
	if !slices.Equal(nodes, wantNodes) {
		t.Errorf("nodes\n got %v\nwant %v", nodes, wantNodes)
	}
	// Before 2013 only the Australia-Philippines SOFA exists.
	n = s.Network.At(Cut{AsOf: day0("2013-01-01")})
	if len(n.Edges) != 1 || len(n.Nodes) != 2 || n.Nodes[0].Country != "AUS" {
		t.Errorf("2013: %+v", n)
	}
	n = s.Network.At(Cut{AsOf: day0("1990-01-01")})
	if got := mustJSON(t, n); got != `{"nodes":[],"edges":[]}` {
		t.Errorf("empty network json %s", got)
	}
	if !InNetwork(StageSuspended) || InNetwork(StageProposed) || InNetwork(StageTerminated) {
		t.Error("InNetwork")
	}
	// JSON names.
	js := mustJSON(t, s.Network.At(Cut{AsOf: day0("2013-01-01")}))
	if js != `{"nodes":[{"country":"AUS","degree":1,"betweenness":0,"agreements":1},{"country":"PHL","degree":1,"betweenness":0,"agreements":1}],"edges":[{"a":"AUS","b":"PHL","agreement":"aus-phl-sofa","stage":"in_force"}]}` {
		t.Errorf("json %s", js)
	}
}
