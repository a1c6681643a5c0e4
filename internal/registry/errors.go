package registry

import (
	"errors"
	"fmt"
)

// Kind classifies an error. Each kind is also the stable code a client sees
// (internal/api maps kinds to HTTP statuses in one table).
type Kind string

// The kinds of error the registry returns. Their string values are part of the
// public API: clients match on them.
const (
	KindInternal      Kind = "INTERNAL"
	KindInvalid       Kind = "INVALID_ARGUMENT"
	KindNotFound      Kind = "NOT_FOUND"
	KindAlreadyExists Kind = "ALREADY_EXISTS"
	KindPrecondition  Kind = "FAILED_PRECONDITION"
	// KindWrongKind: a name that holds models was used as a dataset, or
	// the other way round. A name is one kind or the other for good.
	KindWrongKind       Kind = "KIND_MISMATCH"
	KindUnauthenticated Kind = "UNAUTHENTICATED"
	KindPermission      Kind = "PERMISSION_DENIED"
	KindDigestMismatch  Kind = "DIGEST_MISMATCH"
	KindMissingBlobs    Kind = "MISSING_BLOBS"
	KindTooLarge        Kind = "PAYLOAD_TOO_LARGE"
	KindUnavailable     Kind = "UNAVAILABLE"
)

// Error is the registry's error type. Msg is safe to show to a client; Err is
// the underlying cause, logged but never sent.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	switch {
	case e.Msg != "" && e.Err != nil:
		return e.Msg + ": " + e.Err.Error()
	case e.Msg != "":
		return e.Msg
	case e.Err != nil:
		return e.Err.Error()
	}
	return string(e.Kind)
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error of the given kind with a formatted client-facing message.
func E(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error of the given kind around a cause. The cause is logged,
// not shown to clients.
func Wrap(kind Kind, err error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Err: err}
}

// KindOf returns the kind of the first *Error in err's chain, or KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Is reports whether err carries the given kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// Message returns the client-facing message of err: the Msg of its first
// *Error, or a generic text for errors the client must not see.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != KindInternal {
		if e.Msg != "" {
			return e.Msg
		}
		return string(e.Kind)
	}
	return "internal error; see the server log"
}
