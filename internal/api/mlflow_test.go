package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

var jsonCT = []string{"Content-Type", "application/json"}

func TestMLflowHealth(t *testing.T) {
	a := newTestAPI(t)
	r := a.do("GET", "/health", "", nil).ok(200)
	if string(r.body) != "OK" {
		t.Fatalf("GET /health = %q, want OK", r.body)
	}
}

// mlflowFails checks an MLflow error answer: status, error_code and a
// message containing hint.
func mlflowFails(t *testing.T, r *response, status int, code, hint string) {
	t.Helper()
	var e struct {
		ErrorCode string `json:"error_code"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("status %d, body is not an MLflow error: %s", r.status, r.body)
	}
	if r.status != status || e.ErrorCode != code || !strings.Contains(e.Message, hint) {
		t.Fatalf("got %d %s %q; want %d %s with %q", r.status, e.ErrorCode, e.Message, status, code, hint)
	}
}

// TestMLflowErrors drives the MLflow routes through the real server and
// checks the error table: codes and statuses as MLflow clients expect, and
// never a 5xx for a client mistake.
func TestMLflowErrors(t *testing.T) {
	a := startAPI(t, false)
	const p = "/api/2.0/mlflow"
	a.do("POST", p+"/registered-models/create", a.writer, map[string]string{"name": "iris"}, jsonCT...).ok(200)
	a.do("POST", p+"/model-versions/create", a.writer, map[string]string{"name": "iris", "source": "s3://b/k"}, jsonCT...).ok(200)
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		code, hint                string
	}{
		{"unknown route", "GET", p + "/nope", a.reader, nil, 404, "ENDPOINT_NOT_FOUND", "No API endpoint"},
		{"unknown ajax route", "GET", "/ajax-api/2.0/mlflow/nope", a.reader, nil, 404, "ENDPOINT_NOT_FOUND", ""},
		{"wrong method", "DELETE", p + "/registered-models/create", a.writer, nil, 404, "ENDPOINT_NOT_FOUND", ""},
		{"no token", "GET", p + "/registered-models/get?name=iris", "", nil, 401, "UNAUTHENTICATED", "needs a token"},
		{"bad token", "GET", p + "/registered-models/get?name=iris", "mdl_wrong_0123456789abcdef", nil, 401, "UNAUTHENTICATED", ""},
		{"reader writes", "POST", p + "/registered-models/create", a.reader, map[string]string{"name": "x"}, 403, "PERMISSION_DENIED", "reader"},
		{"exists", "POST", p + "/registered-models/create", a.writer, map[string]string{"name": "iris"}, 400, "RESOURCE_ALREADY_EXISTS", "Registered Model (name=iris) already exists."},
		{"missing name", "POST", p + "/registered-models/create", a.writer, map[string]string{}, 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'"},
		{"model missing", "GET", p + "/registered-models/get?name=nope", a.reader, nil, 404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=nope not found"},
		{"version missing", "GET", p + "/model-versions/get?name=iris&version=9", a.reader, nil, 404, "RESOURCE_DOES_NOT_EXIST", "Model Version (name=iris, version=9) not found"},
		{"version not a number", "GET", p + "/model-versions/get?name=iris&version=x", a.reader, nil, 400, "INVALID_PARAMETER_VALUE", "integer"},
		{"alias missing", "GET", p + "/registered-models/alias?name=iris&alias=nope", a.reader, nil, 400, "INVALID_PARAMETER_VALUE", "Registered model alias nope not found."},
		{"alias reserved", "POST", p + "/registered-models/alias", a.writer, map[string]string{"name": "iris", "alias": "v1", "version": "1"}, 400, "INVALID_PARAMETER_VALUE", "reserved"},
		{"bad filter", "GET", p + "/registered-models/search?filter=name+%3D+x", a.reader, nil, 400, "INVALID_PARAMETER_VALUE", "quoted string"},
		{"too many results", "GET", p + "/registered-models/search?max_results=1001", a.reader, nil, 400, "INVALID_PARAMETER_VALUE", "at most 1000"},
		{"bad page token", "GET", p + "/registered-models/search?page_token=%25%25", a.reader, nil, 400, "INVALID_PARAMETER_VALUE", "page token"},
		{"bad stage", "POST", p + "/model-versions/transition-stage", a.writer, map[string]string{"name": "iris", "version": "1", "stage": "Prod"}, 400, "INVALID_PARAMETER_VALUE", "Invalid Model Version stage"},
		{"archive from None", "POST", p + "/model-versions/transition-stage", a.writer, map[string]any{"name": "iris", "version": "1", "stage": "None", "archive_existing_versions": true}, 400, "INVALID_PARAMETER_VALUE", "Active stage"},
		{"version of a missing model", "POST", p + "/model-versions/create", a.writer, map[string]string{"name": "nope", "source": "s3://b/k"}, 404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=nope not found"},
		{"relative source", "POST", p + "/model-versions/create", a.writer, map[string]string{"name": "iris", "source": "mlflow-artifacts:/0/../x"}, 400, "INVALID_PARAMETER_VALUE", "Invalid model version source"},
		{"bad JSON", "POST", p + "/registered-models/create", a.writer, []byte("{"), 400, "INVALID_PARAMETER_VALUE", "Invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(tc.method, tc.path, tc.token, tc.body, jsonCT...)
			mlflowFails(t, r, tc.status, tc.code, tc.hint)
		})
	}
}

func TestMLflowContentTypeRequired(t *testing.T) {
	a := startAPI(t, false)
	req, _ := http.NewRequest("POST", a.url+"/api/2.0/mlflow/registered-models/create", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Authorization", "Bearer "+a.writer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var e struct{ ErrorCode, Message string }
	_ = json.NewDecoder(res.Body).Decode(&e)
	if res.StatusCode != 400 || !strings.Contains(e.Message, "Content-Type header is missing") {
		t.Fatalf("POST without Content-Type: %d %+v", res.StatusCode, e)
	}
}
