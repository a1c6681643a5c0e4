package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/modelry/modelry/internal/registry"
)

// maxJSONBody bounds JSON request bodies. A manifest of the largest allowed
// size (100,000 files) fits well inside it.
const maxJSONBody = 64 << 20

// decodeJSON reads one JSON value from the body into v.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, maxJSONBody)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return jsonError(err)
		}
		return registry.E(registry.KindInvalid, "request body has data after the JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return bodyError(err)
	case errors.Is(err, io.EOF):
		return registry.E(registry.KindInvalid, "request body is empty; send a JSON object")
	case errors.As(err, &syntax):
		return registry.E(registry.KindInvalid, "request body is not valid JSON: %s at byte %d", syntax.Error(), syntax.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the body"
		}
		return registry.E(registry.KindInvalid, "field %s must be %s, not JSON %s", field, typ.Type.String(), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return registry.E(registry.KindInvalid, "request body is truncated JSON")
	}
	return registry.Wrap(registry.KindInvalid, err, "request body is not valid JSON")
}

// writeJSON encodes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// query helpers: each returns a KindInvalid error naming the parameter.

func queryInt(r *http.Request, name string, def int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, registry.E(registry.KindInvalid, "query parameter %s=%q is not a non-negative integer", name, s)
	}
	return n, nil
}

func queryBool(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, registry.E(registry.KindInvalid, "query parameter %s=%q is not true or false", name, s)
	}
	return b, nil
}

func queryPage(r *http.Request) (registry.Page, error) {
	size, err := queryInt(r, "page_size", 0)
	if err != nil {
		return registry.Page{}, err
	}
	if size > registry.MaxPageSize {
		return registry.Page{}, registry.E(registry.KindInvalid, "page_size %d is over the limit of %d", size, registry.MaxPageSize)
	}
	return registry.Page{Token: r.URL.Query().Get("page_token"), Size: int(size)}, nil
}

// queryTag parses tag=KEY or tag=KEY=VALUE.
func queryTag(r *http.Request) *registry.TagFilter {
	s := r.URL.Query().Get("tag")
	if s == "" {
		return nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			return &registry.TagFilter{Key: s[:i], Value: s[i+1:], HasValue: true}
		}
	}
	return &registry.TagFilter{Key: s}
}

// pathNumber parses a version number path parameter.
func pathNumber(r *http.Request) (int64, error) {
	s := r.PathValue("version")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, registry.E(registry.KindInvalid, "version %q is not a positive integer; use /api/v1/resolve?ref=... for labels and aliases", s)
	}
	return n, nil
}
