package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	spec "github.com/modelry/modelry/api"
	"github.com/modelry/modelry/internal/api"
	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/storetest"
)

const adminSecret = "mdl_test_admin_secret_0123456789"

// testAPI is a real server (SQLite file, filesystem blob store) behind a
// wrapper that checks every request and response against openapi.yaml.
type testAPI struct {
	t                     testing.TB
	url                   string
	svc                   *registry.Service
	blobRoot              string
	admin, writer, reader string
}

func newTestAPI(t *testing.T) *testAPI { return startAPI(t, true) }

// startAPI starts the server; checked wraps it in the contract checker.
func startAPI(t testing.TB, checked bool) *testAPI {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	store, blobs := st.Meta, st.Blobs
	blobRoot := st.BlobRoot
	svc := registry.New(store, blobs)
	if _, err := svc.Bootstrap(ctx, adminSecret); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var h http.Handler = api.New(svc, api.Options{Logger: log})
	if checked {
		h = contract.wrap(t, h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	a := &testAPI{t: t, url: srv.URL, svc: svc, blobRoot: blobRoot, admin: adminSecret}
	a.writer = a.token("ci-writer", "writer")
	a.reader = a.token("dashboard", "reader")
	return a
}

func (a *testAPI) token(name, role string) string {
	a.t.Helper()
	var out struct{ Token string }
	a.do("POST", "/api/v1/tokens", a.admin, map[string]string{"name": name, "role": role}).ok(201).decode(&out)
	return out.Token
}

type response struct {
	t      testing.TB
	status int
	header http.Header
	body   []byte
}

// do sends a request. body may be nil, []byte (sent raw), or any value
// (sent as JSON). hdr holds extra header name/value pairs.
func (a *testAPI) do(method, path, token string, body any, hdr ...string) *response {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return &response{t: a.t, status: res.StatusCode, header: res.Header, body: data}
}

// ok fails the test unless the status is want.
func (r *response) ok(want int) *response {
	r.t.Helper()
	if r.status != want {
		r.t.Fatalf("status %d, want %d; body: %s", r.status, want, r.body)
	}
	return r
}

// fails checks an error answer: status, stable code, and a message that
// contains hint.
func (r *response) fails(status int, code, hint string) {
	r.t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		r.t.Fatalf("status %d, body is not an error object: %s", r.status, r.body)
	}
	if r.status != status || e.Error.Code != code || !strings.Contains(e.Error.Message, hint) {
		r.t.Fatalf("got %d %s %q; want %d %s with message containing %q", r.status, e.Error.Code, e.Error.Message, status, code, hint)
	}
}

func (r *response) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		r.t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// push uploads files and creates a version; extra fields go into the
// version request. It returns the created version.
func (a *testAPI) push(model string, files map[string]string, extra map[string]any) registry.Version {
	a.t.Helper()
	r := a.pushResponse(model, files, extra).ok(201)
	var v registry.Version
	r.decode(&v)
	return v
}

func (a *testAPI) pushResponse(model string, files map[string]string, extra map[string]any) *response {
	a.t.Helper()
	var manifest []map[string]any
	var digests []string
	for p, content := range files {
		d := digestOf([]byte(content))
		manifest = append(manifest, map[string]any{"path": p, "size": len(content), "digest": d, "mode": 0o644})
		digests = append(digests, d)
	}
	var missing struct{ Missing []string }
	a.do("POST", "/api/v1/blobs/missing", a.writer, map[string]any{"digests": digests}).ok(200).decode(&missing)
	for p, content := range files {
		d := digestOf([]byte(content))
		for _, m := range missing.Missing {
			if m == d {
				a.do("PUT", "/api/v1/blobs/"+d, a.writer, []byte(content)).ok(201)
				_ = p
			}
		}
	}
	body := map[string]any{"files": manifest}
	for k, v := range extra {
		body[k] = v
	}
	return a.do("POST", "/api/v1/models/"+model+"/versions", a.writer, body)
}

// contract checks exchanges against openapi.yaml and counts which
// operations the tests exercised.
var contract = newContract()

type contractChecker struct {
	doc    *openapi3.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string]bool // "METHOD /template"
}

func newContract() *contractChecker {
	doc, err := openapi3.NewLoader().LoadFromData(spec.OpenAPI)
	if err != nil {
		panic(fmt.Sprintf("openapi.yaml does not load: %v", err))
	}
	if err := doc.Validate(context.Background()); err != nil {
		panic(fmt.Sprintf("openapi.yaml is not valid: %v", err))
	}
	doc.Servers = nil // match any host
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		panic(err)
	}
	return &contractChecker{doc: doc, router: router, seen: map[string]bool{}}
}

// wrap buffers each response, validates it against the spec, then sends it.
func (c *contractChecker) wrap(t testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqBody, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		rest := r.Body
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(reqBody), rest))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		if err := c.check(r, rec); err != nil {
			t.Errorf("contract: %s %s -> %d: %v", r.Method, r.URL.Path, rec.Code, err)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func (c *contractChecker) check(r *http.Request, rec *httptest.ResponseRecorder) error {
	route, params, err := c.router.FindRoute(r)
	if err != nil {
		if body := rec.Body.String(); rec.Code == http.StatusNotFound && strings.Contains(body, "ENDPOINT_NOT_FOUND") ||
			rec.Code == http.StatusMethodNotAllowed && strings.Contains(body, "METHOD_NOT_ALLOWED") {
			return nil // an unknown route or method, answered in the documented error shape
		}
		return fmt.Errorf("route not in openapi.yaml: %v", err)
	}
	c.mu.Lock()
	c.seen[r.Method+" "+route.Path] = true
	c.mu.Unlock()
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                opts,
	}
	if ct := rec.Header().Get("Content-Type"); strings.HasPrefix(ct, "text/plain") {
		in.Options = &openapi3filter.Options{ExcludeResponseBody: true, IncludeResponseStatus: true}
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// unexercised lists the spec's operations no test called.
func (c *contractChecker) unexercised() []string {
	var out []string
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			if !c.seen[method+" "+path] {
				out = append(out, method+" "+path)
			}
		}
	}
	return out
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		if missing := contract.unexercised(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: operations in openapi.yaml that no test exercised: %v\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}
