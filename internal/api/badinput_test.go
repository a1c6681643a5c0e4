package api_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

// TestBadInputLosesNothing sends every kind of bad request the issue lists
// against a store that already holds a version, checks each gets a clear
// 4xx with a stable code, and then checks the stored version is intact.
func TestBadInputLosesNothing(t *testing.T) {
	a := newTestAPI(t)
	orig := a.push("iris", map[string]string{"model.bin": "original weights"}, map[string]any{"label": "1.0", "aliases": []string{"production"}})
	good := digestOf([]byte("x"))
	file := func(path string) map[string]any {
		return map[string]any{"path": path, "size": 1, "digest": good, "mode": 0o644}
	}
	a.do("PUT", "/api/v1/blobs/"+good, a.writer, []byte("x")).ok(201)
	version := func(files ...map[string]any) map[string]any { return map[string]any{"files": files} }

	tests := []struct {
		name, method, path string
		body               any
		status             int
		code, hint         string
	}{
		{"empty model name", "POST", "/api/v1/models", map[string]any{"name": ""}, 400, "INVALID_ARGUMENT", "model name is empty"},
		{"long model name", "POST", "/api/v1/models", map[string]any{"name": strings.Repeat("m", 256)}, 400, "INVALID_ARGUMENT", "limit is 255"},
		{"slash in name", "POST", "/api/v1/models", map[string]any{"name": "a/b"}, 400, "INVALID_ARGUMENT", "'/'"},
		{"control in name", "POST", "/api/v1/models", map[string]any{"name": "a\x01b"}, 400, "INVALID_ARGUMENT", "control character"},
		{"escaped slash in path", "GET", "/api/v1/models/a%2Fb", nil, 400, "INVALID_ARGUMENT", "'/'"},
		{"unknown model", "GET", "/api/v1/models/nope", nil, 404, "NOT_FOUND", `model "nope" not found`},
		{"unknown alias", "GET", "/api/v1/resolve?ref=iris@staging", nil, 404, "NOT_FOUND", `no alias "staging"`},
		{"unknown label", "GET", "/api/v1/resolve?ref=iris:9.9", nil, 404, "NOT_FOUND", `labelled "9.9"`},
		{"unknown number", "GET", "/api/v1/resolve?ref=iris/99", nil, 404, "NOT_FOUND", "no version 99"},
		{"unknown digest", "GET", "/api/v1/resolve?ref=iris@" + digestOf([]byte("?")), nil, 404, "NOT_FOUND", "no live version with digest"},
		{"bad ref", "GET", "/api/v1/resolve?ref=" + url.QueryEscape("iris@@x"), nil, 400, "INVALID_ARGUMENT", "invalid reference"},
		{"missing ref", "GET", "/api/v1/resolve", nil, 400, "INVALID_ARGUMENT", "ref is required"},
		{"version not a number", "GET", "/api/v1/models/iris/versions/latest", nil, 400, "INVALID_ARGUMENT", "not a positive integer"},
		{"duplicate label", "POST", "/api/v1/models/iris/versions", map[string]any{"label": "1.0", "files": []any{file("a")}}, 409, "ALREADY_EXISTS", `labelled "1.0"`},
		{"dotdot path", "POST", "/api/v1/models/iris/versions", version(file("../evil")), 400, "INVALID_ARGUMENT", "'..'"},
		{"absolute path", "POST", "/api/v1/models/iris/versions", version(file("/etc/passwd")), 400, "INVALID_ARGUMENT", "absolute"},
		{"duplicate path", "POST", "/api/v1/models/iris/versions", version(file("a"), file("a")), 400, "INVALID_ARGUMENT", "twice"},
		{"escaping link", "POST", "/api/v1/models/iris/versions", version(map[string]any{"path": "l", "target": "../../etc", "mode": 0o777}), 400, "INVALID_ARGUMENT", "escapes the tree"},
		{"no files", "POST", "/api/v1/models/iris/versions", version(), 400, "INVALID_ARGUMENT", "no files"},
		{"missing blob", "POST", "/api/v1/models/iris/versions", version(map[string]any{"path": "a", "size": 1, "digest": digestOf([]byte("y")), "mode": 0o644}), 409, "MISSING_BLOBS", "not uploaded"},
		{"size lies", "POST", "/api/v1/models/iris/versions", version(map[string]any{"path": "a", "size": 5, "digest": good, "mode": 0o644}), 400, "INVALID_ARGUMENT", "declares 5 bytes"},
		{"short git commit", "POST", "/api/v1/models/iris/versions", map[string]any{"source": map[string]any{"git": map[string]any{"commit": "a1b2c3d"}}, "files": []any{file("a")}}, 400, "INVALID_ARGUMENT", "not a full commit hash"},
		{"NaN-free metrics type", "POST", "/api/v1/models/iris/versions", map[string]any{"metrics": map[string]any{"acc": "high"}, "files": []any{file("a")}}, 400, "INVALID_ARGUMENT", "metrics"},
		{"malformed JSON", "POST", "/api/v1/models", []byte(`{"name": "x"`), 400, "INVALID_ARGUMENT", "truncated JSON"},
		{"not JSON", "POST", "/api/v1/models", []byte(`name=x`), 400, "INVALID_ARGUMENT", "not valid JSON"},
		{"trailing JSON", "POST", "/api/v1/models", []byte(`{"name":"x"} {}`), 400, "INVALID_ARGUMENT", "after the JSON value"},
		{"empty body", "POST", "/api/v1/models", []byte(``), 400, "INVALID_ARGUMENT", "empty"},
		{"bad page size", "GET", "/api/v1/models?page_size=5000", nil, 400, "INVALID_ARGUMENT", "page_size"},
		{"bad page token", "GET", "/api/v1/models?page_token=garbage!!", nil, 400, "INVALID_ARGUMENT", "page token"},
		{"bad alias name", "PUT", "/api/v1/models/iris/aliases/9lives", map[string]any{"version": 1}, 400, "INVALID_ARGUMENT", "must start with a letter"},
		{"alias to missing version", "PUT", "/api/v1/models/iris/aliases/staging", map[string]any{"version": 7}, 404, "NOT_FOUND", "no version 7"},
		{"negative expected version", "PUT", "/api/v1/models/iris/aliases/staging", map[string]any{"version": 1, "expected_version": -2}, 400, "INVALID_ARGUMENT", "negative"},
		{"stale expected version", "PUT", "/api/v1/models/iris/aliases/production", map[string]any{"version": 1, "expected_version": 3}, 412, "FAILED_PRECONDITION", "not version 3 as expected"},
		{"bad digest", "PUT", "/api/v1/blobs/sha256:XYZ", []byte("x"), 400, "INVALID_ARGUMENT", "sha256:<64 lowercase hex"},
		{"wrong bytes", "PUT", "/api/v1/blobs/" + digestOf([]byte("expected")), []byte("something else"), 400, "DIGEST_MISMATCH", "sha256:"},
		{"unknown endpoint", "GET", "/api/v1/nothing", nil, 404, "ENDPOINT_NOT_FOUND", "no endpoint"},
		{"wrong method", "PUT", "/api/v1/models", map[string]any{}, 405, "METHOD_NOT_ALLOWED", "use GET or HEAD or POST"},
		{"rollback never set", "POST", "/api/v1/models/iris/aliases/nothing/rollback", nil, 404, "NOT_FOUND", "never been set"},
		{"bad at", "GET", "/api/v1/models/iris/aliases/production/history?at=yesterday", nil, 400, "INVALID_ARGUMENT", "RFC 3339"},
		{"bad role", "POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "root"}, 400, "INVALID_ARGUMENT", "reader, writer, admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.t = t
			token := a.writer
			if strings.HasPrefix(tt.path, "/api/v1/tokens") {
				token = a.admin
			}
			a.do(tt.method, tt.path, token, tt.body).fails(tt.status, tt.code, tt.hint)
		})
	}
	a.t = t
	a.do("GET", "/api/v1/blobs/"+digestOf([]byte("expected")), a.reader, nil).fails(404, "NOT_FOUND", "not found")
	assertIntact(t, a, orig)
}

