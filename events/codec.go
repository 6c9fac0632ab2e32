package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Upcaster rewrites the JSON data of an older schema version into the next
// version's shape.
type Upcaster func(data []byte) ([]byte, error)

type typeInfo struct {
	newPayload func() Payload
	version    int
	upcasters  map[int]Upcaster // from version -> to version+1
}

// Codec maps event type names to payload types and converts payloads to
// JSON and back. It is built explicitly with NewCodec and passed to whoever
// decodes events; there is no global registry.
//
// A Codec is safe for concurrent use once built; Register must not be called
// concurrently with other methods.
type Codec struct {
	types map[string]typeInfo
}

// NewCodec returns a codec that knows every standard event type of accord
// at schema version 1.
func NewCodec() *Codec {
	c := &Codec{types: map[string]typeInfo{}}
	for _, f := range []func() Payload{
		func() Payload { return new(AgreementProposed) },
		func() Payload { return new(TalksOpened) },
		func() Payload { return new(TalksRoundHeld) },
		func() Payload { return new(TalksStalled) },
		func() Payload { return new(TalksResumed) },
		func() Payload { return new(AgreedInPrinciple) },
		func() Payload { return new(TextInitialled) },
		func() Payload { return new(AgreementSigned) },
		func() Payload { return new(DomesticApprovalCompleted) },
		func() Payload { return new(InstrumentsExchanged) },
		func() Payload { return new(EnteredIntoForce) },
		func() Payload { return new(ProvisionallyApplied) },
		func() Payload { return new(Suspended) },
		func() Payload { return new(Terminated) },
		func() Payload { return new(Abandoned) },
		func() Payload { return new(LeadershipChanged) },
		func() Payload { return new(ElectionHeld) },
		func() Payload { return new(GovernmentCollapsed) },
		func() Payload { return new(StatementIssued) },
		func() Payload { return new(ExpectationReported) },
		func() Payload { return new(EventRetracted) },
		func() Payload { return new(EventCorrected) },
		func() Payload { return new(PoliticalEvent) },
		func() Payload { return new(ScenarioSaved) },
	} {
		c.Register(f, 1, nil)
	}
	return c
}

// Register adds (or replaces) a payload type. newPayload must return a
// fresh pointer each call. version is the current schema version; upcasters
// maps each older version v to the function that turns v's data into v+1's.
func (c *Codec) Register(newPayload func() Payload, version int, upcasters map[int]Upcaster) {
	c.types[newPayload().EventType()] = typeInfo{newPayload: newPayload, version: version, upcasters: upcasters}
}

