package api_test

import (
	"strings"
	"testing"
)

type gcAnswer struct {
	DryRun         bool   `json:"dry_run"`
	Grace          string `json:"grace"`
	BlobsScanned   int64  `json:"blobs_scanned"`
	BlobsLive      int64  `json:"blobs_live"`
	BlobsYoung     int64  `json:"blobs_young"`
	BlobsDeleted   int64  `json:"blobs_deleted"`
	BytesDeleted   int64  `json:"bytes_deleted"`
	RecipesDeleted int64  `json:"recipes_deleted"`
	ErrorCount     int64  `json:"error_count"`
}

func TestGarbageCollection(t *testing.T) {
	a := newTestAPI(t)
	a.push("iris", map[string]string{"model.bin": "v1 weights", "config.json": "{}"}, nil)
	a.push("iris", map[string]string{"model.bin": "v2 weights", "config.json": "{}"}, nil)
	a.do("DELETE", "/api/v1/models/iris/versions/1", a.writer, nil).ok(200)
	gone := digestOf([]byte("v1 weights"))

	var rep gcAnswer
	// The default grace period (1h) spares the fresh upload.
	a.do("POST", "/api/v1/gc", a.admin, nil).ok(200).decode(&rep)
	if rep.Grace != "1h0m0s" || rep.BlobsScanned != 3 || rep.BlobsYoung != 1 || rep.BlobsDeleted != 0 {
		t.Fatalf("default collection: %+v", rep)
	}
	a.do("POST", "/api/v1/gc", a.admin, map[string]any{"dry_run": true, "grace": "0s"}).ok(200).decode(&rep)
	if !rep.DryRun || rep.BlobsDeleted != 1 || rep.BytesDeleted != int64(len("v1 weights")) || rep.BlobsLive != 2 {
		t.Fatalf("dry run: %+v", rep)
	}
	a.do("HEAD", "/api/v1/blobs/"+gone, a.reader, nil).ok(200)

	a.do("POST", "/api/v1/gc", a.admin, map[string]any{"grace": "0"}).ok(200).decode(&rep)
	if rep.DryRun || rep.BlobsDeleted != 1 || rep.ErrorCount != 0 {
		t.Fatalf("collection: %+v", rep)
	}
	a.do("HEAD", "/api/v1/blobs/"+gone, a.reader, nil).ok(404)
	a.do("GET", "/api/v1/models/iris/versions/2/files/model.bin", a.reader, nil).ok(200)

	var events struct {
		Events []struct {
			Type  string
			Actor string
			Data  map[string]any
		}
	}
	a.do("GET", "/api/v1/events?type=gc.completed", a.reader, nil).ok(200).decode(&events)
	if len(events.Events) != 2 || events.Events[1].Data["deleted"] != float64(1) || events.Events[1].Actor != "admin" {
		t.Fatalf("gc.completed events: %+v", events.Events)
	}
	metrics := a.do("GET", "/metrics", "", nil).ok(200)
	if !strings.Contains(string(metrics.body), "modelry_gc_reclaimed_bytes_total 10\n") {
		t.Errorf("metrics lack the reclaimed bytes:\n%s", metrics.body)
	}
}

func TestGarbageCollectionRefusals(t *testing.T) {
	a := newTestAPI(t)
	a.do("POST", "/api/v1/gc", a.writer, map[string]any{"dry_run": true}).fails(403, "PERMISSION_DENIED", "needs admin")
	a.do("POST", "/api/v1/gc", "", nil).fails(401, "UNAUTHENTICATED", "token")
	a.do("POST", "/api/v1/gc", a.admin, map[string]any{"grace": "an hour"}).fails(400, "INVALID_ARGUMENT", `grace "an hour" is not a duration`)
	a.do("POST", "/api/v1/gc", a.admin, map[string]any{"grace": "-5m"}).fails(400, "INVALID_ARGUMENT", "negative")
	a.do("POST", "/api/v1/gc", a.admin, map[string]any{"grace": 60}).fails(400, "INVALID_ARGUMENT", "grace")
}
