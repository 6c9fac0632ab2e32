package interchange

import (
	"fmt"
	"strconv"
	"strings"
)

type cameoCode struct {
	goldstein    float64
	hasGoldstein bool
	description  string
}

var cameoEvents = map[string]cameoCode{}

func init() {
	for _, line := range strings.Split(strings.TrimSpace(cameoTable), "\n") {
		parts := strings.SplitN(line, "|", 3)
		c := cameoCode{description: parts[2]}
		if parts[1] != "" {
			g, err := strconv.ParseFloat(parts[1], 64)
			if err != nil {
				panic("interchange: bad Goldstein score in cameoTable: " + line)
			}
			c.goldstein, c.hasGoldstein = g, true
		}
		cameoEvents[parts[0]] = c
	}
}

// Goldstein returns the Goldstein conflict-cooperation score (-10 to +10)
// of a CAMEO event code, as in GDELT's CAMEO.goldsteinscale.txt, and
// whether the code has one. The code is normalized first (see
// normalizeCAMEO): "57" and "057" are the same code.
func Goldstein(code string) (float64, bool) {
	c, err := normalizeCAMEO(code)
	if err != nil {
		return 0, false
	}
	e := cameoEvents[c]
	return e.goldstein, e.hasGoldstein
}

// cameoDescription returns the CAMEO description of a normalized code.
func cameoDescription(code string) string { return cameoEvents[code].description }

// normalizeCAMEO checks a CAMEO event code and restores the leading zero
// that spreadsheets drop ("57" is 057, "311" is 0311, "57.0" is 057).
func normalizeCAMEO(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("is required (a CAMEO event code such as 057)")
	}
	s = strings.TrimSuffix(s, ".0")
	if len(s) > 4 || strings.Trim(s, "0123456789") != "" {
		return "", fmt.Errorf("%q is not a CAMEO event code", clip(raw))
	}
	v, _ := strconv.Atoi(s)
	switch len(s) {
	case 1:
		s = "0" + s
	case 2:
		if v > 20 {
			s = "0" + s
		}
	case 3:
		if v > 204 {
			s = "0" + s
		}
	}
	if _, ok := cameoEvents[s]; !ok {
		return "", fmt.Errorf("%q is not a CAMEO event code", clip(raw))
	}
	return s, nil
}

// The PLOVER event categories accepted on input: the 16 of PLOVER 2022 as
// POLECAT codes them, and the older names of the PLOVER drafts.
var ploverEvents = map[string]string{
	"AGREE": "AGREE", "CONSULT": "CONSULT", "SUPPORT": "SUPPORT", "CONCEDE": "CONCEDE",
	"COOPERATE": "COOPERATE", "AID": "AID", "RETREAT": "RETREAT", "REQUEST": "REQUEST",
	"ACCUSE": "ACCUSE", "REJECT": "REJECT", "THREATEN": "THREATEN", "PROTEST": "PROTEST",
	"SANCTION": "SANCTION", "MOBILIZE": "MOBILIZE", "COERCE": "COERCE", "ASSAULT": "ASSAULT",
	// Older drafts.
	"COOPERATION": "COOPERATE", "DEMAND": "DEMAND", "DISAPPROVE": "DISAPPROVE",
	"INVESTIGATE": "INVESTIGATE", "FIGHT": "FIGHT", "MOBILISE": "MOBILIZE",
}

// ploverScores are the "Schrodt scores" of the PLOVER manual: the
// frequency-weighted mean Goldstein score of each category.
var ploverScores = map[string]float64{
	"ASSAULT": -9.3, "COERCE": -7.2, "PROTEST": -6.6, "MOBILIZE": -5.3, "SANCTION": -5.2,
	"THREATEN": -5.1, "DEMAND": -5.0, "REJECT": -4.2, "ACCUSE": -2.0, "INVESTIGATE": -2.0,
	"DISAPPROVE": -2.0, "CONSULT": 2.1, "AGREE": 4.2, "SUPPORT": 4.6, "CONCEDE": 5.0,
	"COOPERATE": 6.8, "AID": 7.4, "RETREAT": 7.6,
}

// ploverOfCAMEO returns the PLOVER category of a normalized CAMEO code, by
// its cue category (PLOVER manual, "CAMEO to PLOVER translation"), or ""
// for statements (01), which PLOVER does not code. Appeals (02) and demands
// (10) are REQUEST, as in POLECAT.
func ploverOfCAMEO(code string) string {
	if len(code) < 2 {
		return ""
	}
	switch code[:2] {
	case "02", "10":
		return "REQUEST"
	case "03":
		return "AGREE"
	case "04":
		return "CONSULT"
	case "05":
		return "SUPPORT"
	case "06":
		return "COOPERATE"
	case "07":
		return "AID"
	case "08":
		if len(code) >= 3 && code[2] >= '4' {
			return "RETREAT"
		}
		return "CONCEDE"
	case "09", "11":
		return "ACCUSE"
	case "12":
		return "REJECT"
	case "13":
		return "THREATEN"
	case "14":
		return "PROTEST"
	case "15":
		return "MOBILIZE"
	case "16":
		return "SANCTION"
	case "17":
		return "COERCE"
	case "18", "19", "20":
		return "ASSAULT"
	}
	return ""
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
