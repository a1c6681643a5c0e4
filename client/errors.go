package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Stable error codes of the API (see api/openapi.yaml). Code(err) returns one
// of these for errors the server sent, and DIGEST_MISMATCH for bytes that a
// Pull found corrupt.
const (
	CodeInvalidArgument    = "INVALID_ARGUMENT"
	CodeDigestMismatch     = "DIGEST_MISMATCH"
	CodeUnauthenticated    = "UNAUTHENTICATED"
	CodePermissionDenied   = "PERMISSION_DENIED"
	CodeNotFound           = "NOT_FOUND"
	CodeEndpointNotFound   = "ENDPOINT_NOT_FOUND"
	CodeMethodNotAllowed   = "METHOD_NOT_ALLOWED"
	CodeAlreadyExists      = "ALREADY_EXISTS"
	CodeMissingBlobs       = "MISSING_BLOBS"
	CodeLengthRequired     = "LENGTH_REQUIRED"
	CodeFailedPrecondition = "FAILED_PRECONDITION"
	CodeKindMismatch       = "KIND_MISMATCH" // a dataset name used as a model, or the reverse
	CodePayloadTooLarge    = "PAYLOAD_TOO_LARGE"
	CodeRangeNotSatisfied  = "RANGE_NOT_SATISFIABLE"
	CodeInternal           = "INTERNAL"
	CodeUnavailable        = "UNAVAILABLE"
)

// Error is an error answered by the server (Status is its HTTP status), or
// a corruption the client detected itself (Status 0).
type Error struct {
	Status  int
	Code    string
	Message string
}

// Error renders one line: "NOT_FOUND: model \"x\" not found".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Code returns the stable code of err's *Error, or "" when err is not one
// (nil, a network failure, a local file error).
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// IsNotFound reports whether err says that the model, version, alias, blob or
// token does not exist.
func IsNotFound(err error) bool { return Code(err) == CodeNotFound }

// IsAlreadyExists reports whether err is a conflict with something that
// exists, such as a duplicate label.
func IsAlreadyExists(err error) bool { return Code(err) == CodeAlreadyExists }

// IsPrecondition reports whether a compare-and-set (If-Match) failed, or a
// change was refused because of the current state.
func IsPrecondition(err error) bool { return Code(err) == CodeFailedPrecondition }

// IsUnauthenticated reports whether the token was missing or wrong.
func IsUnauthenticated(err error) bool { return Code(err) == CodeUnauthenticated }

// IsPermissionDenied reports whether the token's role is too weak.
func IsPermissionDenied(err error) bool { return Code(err) == CodePermissionDenied }

// IsInvalid reports whether the server refused the request's arguments.
func IsInvalid(err error) bool { return Code(err) == CodeInvalidArgument }

// IsDigestMismatch reports whether bytes did not match their digest.
func IsDigestMismatch(err error) bool { return Code(err) == CodeDigestMismatch }

// decodeError reads an error response. Bodies that are not the API's error
// shape (a proxy's HTML page, say) still give a one-line *Error.
func decodeError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error.Code != "" {
		return &Error{Status: resp.StatusCode, Code: env.Error.Code, Message: oneLine(env.Error.Message)}
	}
	msg := oneLine(string(body))
	if msg == "" || strings.HasPrefix(msg, "<") {
		msg = fmt.Sprintf("%s %s answered %s", resp.Request.Method, resp.Request.URL.Path, resp.Status)
	}
	return &Error{Status: resp.StatusCode, Code: codeForStatus(resp.StatusCode), Message: msg}
}

// codeForStatus guesses a code for an error response without one.
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return CodeInvalidArgument
	case http.StatusUnauthorized:
		return CodeUnauthenticated
	case http.StatusForbidden:
		return CodePermissionDenied
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusMethodNotAllowed:
		return CodeMethodNotAllowed
	case http.StatusConflict:
		return CodeAlreadyExists
	case http.StatusLengthRequired:
		return CodeLengthRequired
	case http.StatusPreconditionFailed:
		return CodeFailedPrecondition
	case http.StatusRequestEntityTooLarge:
		return CodePayloadTooLarge
	case http.StatusRequestedRangeNotSatisfiable:
		return CodeRangeNotSatisfied
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return CodeUnavailable
	}
	return CodeInternal
}

// oneLine collapses whitespace so that a message fits on one line, cut to
// 300 bytes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// unwrapURLError drops net/http's `Put "http://...": ` prefix; NetworkError
// already names the server.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
