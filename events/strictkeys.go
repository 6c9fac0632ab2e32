package events

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// checkKeys enforces what encoding/json does not: that object keys match
// field names exactly and appear once. encoding/json matches keys without
// regard to case ("Type" sets type) and lets a later duplicate overwrite an
// earlier one, so {"agreement":"a","Agreement":"b"} would be read as "b"
// here and as "a" by a case-sensitive reader of the same line: two readers
// of one event would disagree. Every field name of the wire format is
// lower case, and no part of an event is a free-form map, so a key with an
// upper-case letter is not a field.
//
// under is the field path of the value (e.g. "data"), prefixed to the
// field named in the error. Input that is not valid JSON passes: the
// decoder reports it.
func checkKeys(b []byte, under string) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		object bool
		path   string
		index  int             // arrays: the next element's index
		keys   map[string]bool // objects: the keys seen
		key    bool            // objects: the next token is a key
	}
	var stack []*frame
	join := func(parent, name string) string {
		if parent == "" {
			return name
		}
		return parent + "." + name
	}
	// childPath returns the path of the value about to be read in the
	// innermost container (and advances an array's index).
	childPath := func() string {
		if len(stack) == 0 {
			return under
		}
		f := stack[len(stack)-1]
		if f.object {
			return f.path
		}
		p := f.path + "[" + strconv.Itoa(f.index) + "]"
		f.index++
		return p
	}
	pending := under // path of the next value of the innermost object
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // end of input, or a syntax error the decoder reports
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k, _ := tok.(string)
			field := join(top.path, k)
			if k != strings.ToLower(k) {
				return invalid(field, "is not a field (field names are lower case: %s)", strings.ToLower(k))
			}
			if top.keys[k] {
				return invalid(field, "appears twice in one object")
			}
			top.keys[k] = true
			top.key = false
			pending = field
			continue
		}
		path := pending
		if top == nil || !top.object {
			path = childPath()
		}
		if top != nil && top.object {
			top.key = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, path: path, keys: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: path})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}
