package projections

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/accord-dev/accord/events"
)

// Network is the projection of the agreement network: countries are nodes,
// agreements are edges. It is derived from the agreements' states at the
// cut, so it consumes what Agreements consumes.
//
// Which agreements are edges: those at stage negotiating or later
// (negotiating, stalled, agreed_in_principle, signed, approved,
// provisionally_applied, in_force, suspended). Proposals nobody has taken
// up, and agreements abandoned or terminated, are not edges. See InNetwork.
//
// Not safe for concurrent use.
type Network struct{ x *core }

// NewNetwork returns an empty projection. codec decodes the replacement
// data of corrections; nil means events.NewCodec().
func NewNetwork(codec *events.Codec) *Network { return &Network{x: newCore(codec, needAgreements)} }

// Apply adds one event; see Set.Apply for the contract.
func (n *Network) Apply(e *events.Event) error { return n.x.apply(e) }

// InNetwork reports whether an agreement at stage s is an edge of the
// network.
func InNetwork(s Stage) bool {
	switch s {
	case StageNone, StageProposed, StageAbandoned, StageTerminated:
		return false
	}
	return true
}

// NetworkState is the network at a cut.
type NetworkState struct {
	// Nodes are the countries that are party to at least one edge, hubs
	// first: by betweenness descending, then degree descending, then code.
	Nodes []Node `json:"nodes"`
	// Edges has one edge per pair of parties of each agreement in the
	// network (a multilateral agreement of n parties gives n(n-1)/2),
	// sorted by a, b, agreement; a < b.
	Edges []Edge `json:"edges"`
}

// Node is one country.
type Node struct {
	Country string `json:"country"`
	// Degree is the number of distinct partner countries.
	Degree int `json:"degree"`
	// Betweenness is the betweenness centrality of the country in the
	// undirected simple graph of partners (Brandes' algorithm), normalized
	// to [0,1] by 2/((n-1)(n-2)) for n nodes (0 when n < 3), rounded to 6
	// decimals.
	Betweenness float64 `json:"betweenness"`
	// Agreements counts the agreements in the network the country is party
	// to.
	Agreements int `json:"agreements"`
}

// Edge is one pair of parties of one agreement.
type Edge struct {
	A         string `json:"a"`
	B         string `json:"b"`
	Agreement string `json:"agreement"`
	Stage     Stage  `json:"stage"`
}

// At returns the network at cut.
func (n *Network) At(cut Cut) NetworkState {
	n.x.settle()
	var edges []Edge
	count := map[string]int{}
	for _, si := range n.x.sortedStreams(agreementStream) {
		a := n.x.agreementFold(n.x.streams[si], cut)
		if !a.present || !InNetwork(a.stage) {
			continue
		}
		for i, p := range a.parties {
			count[p]++
			for _, q := range a.parties[i+1:] {
				edges = append(edges, Edge{A: p, B: q, Agreement: a.id, Stage: a.stage})
			}
		}
	}
	return buildNetwork(edges, count)
}

// buildNetwork sorts the edges and computes the nodes. count is the number
// of agreements per country.
func buildNetwork(edges []Edge, count map[string]int) NetworkState {
	slices.SortFunc(edges, func(x, y Edge) int {
		return cmp.Or(strings.Compare(x.A, y.A), strings.Compare(x.B, y.B), strings.Compare(x.Agreement, y.Agreement))
	})
	var codes []string
	for _, e := range edges {
		codes = append(codes, e.A, e.B)
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	index := make(map[string]int, len(codes))
	for i, c := range codes {
		index[c] = i
	}
	adj := make([][]int, len(codes))
	for _, e := range edges {
		a, b := index[e.A], index[e.B]
		if !slices.Contains(adj[a], b) {
			adj[a] = append(adj[a], b)
			adj[b] = append(adj[b], a)
		}
	}
	for _, l := range adj {
		slices.Sort(l)
	}
	bc := betweenness(adj)
	nodes := make([]Node, len(codes))
	for i, c := range codes {
		nodes[i] = Node{Country: c, Degree: len(adj[i]), Betweenness: bc[i], Agreements: count[c]}
	}
	slices.SortFunc(nodes, func(x, y Node) int {
		return cmp.Or(cmp.Compare(y.Betweenness, x.Betweenness), cmp.Compare(y.Degree, x.Degree), strings.Compare(x.Country, y.Country))
	})
	if edges == nil {
		edges = []Edge{}
	}
	return NetworkState{Nodes: nodes, Edges: edges}
}

// betweenness is Brandes' algorithm for an unweighted undirected graph
// given as sorted adjacency lists, normalized by 2/((n-1)(n-2)) and rounded
// to 6 decimals. Each pair is counted from both ends, so the raw sums are
// halved first: the factor applied is 1/((n-1)(n-2)).
func betweenness(adj [][]int) []float64 {
	n := len(adj)
	cb := make([]float64, n)
	if n < 3 {
		return cb
	}
	sigma := make([]float64, n)
	dist := make([]int, n)
	delta := make([]float64, n)
	pred := make([][]int, n)
	stack := make([]int, 0, n)
	queue := make([]int, 0, n)
	for s := 0; s < n; s++ {
		for i := range n {
			sigma[i], dist[i], delta[i], pred[i] = 0, -1, 0, pred[i][:0]
		}
		sigma[s], dist[s] = 1, 0
		stack, queue = stack[:0], append(queue[:0], s)
		for h := 0; h < len(queue); h++ {
			v := queue[h]
			stack = append(stack, v)
			for _, w := range adj[v] {
				if dist[w] < 0 {
					dist[w] = dist[v] + 1
					queue = append(queue, w)
				}
				if dist[w] == dist[v]+1 {
					sigma[w] += sigma[v]
					pred[w] = append(pred[w], v)
				}
			}
		}
		for i := len(stack) - 1; i >= 0; i-- {
			w := stack[i]
			for _, v := range pred[w] {
				delta[v] += sigma[v] / sigma[w] * (1 + delta[w])
			}
			if w != s {
				cb[w] += delta[w]
			}
		}
	}
	f := 1 / float64((n-1)*(n-2))
	for i := range cb {
		cb[i] = math.Round(cb[i]*f*1e6) / 1e6
	}
	return cb
}
