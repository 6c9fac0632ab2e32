package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPI is the OpenAPI 3 document of the API, written by hand; a test
// validates it and every endpoint's real responses against it.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns a copy of the OpenAPI 3 document served at /openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

// getOpenAPI serves the OpenAPI document.
func (s *Server) getOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(openAPI)
}
