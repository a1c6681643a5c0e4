package mlflow

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/modelry/modelry/internal/registry"
)

// MLflow error codes (mlflow/protos/databricks.proto) this adapter sends.
const (
	codeInvalidParameter = "INVALID_PARAMETER_VALUE"
	codeNotFound         = "RESOURCE_DOES_NOT_EXIST"
	codeAlreadyExists    = "RESOURCE_ALREADY_EXISTS"
	codeEndpointNotFound = "ENDPOINT_NOT_FOUND"
	codeUnauthenticated  = "UNAUTHENTICATED"
	codePermissionDenied = "PERMISSION_DENIED"
	codeNotImplemented   = "NOT_IMPLEMENTED"
	codeInternal         = "INTERNAL_ERROR"
	codeUnavailable      = "TEMPORARILY_UNAVAILABLE"
	codeLimitExceeded    = "RESOURCE_EXHAUSTED"
)

// Error is an error with an exact MLflow code, for answers the registry's
// kinds cannot express (an unknown endpoint, an unsupported feature).
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return e.Code + ": " + e.Msg }

func mlErr(code, msg string) error { return &Error{Code: code, Msg: msg} }

// statusOfCode maps MLflow codes to HTTP statuses as mlflow/exceptions.py
// does. RESOURCE_ALREADY_EXISTS is 400, not 409.
var statusOfCode = map[string]int{
	codeInvalidParameter: http.StatusBadRequest,
	codeNotFound:         http.StatusNotFound,
	codeAlreadyExists:    http.StatusBadRequest,
	codeEndpointNotFound: http.StatusNotFound,
	codeUnauthenticated:  http.StatusUnauthorized,
	codePermissionDenied: http.StatusForbidden,
	codeNotImplemented:   http.StatusNotImplemented,
	codeInternal:         http.StatusInternalServerError,
	codeUnavailable:      http.StatusServiceUnavailable,
	codeLimitExceeded:    http.StatusTooManyRequests,
}

// codeOfKind is the one table from registry error kinds to MLflow codes.
// Every client mistake maps to a 4xx: the MLflow client retries 5xx for
// minutes.
var codeOfKind = map[registry.Kind]string{
	registry.KindInvalid:         codeInvalidParameter,
	registry.KindDigestMismatch:  codeInvalidParameter,
	registry.KindMissingBlobs:    codeInvalidParameter,
	registry.KindPrecondition:    codeInvalidParameter,
	registry.KindWrongKind:       codeInvalidParameter,
	registry.KindTooLarge:        codeInvalidParameter,
	registry.KindNotFound:        codeNotFound,
	registry.KindAlreadyExists:   codeAlreadyExists,
	registry.KindUnauthenticated: codeUnauthenticated,
	registry.KindPermission:      codePermissionDenied,
	registry.KindUnavailable:     codeUnavailable,
	registry.KindInternal:        codeInternal,
}

// codeOf returns the MLflow code, HTTP status and client message of err.
func codeOf(err error) (code string, status int, msg string) {
	var e *Error
	if errors.As(err, &e) {
		code, msg = e.Code, e.Msg
	} else {
		code = codeOfKind[registry.KindOf(err)]
		if code == "" {
			code = codeInternal
		}
		msg = registry.Message(err)
	}
	status, ok := statusOfCode[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	return code, status, msg
}

// writeError sends {"error_code", "message"} with the mapped status.
func writeError(w http.ResponseWriter, err error) {
	code, status, msg := codeOf(err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="modelry"`)
	}
	writeJSON(w, status, map[string]string{"error_code": code, "message": msg})
}

// writeJSON encodes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// invalid is a 400 INVALID_PARAMETER_VALUE.
func invalid(format string, args ...any) error {
	return registry.E(registry.KindInvalid, format, args...)
}

// notFound is a 404 RESOURCE_DOES_NOT_EXIST.
func notFound(format string, args ...any) error {
	return registry.E(registry.KindNotFound, format, args...)
}

func missing(field string) error {
	return invalid("Missing value for required parameter '%s'. See the API docs for more information about request parameters.", field)
}
