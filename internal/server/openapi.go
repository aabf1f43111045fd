package server

import _ "embed"

// openAPISpec documents the HTTP API; a test checks the handlers' responses against it.
//
//go:embed openapi.yaml
var openAPISpec []byte
