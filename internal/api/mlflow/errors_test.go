package mlflow

import (
	"errors"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

func TestCodeOf(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   string
		status int
	}{
		{registry.E(registry.KindInvalid, "x"), "INVALID_PARAMETER_VALUE", 400},
		{registry.E(registry.KindNotFound, "x"), "RESOURCE_DOES_NOT_EXIST", 404},
		{registry.E(registry.KindAlreadyExists, "x"), "RESOURCE_ALREADY_EXISTS", 400},
		{registry.E(registry.KindUnauthenticated, "x"), "UNAUTHENTICATED", 401},
		{registry.E(registry.KindPermission, "x"), "PERMISSION_DENIED", 403},
		{registry.E(registry.KindPrecondition, "x"), "INVALID_PARAMETER_VALUE", 400},
		{registry.E(registry.KindMissingBlobs, "x"), "INVALID_PARAMETER_VALUE", 400},
		{registry.E(registry.KindDigestMismatch, "x"), "INVALID_PARAMETER_VALUE", 400},
		{registry.E(registry.KindTooLarge, "x"), "INVALID_PARAMETER_VALUE", 400},
		{registry.E(registry.KindUnavailable, "x"), "TEMPORARILY_UNAVAILABLE", 503},
		{errors.New("boom"), "INTERNAL_ERROR", 500},
		{mlErr(codeEndpointNotFound, "x"), "ENDPOINT_NOT_FOUND", 404},
		{mlErr(codeNotImplemented, "x"), "NOT_IMPLEMENTED", 501},
	} {
		code, status, _ := codeOf(tc.err)
		if code != tc.code || status != tc.status {
			t.Errorf("codeOf(%v) = %s %d, want %s %d", tc.err, code, status, tc.code, tc.status)
		}
	}
}

// TestClientKindsNeverServerErrors guards the retry trap: the MLflow client
// retries 5xx for minutes, so every kind that means "the caller is wrong"
// must map to a 4xx.
func TestClientKindsNeverServerErrors(t *testing.T) {
	for kind := range codeOfKind {
		if kind == registry.KindInternal || kind == registry.KindUnavailable {
			continue
		}
		if _, status, _ := codeOf(registry.E(kind, "x")); status >= 500 {
			t.Errorf("kind %s maps to %d", kind, status)
		}
	}
}
