// Package httpapi is accord's HTTP interface: a JSON API over the event log
// and its projections, an OpenAPI 3 document describing it, Prometheus
// metrics, health and readiness probes, and an embedded web page (no build
// step) with the agreements, their timelines, the network of countries and
// scenario charts.
//
// # Design
//
// Handlers depend on small interfaces declared here, on the consumer side:
// Log (reads and appends), Views (the projections folded to the log's head,
// see LiveSet), ProjectionStatus (how far the read-model tables lag behind
// the log) and Scenarios (the what-if engine; nil makes its endpoints answer
// 501 Not Implemented).
//
// Errors are JSON, {"error": {"kind": "...", "message": "..."}}, with the
// status from events.KindOf(err).HTTPStatus(), the one mapping from error
// kinds to statuses. Internal and unavailable errors are logged with their
// details and answered with a generic message. Invalid input names the
// field; a version conflict gives the stream's expected and actual versions.
//
// # Security
//
// Reads are open; writes (POST /v1/events) need "Authorization: Bearer
// <token>". With no token configured, writes are refused with 403 and a
// message saying how to enable them; a missing or wrong token is 401.
// Request bodies are limited (Config.MaxBodyBytes); no CORS headers are sent
// unless origins are configured. RunService listens on loopback unless told
// otherwise and sets read, write and idle timeouts.
package httpapi
