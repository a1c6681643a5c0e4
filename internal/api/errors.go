package api

import (
	"errors"
	"net/http"

	"github.com/modelry/modelry/internal/registry"
)

// Codes the HTTP layer adds to the registry's kinds.
const (
	codeEndpointNotFound = "ENDPOINT_NOT_FOUND"
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	codeLengthRequired   = "LENGTH_REQUIRED"
	codeRangeUnsatisfied = "RANGE_NOT_SATISFIABLE"
	kindLengthRequired   = registry.Kind(codeLengthRequired)
	kindEndpointNotFound = registry.Kind(codeEndpointNotFound)
	kindMethodNotAllowed = registry.Kind(codeMethodNotAllowed)
)

// statusOf is the one table that maps error kinds to HTTP statuses. The kind
// itself is the stable code in the response body.
var statusOf = map[registry.Kind]int{
	registry.KindInvalid:         http.StatusBadRequest,
	registry.KindDigestMismatch:  http.StatusBadRequest,
	registry.KindUnauthenticated: http.StatusUnauthorized,
	registry.KindPermission:      http.StatusForbidden,
	registry.KindNotFound:        http.StatusNotFound,
	kindEndpointNotFound:         http.StatusNotFound,
	kindMethodNotAllowed:         http.StatusMethodNotAllowed,
	registry.KindAlreadyExists:   http.StatusConflict,
	registry.KindMissingBlobs:    http.StatusConflict,
	kindLengthRequired:           http.StatusLengthRequired,
	registry.KindPrecondition:    http.StatusPreconditionFailed,
	registry.KindWrongKind:       http.StatusPreconditionFailed,
	registry.KindTooLarge:        http.StatusRequestEntityTooLarge,
	registry.KindInternal:        http.StatusInternalServerError,
	registry.KindUnavailable:     http.StatusServiceUnavailable,
}

// HTTPStatus returns the status for an error's kind.
func HTTPStatus(err error) int {
	if s, ok := statusOf[registry.KindOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError sends err as {"error": {"code", "message"}}. The message is the
// client-facing one; internal causes stay in the log.
func writeError(w http.ResponseWriter, err error) {
	kind := registry.KindOf(err)
	status := HTTPStatus(err)
	if kind == registry.KindUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="modelry"`)
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: string(kind), Message: registry.Message(err)}})
}

// bodyError turns a failure to read a request body into a client error: an
// oversized body is PAYLOAD_TOO_LARGE, anything else (a client that hung up
// or sent fewer bytes than it declared) is INVALID_ARGUMENT.
func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return registry.E(registry.KindTooLarge, "request body is larger than the limit of %d bytes", tooBig.Limit)
	}
	if _, ok := err.(*registry.Error); ok {
		return err
	}
	return registry.Wrap(registry.KindInvalid, err, "reading the request body failed (upload interrupted or truncated)")
}
