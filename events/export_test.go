package events

// Internals exported to the tests of package events_test.

// EncodeFast is the fast path of Codec.Encode alone: the JSON of p and
// true, or false when p takes the encoding/json path.
func EncodeFast(p Payload) ([]byte, bool) { return encodeBuiltin(p) }

// DecodeFast is the fast path of Codec.DecodeStored alone: it fills p (a
// fresh payload) from data and reports true, or reports false when the
// data takes the encoding/json path (p may then be partly filled).
func DecodeFast(p Payload, data []byte) bool { return decodePayload(p, data) }
