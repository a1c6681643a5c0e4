package mlflow

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// maxJSONBody bounds RPC request bodies; log-batch is the largest.
const maxJSONBody = 16 << 20

// decode reads an RPC request into dst the way MLflow's handlers do: a GET
// with a query string from its parameters (repeated keys are arrays), any
// other request from its JSON body (empty means {}). Unknown fields are
// ignored. POST and PUT must say Content-Type: application/json.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		return decodeQuery(r, dst)
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if err := checkContentType(r); err != nil {
			return err
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		return invalid("reading the request body failed: %v", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(body, &s) == nil { // old clients double-encode
		body = []byte(s)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return invalid("Invalid JSON in request body: %v", err)
	}
	return nil
}

func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return invalid("Bad Request. Content-Type header is missing.")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return invalid("Bad Request. Content-Type must be one of ['application/json'].")
	}
	return nil
}

// repeatedFields are the request fields that are arrays in the protos.
var repeatedFields = map[string]bool{
	"order_by": true, "stages": true, "experiment_ids": true, "run_ids": true,
}

func decodeQuery(r *http.Request, dst any) error {
	m := map[string]any{}
	for k, vs := range r.URL.Query() {
		if repeatedFields[k] {
			m[k] = vs
		} else if len(vs) > 0 {
			m[k] = vs[0]
		}
	}
	b, _ := json.Marshal(m)
	if err := json.Unmarshal(b, dst); err != nil {
		return invalid("Invalid query parameters: %v", err)
	}
	return nil
}

// flexInt is an int64 that arrives as a JSON number or a decimal string.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return errors.New("not an integer: " + s)
		}
		v = int64(f)
	}
	*n = flexInt(v)
	return nil
}

// flexBool is a bool that arrives as JSON true/false or "true"/"false".
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(strings.Trim(string(b), `"`)) {
	case "true":
		*v = true
	case "false", "", "null":
		*v = false
	default:
		return errors.New("not a boolean: " + string(b))
	}
	return nil
}

// keyValue is a tag or param on the wire.
type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// tagMap turns wire tags into a map.
func tagMap(kvs []keyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// parseVersion reads a version number sent as a string.
func parseVersion(s string) (int64, error) {
	if s == "" {
		return 0, missing("version")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalid("Model version must be an integer, got '%s'", s)
	}
	return n, nil
}

// ok answers an RPC with an empty message.
func ok(w http.ResponseWriter) error {
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// reply answers an RPC with v.
func reply(w http.ResponseWriter, v any) error {
	writeJSON(w, http.StatusOK, v)
	return nil
}
