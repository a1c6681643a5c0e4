package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestErrorDecoding(t *testing.T) {
	tests := []struct {
		name, body, want string
		status           int
		is               func(error) bool
	}{
		{"api error", `{"error":{"code":"NOT_FOUND","message":"model \"x\" not found"}}`, `NOT_FOUND: model "x" not found`, 404, IsNotFound},
		{"multi-line message", `{"error":{"code":"ALREADY_EXISTS","message":"label\n taken"}}`, `ALREADY_EXISTS: label taken`, 409, IsAlreadyExists},
		{"proxy html", `<html>bad gateway</html>`, `UNAVAILABLE: GET /api/v1/models/x answered 502 Bad Gateway`, 502, func(err error) bool { return Code(err) == CodeUnavailable }},
		{"plain text", "denied\n", `PERMISSION_DENIED: denied`, 403, IsPermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			_, err := New(srv.URL).GetModel(context.Background(), "x")
			if err == nil || err.Error() != tt.want || !tt.is(err) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNetworkErrorNamesServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := New(url).Whoami(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "cannot reach the server at "+url) || Code(err) != "" {
		t.Fatalf("err = %v", err)
	}
	_, err = New("localhost:8080").Whoami(context.Background())
	if err == nil || !strings.Contains(err.Error(), "not an http:// or https:// address") {
		t.Fatalf("bad URL: err = %v", err)
	}
}

// TestRequests checks what goes on the wire for calls with headers, escaping
// or query parameters worth getting right.
func TestRequests(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Method + " " + r.URL.RequestURI() + " auth=" + r.Header.Get("Authorization") + " if-match=" + r.Header.Get("If-Match")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := New(srv.URL+"/", WithToken("tok"))
	ctx := context.Background()
	tests := []struct {
		call func() error
		want string
	}{
		{func() error {
			_, err := c.SetAlias(ctx, "iris", "prod", 3, AliasOptions{Expect: Expect(0)})
			return err
		},
			`PUT /api/v1/models/iris/aliases/prod auth=Bearer tok if-match="0"`},
		{func() error { _, err := c.SetAlias(ctx, "iris", "prod", 3, AliasOptions{}); return err },
			`PUT /api/v1/models/iris/aliases/prod auth=Bearer tok if-match=`},
		{func() error { _, err := c.Resolve(ctx, "iris@sha256:ab"); return err },
			`GET /api/v1/resolve?ref=iris%40sha256%3Aab auth=Bearer tok if-match=`},
		{func() error { _, _, err := c.OpenFile(ctx, "m", 2, "a b/c#d"); return err },
			`GET /api/v1/models/m/versions/2/files/a%20b/c%23d auth=Bearer tok if-match=`},
		{func() error {
			_, err := c.ListVersions(ctx, "m", VersionQuery{Tag: "k=v", IncludeDeleted: true, PageSize: 5})
			return err
		},
			`GET /api/v1/models/m/versions?include_deleted=true&page_size=5&tag=k%3Dv auth=Bearer tok if-match=`},
		{func() error { _, err := c.ListModels(ctx, ModelQuery{Kind: KindDataset}); return err },
			`GET /api/v1/models?kind=dataset auth=Bearer tok if-match=`},
		{func() error { _, err := c.Lineage(ctx, "churn@prod", 3); return err },
			`GET /api/v1/lineage?depth=3&ref=churn%40prod auth=Bearer tok if-match=`},
		{func() error { _, err := c.UsedBy(ctx, "sales", 0); return err },
			`GET /api/v1/used-by?ref=sales auth=Bearer tok if-match=`},
	}
	for _, tt := range tests {
		if err := tt.call(); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}

func TestModelsIteratesPages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := map[string]string{"": "p2", "p2": "p3", "p3": ""}[r.URL.Query().Get("page_token")]
		page := ModelPage{Models: []Model{{Name: "m-" + r.URL.Query().Get("page_token")}}, NextPageToken: next}
		json.NewEncoder(w).Encode(page)
	}))
	defer srv.Close()
	models, err := Collect(New(srv.URL).Models(context.Background(), ModelQuery{}))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range models {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "m-,m-p2,m-p3" {
		t.Errorf("names = %v", names)
	}
}