// TestOversizedJSON sends a body over the JSON limit.
func TestOversizedJSON(t *testing.T) {
	a := newTestAPI(t)
	big := make([]byte, 65<<20)
	for i := range big {
		big[i] = ' '
	}
	a.do("POST", "/api/v1/models", a.writer, big).fails(413, "PAYLOAD_TOO_LARGE", "larger than the limit")
}

// TestTruncatedUpload sends fewer bytes than its Content-Length and hangs
// up: nothing may become visible and no temporary file may stay behind.
func TestTruncatedUpload(t *testing.T) {
	a := newTestAPI(t)
	orig := a.push("iris", map[string]string{"model.bin": "original weights"}, nil)
	content := strings.Repeat("w", 1<<20)
	d := digestOf([]byte(content))
	conn, err := net.Dial("tcp", strings.TrimPrefix(a.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT /api/v1/blobs/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s",
		d, a.writer, len(content), content[:len(content)/2])
	conn.(*net.TCPConn).CloseWrite()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		res.Body.Close()
		if res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Fatalf("truncated upload answered %d", res.StatusCode)
		}
	}
	conn.Close()
	a.do("HEAD", "/api/v1/blobs/"+d, a.reader, nil).ok(404)
	entries, _ := os.ReadDir(filepath.Join(a.blobRoot, "tmp"))
	if len(entries) != 0 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	assertIntact(t, a, orig)
}

