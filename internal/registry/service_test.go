package registry_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/storetest"
)

// newService returns a service over real stores in a temp dir, and a
// context acting as a writer.
func newService(t *testing.T, opts ...registry.Option) (*registry.Service, context.Context) {
	t.Helper()
	st := storetest.Open(t)
	store, blobs := st.Meta, st.Blobs
	ctx := registry.WithPrincipal(context.Background(), registry.Principal{Name: "alice", Role: registry.RoleAdmin})
	return registry.New(store, blobs, opts...), ctx
}

// version stores content as a blob and returns a NewVersion holding it.
func version(t *testing.T, svc *registry.Service, ctx context.Context, content string) registry.NewVersion {
	t.Helper()
	sum := sha256.Sum256([]byte(content))
	d := "sha256:" + hex.EncodeToString(sum[:])
	if err := svc.PutBlob(ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	return registry.NewVersion{Files: []registry.File{{Path: "model.bin", Size: int64(len(content)), Digest: d, Mode: 0o644}}}
}

func TestCreateVersionNeedsEveryBlobAndCreatesNothingOtherwise(t *testing.T) {
	svc, ctx := newService(t)
	in := registry.NewVersion{Files: []registry.File{{Path: "a", Size: 1, Digest: "sha256:" + strings.Repeat("0", 64), Mode: 0o644}}}
	_, err := svc.CreateVersion(ctx, "iris", in)
	if !registry.Is(err, registry.KindMissingBlobs) {
		t.Fatalf("err = %v, want MISSING_BLOBS", err)
	}
	if _, err := svc.GetModel(ctx, "iris"); !registry.Is(err, registry.KindNotFound) {
		t.Fatalf("a failed push created the model: %v", err)
	}
	events, _ := svc.ListEvents(ctx, registry.EventQuery{})
	if len(events) != 0 {
		t.Fatalf("a failed push logged events: %+v", events)
	}
}

// TestCreateVersionOfExistingModelOnly: with Existing, a version of a
// missing model is KindNotFound and creates nothing; of a model that
// exists, it is created as usual.
func TestCreateVersionOfExistingModelOnly(t *testing.T) {
	svc, ctx := newService(t)
	in := version(t, svc, ctx, "w")
	in.Existing = true
	if _, err := svc.CreateVersion(ctx, "iris", in); !registry.Is(err, registry.KindNotFound) {
		t.Fatalf("a version of a missing model: %v; want KindNotFound", err)
	}
	if _, err := svc.GetModel(ctx, "iris"); !registry.Is(err, registry.KindNotFound) {
		t.Fatalf("the model was created anyway: %v", err)
	}
	if _, err := svc.CreateModel(ctx, registry.NewModel{Name: "iris"}); err != nil {
		t.Fatal(err)
	}
	if v, err := svc.CreateVersion(ctx, "iris", in); err != nil || v.Number != 1 {
		t.Fatalf("a version of an existing model: %+v, %v", v, err)
	}
}

func TestFailedAliasInPushRollsBackTheVersion(t *testing.T) {
	svc, ctx := newService(t)
	in := version(t, svc, ctx, "w")
	in.Aliases = []string{"prod"}
	in.Label = "1.0"
	if _, err := svc.CreateVersion(ctx, "iris", in); err != nil {
		t.Fatal(err)
	}
	// Same label again: the whole push fails and nothing of it remains.
	if _, err := svc.CreateVersion(ctx, "iris", in); !registry.Is(err, registry.KindAlreadyExists) {
		t.Fatalf("err = %v, want ALREADY_EXISTS", err)
	}
	m, _ := svc.GetModel(ctx, "iris")
	if m.LastNumber != 1 || m.VersionCount != 1 || m.Aliases["prod"] != 1 {
		t.Fatalf("model after failed push = %+v", m)
	}
}

func TestNumbersAreNeverReusedAndLabelsFreedOnDelete(t *testing.T) {
	svc, ctx := newService(t)
	in := version(t, svc, ctx, "w")
	in.Label = "1.0"
	v1, _ := svc.CreateVersion(ctx, "iris", in)
	if _, err := svc.DeleteVersion(ctx, registry.Ref{Model: "iris", Number: v1.Number}); err != nil {
		t.Fatal(err)
	}
	v2, err := svc.CreateVersion(ctx, "iris", in)
	if err != nil {
		t.Fatalf("label of a deleted version not reusable: %v", err)
	}
	if v2.Number != 2 {
		t.Fatalf("number after delete = %d, want 2", v2.Number)
	}
	got, err := svc.ResolveString(ctx, "iris:1.0")
	if err != nil || got.Number != 2 {
		t.Fatalf("iris:1.0 = %v, %v", got.Number, err)
	}
}

func TestConcurrentAliasMovesWithExpectationOnlyOneWins(t *testing.T) {
	svc, ctx := newService(t)
	for i := 0; i < 3; i++ {
		if _, err := svc.CreateVersion(ctx, "iris", version(t, svc, ctx, string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.SetAlias(ctx, "iris", "prod", 1, registry.AliasOptions{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]error, 10)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			one := int64(1)
			_, results[i] = svc.SetAlias(ctx, "iris", "prod", int64(2+i%2), registry.AliasOptions{Expect: &one})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		switch {
		case err == nil:
			wins++
		case !registry.Is(err, registry.KindPrecondition):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d movers won; exactly one may", wins)
	}
	hist, _, _ := svc.AliasHistory(ctx, "iris", "prod", registry.HistoryQuery{})
	if len(hist) != 2 {
		t.Fatalf("history has %d moves, want 2", len(hist))
	}
}

func TestConcurrentPushesGetDistinctNumbers(t *testing.T) {
	svc, ctx := newService(t)
	in := version(t, svc, ctx, "w")
	var wg sync.WaitGroup
	numbers := make([]int64, 20)
	for i := range numbers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := svc.CreateVersion(ctx, "iris", in)
			if err != nil {
				t.Error(err)
			}
			numbers[i] = v.Number
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, n := range numbers {
		if seen[n] || n < 1 || n > 20 {
			t.Fatalf("numbers %v are not 1..20 without repeats", numbers)
		}
		seen[n] = true
	}
}

func TestAliasAtAnswersForAnyPastTime(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	svc, ctx := newService(t, registry.WithClock(func() time.Time { return now }))
	for i := 0; i < 2; i++ {
		svc.CreateVersion(ctx, "iris", version(t, svc, ctx, string(rune('a'+i))))
	}
	svc.SetAlias(ctx, "iris", "production", 1, registry.AliasOptions{}) // 12:00
	now = now.Add(3 * time.Hour)
	svc.SetAlias(ctx, "iris", "production", 2, registry.AliasOptions{Reason: "v2 ships"}) // 15:00
	now = now.Add(time.Hour)
	svc.Rollback(ctx, "iris", "production", "") // 16:00
	for at, want := range map[string]int64{"11:59": 0, "12:00": 1, "14:00": 1, "15:30": 2, "16:00": 1} {
		ts, _ := time.Parse("2006-01-02 15:04", "2026-11-20 "+at)
		got, _, err := svc.AliasAt(ctx, "iris", "production", ts)
		if err != nil || got != want {
			t.Errorf("production at %s = %d (%v), want %d", at, got, err, want)
		}
	}
	// Rolling back twice returns to where it started.
	mv, err := svc.Rollback(ctx, "iris", "production", "")
	if err != nil || mv.To != 2 || mv.Reason != "rollback" {
		t.Fatalf("second rollback = %+v, %v", mv, err)
	}
}

func TestRoles(t *testing.T) {
	svc, admin := newService(t)
	reader := registry.WithPrincipal(context.Background(), registry.Principal{Name: "r", Role: registry.RoleReader})
	if _, err := svc.CreateModel(reader, registry.NewModel{Name: "x"}); !registry.Is(err, registry.KindPermission) {
		t.Fatalf("reader created a model: %v", err)
	}
	if _, _, err := svc.ListModels(context.Background(), registry.ModelQuery{}); !registry.Is(err, registry.KindUnauthenticated) {
		t.Fatalf("anonymous listed models: %v", err)
	}
	secret, _, err := svc.CreateToken(admin, "bot", registry.RoleWriter)
	if err != nil || !strings.HasPrefix(secret, registry.TokenPrefix) {
		t.Fatalf("CreateToken = %q, %v", secret, err)
	}
	p, err := svc.Authenticate(context.Background(), secret)
	if err != nil || p.Role != registry.RoleWriter || p.Name != "bot" {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
}

func TestBootstrap(t *testing.T) {
	svc, ctx := newService(t)
	first, err := svc.Bootstrap(ctx, "")
	if err != nil || !strings.HasPrefix(first, registry.TokenPrefix) {
		t.Fatalf("first bootstrap = %q, %v", first, err)
	}
	if again, _ := svc.Bootstrap(ctx, ""); again != "" {
		t.Fatal("a second start printed another admin token")
	}
	if _, err := svc.Bootstrap(ctx, "short"); !registry.Is(err, registry.KindInvalid) {
		t.Fatalf("short env token accepted: %v", err)
	}
	env := "an-operator-chosen-secret"
	if _, err := svc.Bootstrap(ctx, env); err != nil {
		t.Fatal(err)
	}
	if p, err := svc.Authenticate(ctx, env); err != nil || p.Role != registry.RoleAdmin {
		t.Fatalf("env token = %+v, %v", p, err)
	}
	ts, _ := svc.ListTokens(ctx)
	if _, err := svc.Bootstrap(ctx, env); err != nil {
		t.Fatal(err)
	}
	if ts2, _ := svc.ListTokens(ctx); len(ts2) != len(ts) {
		t.Fatal("bootstrapping the same env token twice added it twice")
	}
}

func TestBootstrapFromEnvOnAnEmptyStoreIsNamedAdmin(t *testing.T) {
	svc, ctx := newService(t)
	if _, err := svc.Bootstrap(ctx, "an-operator-chosen-secret"); err != nil {
		t.Fatal(err)
	}
	ts, err := svc.ListTokens(ctx)
	if err != nil || len(ts) != 1 || ts[0].Name != "admin" || ts[0].Role != registry.RoleAdmin {
		t.Fatalf("tokens = %+v, %v; want one admin token named admin", ts, err)
	}
}
