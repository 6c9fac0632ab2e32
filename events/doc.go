// Package events is accord's vocabulary: the event envelope, the typed
// payloads of every event type, the partial dates events are dated with,
// the codec that turns payloads into bytes and back, the wire format used
// for import and export, the Log contract that every store implements, and
// the error kinds shared by the whole program.
//
// The package imports only the standard library. It holds no package-level
// mutable state: a Codec is built with NewCodec and passed explicitly to
// whoever needs to decode events.
package events
