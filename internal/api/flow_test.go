package api_test

import (
	"fmt"
	"hash/crc32"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

func TestHealthAndSpec(t *testing.T) {
	a := newTestAPI(t)
	a.do("GET", "/healthz", "", nil).ok(200)
	a.do("GET", "/readyz", "", nil).ok(200)
	spec := a.do("GET", "/api/v1/openapi.yaml", "", nil).ok(200)
	if !strings.Contains(string(spec.body), "openapi: 3") {
		t.Fatal("spec endpoint does not serve the OpenAPI document")
	}
	var who struct{ Name, Role string }
	a.do("GET", "/api/v1/whoami", a.writer, nil).ok(200).decode(&who)
	if who.Name != "ci-writer" || who.Role != "writer" {
		t.Fatalf("whoami = %+v", who)
	}
}

func TestMetricsCountRequestsAndStore(t *testing.T) {
	a := newTestAPI(t)
	a.push("iris", map[string]string{"model.bin": "weights"}, nil)
	body := string(a.do("GET", "/metrics", "", nil).ok(200).body)
	for _, want := range []string{
		`modelry_http_requests_total{code="201",route="POST /api/v1/models/{model}/versions"} 1`,
		`modelry_http_request_duration_seconds_bucket{route="PUT /api/v1/blobs/{digest}"`,
		`modelry_http_request_bytes_total{route="PUT /api/v1/blobs/{digest}"} 7`,
		"modelry_versions_stored 1",
		"modelry_blobs_stored 1",
		"modelry_blob_bytes_stored 7",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestModelLifecycle(t *testing.T) {
	a := newTestAPI(t)
	var m registry.Model
	a.do("POST", "/api/v1/models", a.writer, map[string]any{"name": "churn", "description": "d", "tags": map[string]string{"team": "growth"}}).ok(201).decode(&m)
	if m.Name != "churn" || m.Tags["team"] != "growth" || m.CreatedBy != "ci-writer" {
		t.Fatalf("created %+v", m)
	}
	a.do("POST", "/api/v1/models", a.writer, map[string]any{"name": "churn"}).fails(409, "ALREADY_EXISTS", `"churn" already exists`)
	m = registry.Model{}
	a.do("PATCH", "/api/v1/models/churn", a.writer, map[string]any{"description": "new", "set_tags": map[string]string{"tier": "1"}, "remove_tags": []string{"team"}}).ok(200).decode(&m)
	if m.Description != "new" || m.Tags["tier"] != "1" || m.Tags["team"] != "" {
		t.Fatalf("patched %+v", m)
	}
	a.do("GET", "/api/v1/models/churn", a.reader, nil).ok(200)
	a.do("DELETE", "/api/v1/models/churn", a.admin, nil).ok(204)
	a.do("GET", "/api/v1/models/churn", a.reader, nil).fails(404, "NOT_FOUND", `model "churn" not found`)
}

func TestListModelsFiltersAndPages(t *testing.T) {
	a := newTestAPI(t)
	for _, n := range []string{"a1", "a2", "a3", "b1"} {
		a.push(n, map[string]string{"f": n}, map[string]any{"aliases": []string{"prod"}})
	}
	a.do("PATCH", "/api/v1/models/a2", a.writer, map[string]any{"set_tags": map[string]string{"team": "x"}}).ok(200)
	var names []string
	token := ""
	for {
		var page struct {
			Models        []registry.Model
			NextPageToken string `json:"next_page_token"`
		}
		a.do("GET", "/api/v1/models?prefix=a&page_size=2&page_token="+url.QueryEscape(token), a.reader, nil).ok(200).decode(&page)
		for _, m := range page.Models {
			names = append(names, m.Name)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	if !slices.Equal(names, []string{"a1", "a2", "a3"}) {
		t.Fatalf("paged prefix listing = %v", names)
	}
	var tagged struct{ Models []registry.Model }
	a.do("GET", "/api/v1/models?tag=team=x", a.reader, nil).ok(200).decode(&tagged)
	if len(tagged.Models) != 1 || tagged.Models[0].Name != "a2" {
		t.Fatalf("tag filter = %+v", tagged.Models)
	}
	a.do("GET", "/api/v1/models?alias=prod", a.reader, nil).ok(200).decode(&tagged)
	if len(tagged.Models) != 4 || tagged.Models[0].Aliases["prod"] != 1 {
		t.Fatalf("alias filter = %+v", tagged.Models)
	}
}

func TestVersionLifecycle(t *testing.T) {
	a := newTestAPI(t)
	v1 := a.push("iris", map[string]string{"model.pkl": "one", "conf/params.json": "{}"}, map[string]any{
		"label": "1.0", "metrics": map[string]float64{"accuracy": 0.93}, "params": map[string]string{"C": "1.0"},
		"tags": map[string]string{"stage": "dev"}, "description": "first", "aliases": []string{"staging"},
	})
	if v1.Number != 1 || v1.Label != "1.0" || v1.Metrics["accuracy"] != 0.93 || !slices.Equal(v1.Aliases, []string{"staging"}) {
		t.Fatalf("v1 = %+v", v1)
	}
	if len(v1.Files) != 2 || v1.Files[0].Path != "conf/params.json" || v1.Size != 5 || !strings.HasPrefix(v1.Digest, "sha256:") {
		t.Fatalf("v1 files = %+v size %d", v1.Files, v1.Size)
	}
	v2 := a.push("iris", map[string]string{"model.pkl": "one", "conf/params.json": "{}"}, nil)
	if v2.Number != 2 || v2.Digest != v1.Digest {
		t.Fatalf("same files must give the same digest: %s vs %s", v2.Digest, v1.Digest)
	}
	for ref, want := range map[string]int64{"iris": 2, "iris/1": 1, "iris:1.0": 1, "iris@staging": 1, "iris@" + v1.Digest: 2, "models:/iris/1": 1, "models:/iris@staging": 1} {
		var got registry.Version
		a.do("GET", "/api/v1/resolve?ref="+url.QueryEscape(ref), a.reader, nil).ok(200).decode(&got)
		if got.Number != want {
			t.Errorf("resolve %s = %d, want %d", ref, got.Number, want)
		}
	}
	var got registry.Version
	a.do("GET", "/api/v1/models/iris/versions/1", a.reader, nil).ok(200).decode(&got)
	a.do("PATCH", "/api/v1/models/iris/versions/1", a.writer, map[string]any{"set_tags": map[string]string{"reviewed": "yes"}}).ok(200).decode(&got)
	if got.Tags["reviewed"] != "yes" || got.Tags["stage"] != "dev" {
		t.Fatalf("tags after patch = %v", got.Tags)
	}
	file := a.do("GET", "/api/v1/models/iris/versions/1/files/model.pkl", a.reader, nil).ok(200)
	if string(file.body) != "one" {
		t.Fatalf("file body %q", file.body)
	}
	// Delete v2: its number is never reused, and it disappears from listings.
	a.do("DELETE", "/api/v1/models/iris/versions/2", a.writer, nil).ok(200).decode(&got)
	if got.DeletedAt == nil {
		t.Fatal("deleted version has no deleted_at")
	}
	a.do("GET", "/api/v1/models/iris/versions/2", a.reader, nil).fails(404, "NOT_FOUND", "was deleted")
	if v3 := a.push("iris", map[string]string{"model.pkl": "three"}, nil); v3.Number != 3 {
		t.Fatalf("after deleting 2 the next number is %d, want 3", v3.Number)
	}
	var list struct{ Versions []registry.Version }
	a.do("GET", "/api/v1/models/iris/versions", a.reader, nil).ok(200).decode(&list)
	if len(list.Versions) != 2 || list.Versions[0].Number != 3 || list.Versions[1].Number != 1 {
		t.Fatalf("listing = %+v", list.Versions)
	}
	a.do("GET", "/api/v1/models/iris/versions?include_deleted=true&tag=reviewed", a.reader, nil).ok(200).decode(&list)
	if len(list.Versions) != 1 || list.Versions[0].Number != 1 {
		t.Fatalf("tag filter = %+v", list.Versions)
	}
	a.do("GET", "/api/v1/models/iris/versions?alias=staging&include_deleted=true", a.reader, nil).ok(200).decode(&list)
	if len(list.Versions) != 1 || list.Versions[0].Number != 1 {
		t.Fatalf("alias filter = %+v", list.Versions)
	}
}

func TestAliasesHistoryAndRollback(t *testing.T) {
	a := newTestAPI(t)
	for i := 0; i < 3; i++ {
		a.push("iris", map[string]string{"m": string(rune('a' + i))}, nil)
	}
	set := func(version int64, hdr ...string) *response {
		return a.do("PUT", "/api/v1/models/iris/aliases/production", a.writer, map[string]any{"version": version, "reason": "ship"}, hdr...)
	}
	set(1).ok(200)
	before := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	set(2, "If-Match", `"1"`).ok(200)
	set(3, "If-Match", `"1"`).fails(412, "FAILED_PRECONDITION", "points at version 2, not version 1")

	alias := a.do("GET", "/api/v1/models/iris/aliases/production", a.reader, nil).ok(200)
	if alias.header.Get("ETag") != `"2"` {
		t.Fatalf("ETag = %q", alias.header.Get("ETag"))
	}
	var mv registry.AliasMove
	a.do("POST", "/api/v1/models/iris/aliases/production/rollback", a.writer, map[string]any{"reason": "bad canary"}).ok(200).decode(&mv)
	if mv.From != 2 || mv.To != 1 || mv.Reason != "bad canary" || mv.Actor != "ci-writer" {
		t.Fatalf("rollback move = %+v", mv)
	}
	var hist struct{ Moves []registry.AliasMove }
	a.do("GET", "/api/v1/models/iris/aliases/production/history", a.reader, nil).ok(200).decode(&hist)
	if len(hist.Moves) != 3 || hist.Moves[0].To != 1 || hist.Moves[1].To != 2 || hist.Moves[2].From != 0 {
		t.Fatalf("history = %+v", hist.Moves)
	}
	// What did production point at just before the second move?
	a.do("GET", "/api/v1/models/iris/aliases/production/history?at="+before.Format(time.RFC3339Nano), a.reader, nil).ok(200).decode(&hist)
	if len(hist.Moves) == 0 || hist.Moves[0].To != 1 {
		t.Fatalf("history at %s = %+v", before, hist.Moves)
	}
	var list struct{ Aliases []registry.Alias }
	a.do("GET", "/api/v1/models/iris/aliases", a.reader, nil).ok(200).decode(&list)
	if len(list.Aliases) != 1 || list.Aliases[0].Version != 1 {
		t.Fatalf("aliases = %+v", list.Aliases)
	}
	a.do("DELETE", "/api/v1/models/iris/versions/1", a.writer, nil).fails(412, "FAILED_PRECONDITION", "target of alias production")
	a.do("DELETE", "/api/v1/models/iris/aliases/production?reason=retire", a.writer, nil).ok(200).decode(&mv)
	if mv.From != 1 || mv.To != 0 {
		t.Fatalf("remove move = %+v", mv)
	}
	a.do("GET", "/api/v1/models/iris/aliases/production", a.reader, nil).fails(404, "NOT_FOUND", `no alias "production"`)
}

func TestBlobsAndEvents(t *testing.T) {
	a := newTestAPI(t)
	data := []byte("0123456789")
	d := digestOf(data)
	a.do("HEAD", "/api/v1/blobs/"+d, a.reader, nil).ok(404)
	a.do("PUT", "/api/v1/blobs/"+d, a.writer, data).ok(201)
	a.do("PUT", "/api/v1/blobs/"+d, a.writer, data).ok(200)
	head := a.do("HEAD", "/api/v1/blobs/"+d, a.reader, nil).ok(200)
	if head.header.Get("Content-Length") != "10" {
		t.Fatalf("HEAD Content-Length = %q", head.header.Get("Content-Length"))
	}
	part := a.do("GET", "/api/v1/blobs/"+d, a.reader, nil, "Range", "bytes=2-4").ok(206)
	if string(part.body) != "234" {
		t.Fatalf("range body %q", part.body)
	}
	var events struct {
		Events    []registry.Event
		NextAfter int64 `json:"next_after"`
	}
	a.push("iris", map[string]string{"m": "x"}, map[string]any{"aliases": []string{"prod"}})
	a.do("GET", "/api/v1/events?model=iris", a.reader, nil).ok(200).decode(&events)
	var types []string
	for _, e := range events.Events {
		types = append(types, e.Type)
	}
	if !slices.Equal(types, []string{"model.created", "version.created", "alias.set"}) || events.Events[1].Actor != "ci-writer" {
		t.Fatalf("events = %v", types)
	}
	a.do("GET", "/api/v1/events?after="+itoa(events.NextAfter), a.reader, nil).ok(200).decode(&events)
	if len(events.Events) != 0 {
		t.Fatalf("events after the last = %+v", events.Events)
	}
}

func TestStreamedUploadAndNewSizes(t *testing.T) {
	a := newTestAPI(t)
	data := []byte("streamed without a digest")
	var missing struct {
		Missing  []string
		NewSizes []int64 `json:"new_sizes"`
	}
	a.do("POST", "/api/v1/blobs/missing", a.writer, map[string]any{"digests": []string{}, "sizes": []int64{int64(len(data)), 5, 5}}).ok(200).decode(&missing)
	if !slices.Equal(missing.NewSizes, []int64{int64(len(data)), 5}) {
		t.Fatalf("new_sizes on an empty store = %v", missing.NewSizes)
	}
	var blob struct {
		Digest string
		Size   int64
		CRC32C string
	}
	a.do("POST", "/api/v1/blobs", a.writer, data).ok(201).decode(&blob)
	wantCRC := fmt.Sprintf("%08x", crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	if blob.Digest != digestOf(data) || blob.Size != int64(len(data)) || blob.CRC32C != wantCRC {
		t.Fatalf("streamed blob = %+v, want digest %s and crc32c %s", blob, digestOf(data), wantCRC)
	}
	a.do("POST", "/api/v1/blobs", a.writer, data).ok(201) // again: stored once, same answer
	a.do("POST", "/api/v1/blobs/missing", a.writer, map[string]any{"digests": []string{blob.Digest}, "sizes": []int64{int64(len(data)), 5}}).ok(200).decode(&missing)
	if len(missing.Missing) != 0 || !slices.Equal(missing.NewSizes, []int64{5}) {
		t.Fatalf("after the upload: %+v", missing)
	}
	a.do("POST", "/api/v1/blobs", a.reader, data).fails(403, "PERMISSION_DENIED", "needs writer")
	a.do("POST", "/api/v1/blobs/missing", a.writer, map[string]any{"digests": []string{}, "sizes": []int64{-1}}).fails(400, "INVALID_ARGUMENT", "negative")
	if n, _ := a.svc.Blobs().(interface{ Usage() (int64, int64) }).Usage(); n != 1 {
		t.Fatalf("store holds %d blobs, want 1", n)
	}
}

func TestTokens(t *testing.T) {
	a := newTestAPI(t)
	var list struct {
		Tokens []struct{ ID, Name, Role string }
	}
	a.do("GET", "/api/v1/tokens", a.admin, nil).ok(200).decode(&list)
	if len(list.Tokens) != 3 {
		t.Fatalf("tokens = %+v", list.Tokens)
	}
	var id string
	for _, tk := range list.Tokens {
		if tk.Name == "dashboard" {
			id = tk.ID
		}
	}
	a.do("DELETE", "/api/v1/tokens/"+id, a.admin, nil).ok(204)
	a.do("GET", "/api/v1/models", a.reader, nil).fails(401, "UNAUTHENTICATED", "revoked")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
