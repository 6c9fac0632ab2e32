package interchange

import (
	"strings"
	"unicode"
)

type isoCountry struct {
	alpha3, alpha2, short string
	names                 []string
}

// nameAliases are common names, abbreviations and older names that the ISO
// list does not carry, as they appear in news text, ICEWS country columns
// and PLOVER actor names. Keys are compared after normalizeName.
var nameAliases = map[string]string{
	"uk": "GBR", "u.k.": "GBR", "britain": "GBR", "great britain": "GBR", "england": "GBR",
	"scotland": "GBR", "wales": "GBR", "northern ireland": "GBR", "united kingdom of great britain": "GBR",
	"us": "USA", "u.s.": "USA", "usa": "USA", "u.s.a.": "USA", "america": "USA",
	"united states of america": "USA", "the united states": "USA",
	"south korea": "KOR", "republic of korea": "KOR", "rok": "KOR", "korea south": "KOR",
	"north korea": "PRK", "dprk": "PRK", "korea north": "PRK",
	"russia": "RUS", "china": "CHN", "prc": "CHN", "mainland china": "CHN",
	"taiwan": "TWN", "republic of china": "TWN", "chinese taipei": "TWN",
	"iran": "IRN", "syria": "SYR", "laos": "LAO", "vietnam": "VNM", "viet nam": "VNM",
	"bolivia": "BOL", "venezuela": "VEN", "tanzania": "TZA", "moldova": "MDA",
	"czech republic": "CZE", "czechia": "CZE", "macedonia": "MKD", "north macedonia": "MKD",
	"former yugoslav republic of macedonia": "MKD", "swaziland": "SWZ", "eswatini": "SWZ",
	"burma": "MMR", "myanmar": "MMR", "ivory coast": "CIV", "cote divoire": "CIV",
	"turkey": "TUR", "turkiye": "TUR", "cape verde": "CPV", "east timor": "TLS", "timor leste": "TLS",
	"holland": "NLD", "the netherlands": "NLD", "vatican": "VAT", "vatican city": "VAT", "holy see": "VAT",
	"palestine": "PSE", "palestinian territories": "PSE", "occupied palestinian territory": "PSE",
	"palestinian territory": "PSE", "state of palestine": "PSE",
	"democratic republic of the congo": "COD", "democratic republic of congo": "COD", "dr congo": "COD",
	"drc": "COD", "congo kinshasa": "COD", "congo democratic republic of the": "COD",
	"congo democratic republic": "COD", "zaire": "COD",
	"republic of the congo": "COG", "republic of congo": "COG", "congo brazzaville": "COG",
	"brunei": "BRN", "micronesia": "FSM", "saint kitts nevis": "KNA", "st kitts and nevis": "KNA",
	"st lucia": "LCA", "st vincent and the grenadines": "VCT", "gambia the": "GMB", "the gambia": "GMB",
	"the bahamas": "BHS", "bahamas the": "BHS", "falkland islands": "FLK", "faeroe islands": "FRO",
	"macau": "MAC", "uae": "ARE", "emirates": "ARE", "kyrgyz republic": "KGZ", "slovak republic": "SVK",
	"sao tome": "STP", "bosnia": "BIH", "the philippines": "PHL", "philippines": "PHL",
	"kosovo": "XKX", "united states virgin islands": "VIR", "us virgin islands": "VIR",
	"aland islands": "ALA", "reunion": "REU", "curacao": "CUW", "saint barthelemy": "BLM",
}

// cameoCountryCodes are the 3-letter country codes of CAMEO (used by GDELT and
// ICEWS actor codes) that differ from ISO 3166-1 alpha-3.
var cameoCountryCodes = map[string]string{
	"ROM": "ROU", // Romania
	"TMP": "TLS", // East Timor
	"MTN": "MNE", // Montenegro
	"IMY": "IMN", // Isle of Man
	"KSV": "XKX", // Kosovo
	"ZAR": "COD", // Zaire (old ISO code)
}

var (
	byAlpha3 = map[string]*isoCountry{}
	byAlpha2 = map[string]string{}
	byName   = map[string]string{}
)

func init() {
	// Kosovo has no ISO 3166-1 code; XKX is the code the EU, the IMF and
	// most data sets use.
	all := append(isoCountries, isoCountry{"XKX", "XK", "Kosovo", nil})
	for i := range all {
		c := &all[i]
		byAlpha3[c.alpha3] = c
		byAlpha2[c.alpha2] = c.alpha3
		byName[normalizeName(c.short)] = c.alpha3
		for _, n := range c.names {
			byName[normalizeName(n)] = c.alpha3
		}
	}
	for n, code := range nameAliases {
		byName[normalizeName(n)] = code
	}
}

// CountryCode returns the ISO 3166-1 alpha-3 code of a country given by
// code or name: an alpha-3 code in any case ("jpn"), a CAMEO country code
// ("ROM" is ROU), an upper-case alpha-2 code ("GB"), an English name, common
// name or alias ("United Kingdom", "UK", "Britain", "Korea, Republic of",
// "South Korea", "Côte d'Ivoire"), or a compound CAMEO/GDELT/PLOVER actor
// code whose first three letters are a country ("JPNGOV", "GBRMIL",
// "USAGOVEXE"). Non-state actor codes ("IGOUNO", "NGO") and regions
// ("EUR") are not countries. Kosovo is XKX, the code most data sets use.
func CountryCode(nameOrCode string) (string, bool) {
	s := strings.TrimSpace(nameOrCode)
	if s == "" || len(s) > 200 {
		return "", false
	}
	if len(s) == 3 && isASCIILetters(s) {
		up := strings.ToUpper(s)
		if _, ok := byAlpha3[up]; ok {
			return up, true
		}
		if c, ok := cameoCountryCodes[up]; ok {
			return c, true
		}
	}
	if c, ok := byName[normalizeName(s)]; ok {
		return c, true
	}
	if len(s) == 2 && isUpperAlnum(s) {
		if c, ok := byAlpha2[s]; ok {
			return c, true
		}
	}
	// A compound code is a run of 3-letter codes: the length rule keeps
	// upper-case words such as "BELARUSIAN" from being read as BEL+...
	if len(s) >= 6 && len(s)%3 == 0 && isUpperAlnum(s) {
		head := s[:3]
		if _, ok := byAlpha3[head]; ok {
			return head, true
		}
		if c, ok := cameoCountryCodes[head]; ok {
			return c, true
		}
	}
	return "", false
}

// countryName returns the short English name of an alpha-3 code, or the
// code itself.
func countryName(code string) string {
	if c, ok := byAlpha3[code]; ok {
		return c.short
	}
	return code
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i] | 0x20
		if b < 'a' || b > 'z' {
			return false
		}
	}
	return true
}

func isUpperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if (b < 'A' || b > 'Z') && (b < '0' || b > '9') {
			return false
		}
	}
	return true
}

var foldAccents = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a",
	"é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i",
	"ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u",
	"ç", "c", "ñ", "n", "ý", "y",
)

// normalizeName lower-cases a name, folds common accents, drops '.', '\”
// and '’', turns other punctuation into spaces, collapses spaces and drops
// a leading "the ".
func normalizeName(s string) string {
	s = foldAccents.Replace(strings.ToLower(s))
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == '.' || r == '\'' || r == '’':
			continue
		case r == '&':
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString("and")
			space = true
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return strings.TrimPrefix(b.String(), "the ")
}
