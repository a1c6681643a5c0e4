package tracking_test

import (
	"context"
	"strings"
	"testing"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/storetest"
	"github.com/modelry/modelry/internal/tracking"
)

func newService(t *testing.T) (*tracking.Service, context.Context) {
	t.Helper()
	st := storetest.Open(t)
	store, blobs := st.Meta, st.Blobs
	ctx := registry.WithPrincipal(t.Context(), registry.Principal{Name: "w", Role: registry.RoleWriter})
	return tracking.New(store.Tracking(), blobs), ctx
}

func TestArtifactsListAndManifest(t *testing.T) {
	svc, ctx := newService(t)
	for p, body := range map[string]string{
		"0/r/artifacts/model/MLmodel":     "flavors: {}",
		"0/r/artifacts/model/data/w.bin":  "weights",
		"0/r/artifacts/model/data/x.bin":  "weights", // same bytes: one blob
		"0/r/artifacts/model-2/other.txt": "x",
	} {
		if err := svc.PutArtifact(ctx, p, int64(len(body)), strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := svc.ListArtifacts(ctx, "0/r/artifacts/model")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0] != (tracking.Entry{Name: "MLmodel", Size: 11}) || entries[1] != (tracking.Entry{Name: "data", IsDir: true}) {
		t.Fatalf("entries = %+v", entries)
	}
	files, err := svc.Files(ctx, "0/r/artifacts/model")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || files[1].Path != "data/w.bin" || files[1].Digest != files[2].Digest {
		t.Fatalf("manifest = %+v", files)
	}
	if none, _ := svc.ListArtifacts(ctx, "0/r/artifacts/model/MLmodel"); len(none) != 0 {
		t.Fatalf("listing a file gave %+v, want nothing", none)
	}
	for _, bad := range []string{"../x", "a/../b", "a//b", "a\\b", "a/./b"} {
		if err := svc.PutArtifact(ctx, bad, 1, strings.NewReader("x")); !registry.Is(err, registry.KindInvalid) {
			t.Errorf("PutArtifact(%q) = %v, want INVALID_ARGUMENT", bad, err)
		}
	}
	reader := registry.WithPrincipal(ctx, registry.Principal{Name: "r", Role: registry.RoleReader})
	if err := svc.PutArtifact(reader, "a", 1, strings.NewReader("x")); !registry.Is(err, registry.KindPermission) {
		t.Fatalf("a reader wrote an artifact: %v", err)
	}
}

func TestParamsAreImmutable(t *testing.T) {
	svc, ctx := newService(t)
	run, err := svc.CreateRun(ctx, tracking.NewRun{})
	if err != nil {
		t.Fatal(err)
	}
	if run.ExperimentID != "0" || !strings.HasPrefix(run.ArtifactURI, "mlflow-artifacts:/0/"+run.ID) || len(run.ID) != 32 {
		t.Fatalf("run = %+v", run)
	}
	if err := svc.LogBatch(ctx, run.ID, nil, map[string]string{"lr": "0.1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := svc.LogBatch(ctx, run.ID, nil, map[string]string{"lr": "0.1"}, nil); err != nil {
		t.Fatalf("re-logging the same value: %v", err)
	}
	err = svc.LogBatch(ctx, run.ID, nil, map[string]string{"lr": "0.2"}, nil)
	if !registry.Is(err, registry.KindInvalid) || !strings.Contains(err.Error(), "Changing param values is not allowed") {
		t.Fatalf("changing a param: %v", err)
	}
}