// Types returns the known type names, sorted.
func (c *Codec) Types() []string {
	out := make([]string, 0, len(c.types))
	for t := range c.types {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Knows reports whether typ is a registered type.
func (c *Codec) Knows(typ string) bool {
	_, ok := c.types[typ]
	return ok
}

// SchemaVersion returns the current schema version of typ (0 if unknown).
func (c *Codec) SchemaVersion(typ string) int { return c.types[typ].version }

// New returns a fresh, empty payload of typ, or an ErrInvalid error naming
// the unknown type.
func (c *Codec) New(typ string) (Payload, error) {
	ti, ok := c.types[typ]
	if !ok {
		return nil, c.unknownType(typ)
	}
	return ti.newPayload(), nil
}

func (c *Codec) unknownType(typ string) error {
	if typ == "" {
		return invalid("type", "is required")
	}
	return invalid("type", "unknown event type %q (known: %s)", clip(typ), strings.Join(c.Types(), ", "))
}

// Encode returns the JSON of p, exactly as json.Marshal writes it. The
// built-in payload types are written without reflection (see
// payloads_json.go); other types, and the rare values of built-in types
// that json.Marshal must judge itself, go through encoding/json.
func (c *Codec) Encode(p Payload) ([]byte, error) {
	if p == nil {
		return nil, invalid("data", "is required")
	}
	if b, ok := encodeBuiltin(p); ok {
		return b, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", p.EventType(), err)
	}
	return b, nil
}

// AppendEncode appends the JSON of p, as Encode returns it, to b and
// returns the extended buffer: callers that encode many payloads can give
// them one buffer.
func (c *Codec) AppendEncode(b []byte, p Payload) ([]byte, error) {
	if p == nil {
		return b, invalid("data", "is required")
	}
	if out, ok := appendPayload(b, p); ok {
		return out, nil
	}
	enc, err := c.Encode(p)
	if err != nil {
		return b, err
	}
	return append(b, enc...), nil
}

// encodeBuiltin is the fast path of Encode for the built-in payload types:
// it returns what json.Marshal(p) returns, or false when p is of another
// type or json.Marshal must handle it (see appendPayload). It writes into a
// buffer on the stack (which a large payload outgrows) and copies the
// result out in one allocation.
func encodeBuiltin(p Payload) ([]byte, bool) {
	var buf [512]byte
	b, ok := appendPayload(buf[:0], p)
	if !ok {
		return nil, false
	}
	return bytes.Clone(b), true
}

// Decode turns data of typ at schemaVersion into a payload, strictly:
// unknown fields and wrong types are *FieldError values naming the field
// under "data". It upcasts older schema versions first. It does not run
// Validate.
func (c *Codec) Decode(typ string, schemaVersion int, data []byte) (Payload, error) {
	return c.decode(typ, schemaVersion, data, true)
}

// DecodeStored is Decode without the strict checks, for data that was
// validated when it was appended; it is the fast path for replays. It gives
// what json.Unmarshal gives. Data of a built-in type in the plain shape
// that Encode writes is read without reflection; anything else (see
// jsonread.go) goes through encoding/json.
func (c *Codec) DecodeStored(typ string, schemaVersion int, data []byte) (Payload, error) {
	return c.decode(typ, schemaVersion, data, false)
}

func (c *Codec) decode(typ string, schemaVersion int, data []byte, strict bool) (Payload, error) {
	ti, ok := c.types[typ]
	if !ok {
		return nil, c.unknownType(typ)
	}
	if schemaVersion == 0 {
		schemaVersion = ti.version
	}
	if schemaVersion > ti.version {
		return nil, invalid("schema_version", "%d is newer than this program knows for %s (%d)", schemaVersion, typ, ti.version)
	}
	for v := schemaVersion; v < ti.version; v++ {
		up := ti.upcasters[v]
		if up == nil {
			return nil, invalid("schema_version", "no upcaster for %s from version %d", typ, v)
		}
		var err error
		if data, err = up(data); err != nil {
			return nil, prefixField("data", fmt.Errorf("upcast %s v%d: %w", typ, v, err))
		}
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, invalid("data", "must be a JSON object")
	}
	p := ti.newPayload()
	if !strict {
		if decodePayload(p, data) {
			return p, nil
		}
		p = ti.newPayload() // the fast path may have filled some fields
		if err := json.Unmarshal(data, p); err != nil {
			return nil, fmt.Errorf("decode stored %s: %w", typ, err)
		}
		return p, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, dataError(data, err)
	}
	if dec.More() {
		return nil, invalid("data", "has trailing content after the object")
	}
	if err := checkKeys(data, "data"); err != nil {
		return nil, err
	}
	return p, nil
}

// dataError turns encoding/json's errors into FieldErrors under "data".
func dataError(data []byte, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		f := "data"
		if jf := jsonField(te.Field); jf != "" {
			f += "." + jf
		}
		return typeError(f, te)
	case errors.As(err, &se):
		return invalid("data", "is not valid JSON: %v", err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid("data."+name, "is not a field of this event type")
	}
	// A custom unmarshaller (a Date) failed: find the field whose value it was.
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) == nil {
		keys := make([]string, 0, len(top))
		for k := range top {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			var s string
			if json.Unmarshal(top[k], &s) == nil && strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				return invalid("data."+k, "%v", err)
			}
		}
	}
	return invalid("data", "%v", err)
}

// typeError describes a JSON value of the wrong type for field. A number
// that does not fit the field (1e400, or 2.5 where a whole number is
// wanted) is the right type but the wrong value, and is said so.
func typeError(field string, te *json.UnmarshalTypeError) error {
	kind := jsonKind(te.Type.String())
	if num, ok := strings.CutPrefix(te.Value, "number "); ok && kind == "a number" {
		return invalid(field, "%s is out of range or not a whole number", clip(num))
	}
	return invalid(field, "must be %s, not a JSON %s", kind, te.Value)
}

func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "float"), strings.HasPrefix(goType, "uint"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "map"), strings.HasPrefix(goType, "struct"), strings.HasPrefix(goType, "events."):
		return "an object or value of type " + goType
	}
	return goType
}

// jsonField drops the Go names of embedded structs from a field path that
// encoding/json reports ("AgreementRef.parties" is "parties").
func jsonField(path string) string {
	parts := strings.Split(path, ".")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && p[0] >= 'A' && p[0] <= 'Z' {
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, ".")
}
