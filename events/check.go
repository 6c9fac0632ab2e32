package events

import "strings"

// Hand-written checks of the identifier syntaxes of accord. Each accepts
// exactly the strings that the regular expression in its comment matches
// (anchored at both ends, as with regexp.MatchString); the tests compare
// them with those expressions. Bytes outside ASCII never match.

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isLower(c) || isUpper(c) || isDigit(c) }

// validID: ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$ (event, correlation and
// causation ids).
func validID(s string) bool {
	if len(s) == 0 || len(s) > 128 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '_' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}

// validStream: ^[a-z][a-z_]*/[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ (a stream
// name: kind/name).
func validStream(s string) bool {
	kind, name, ok := strings.Cut(s, "/")
	if !ok || kind == "" || !isLower(kind[0]) {
		return false
	}
	for i := 1; i < len(kind); i++ {
		if c := kind[i]; !isLower(c) && c != '_' {
			return false
		}
	}
	if len(name) == 0 || len(name) > 128 || !isAlnum(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// validSlug: ^[a-z0-9]+(-[a-z0-9]+)*$ (agreement ids and scenario names):
// lower-case letters and digits in groups joined by single hyphens.
func validSlug(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			if s[i-1] == '-' {
				return false
			}
			continue
		}
		if !isLower(c) && !isDigit(c) {
			return false
		}
	}
	return true
}

// validCountry: ^[A-Z]{3}$ (an ISO 3166 alpha-3 code).
func validCountry(s string) bool {
	return len(s) == 3 && isUpper(s[0]) && isUpper(s[1]) && isUpper(s[2])
}

// validSnake: ^[a-z][a-z0-9_]*$ (offices and agreement kinds).
func validSnake(s string) bool {
	if s == "" || !isLower(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLower(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}