func TestAuthAndRoles(t *testing.T) {
	a := newTestAPI(t)
	a.push("iris", map[string]string{"m": "x"}, nil)
	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code, hint                string
	}{
		{"no token", "GET", "/api/v1/models", "", nil, 401, "UNAUTHENTICATED", "needs a token"},
		{"wrong token", "GET", "/api/v1/models", "mdl_wrong", nil, 401, "UNAUTHENTICATED", "not valid"},
		{"reader pushes", "POST", "/api/v1/blobs/missing", a.reader, map[string]any{"digests": []string{}}, 403, "PERMISSION_DENIED", "needs writer"},
		{"reader moves alias", "PUT", "/api/v1/models/iris/aliases/prod", a.reader, map[string]any{"version": 1}, 403, "PERMISSION_DENIED", "has role reader"},
		{"writer deletes model", "DELETE", "/api/v1/models/iris", a.writer, nil, 403, "PERMISSION_DENIED", "needs admin"},
		{"writer makes token", "POST", "/api/v1/tokens", a.writer, map[string]any{"name": "x", "role": "admin"}, 403, "PERMISSION_DENIED", "needs admin"},
		{"writer lists tokens", "GET", "/api/v1/tokens", a.writer, nil, 403, "PERMISSION_DENIED", "needs admin"},
		{"anonymous whoami", "GET", "/api/v1/whoami", "", nil, 401, "UNAUTHENTICATED", "no token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.t = t
			r := a.do(tt.method, tt.path, tt.token, tt.body)
			r.fails(tt.status, tt.code, tt.hint)
			if tt.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	a.t = t
	// Basic auth with the token as password works too (curl -u, MLflow).
	req, _ := http.NewRequest("GET", a.url+"/api/v1/whoami", nil)
	req.SetBasicAuth("anyone", a.reader)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("basic auth: %v %v", res, err)
	}
	res.Body.Close()
}

func assertIntact(t *testing.T, a *testAPI, orig registry.Version) {
	t.Helper()
	var v registry.Version
	a.do("GET", "/api/v1/resolve?ref=iris@production", a.reader, nil).decode(&v)
	if orig.Aliases != nil && len(orig.Aliases) > 0 && (v.Number != orig.Number || v.Digest != orig.Digest) {
		t.Fatalf("production moved or changed: %+v", v)
	}
	var list struct{ Versions []registry.Version }
	a.do("GET", "/api/v1/models/iris/versions", a.reader, nil).ok(200).decode(&list)
	if len(list.Versions) != 1 || list.Versions[0].Digest != orig.Digest {
		t.Fatalf("versions changed: %+v", list.Versions)
	}
	for _, f := range orig.Files {
		body := a.do("GET", "/api/v1/blobs/"+f.Digest, a.reader, nil).ok(200).body
		if digestOf(body) != f.Digest {
			t.Fatalf("blob %s damaged", f.Digest)
		}
	}
}
