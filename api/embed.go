// Package api holds Modelry's REST contract, api/openapi.yaml, embedded so
// the server can serve it and tests can check every route against it.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3 document of the /api/v1 REST API.
//
//go:embed openapi.yaml
var OpenAPI []byte
