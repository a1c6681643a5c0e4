package registry_test

import (
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

func TestRenameModelMovesVersionsAndAliases(t *testing.T) {
	svc, ctx := newService(t)
	in := version(t, svc, ctx, "weights")
	in.Aliases = []string{"prod"}
	if _, err := svc.CreateVersion(ctx, "iris", in); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateModel(ctx, registry.NewModel{Name: "taken"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RenameModel(ctx, "iris", "taken"); !registry.Is(err, registry.KindAlreadyExists) {
		t.Fatalf("rename onto a taken name: %v, want ALREADY_EXISTS", err)
	}
	if _, err := svc.RenameModel(ctx, "nope", "x"); !registry.Is(err, registry.KindNotFound) {
		t.Fatalf("rename of a missing model: %v, want NOT_FOUND", err)
	}
	reader := registry.WithPrincipal(ctx, registry.Principal{Name: "r", Role: registry.RoleReader})
	if _, err := svc.RenameModel(reader, "iris", "flower"); !registry.Is(err, registry.KindPermission) {
		t.Fatalf("rename by a reader: %v, want PERMISSION_DENIED", err)
	}

	m, err := svc.RenameModel(ctx, "iris", "flower")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "flower" || m.Aliases["prod"] != 1 {
		t.Fatalf("renamed model = %+v", m)
	}
	v, err := svc.ResolveString(ctx, "flower@prod")
	if err != nil || v.Number != 1 || v.Model != "flower" {
		t.Fatalf("flower@prod = %v, %v", v, err)
	}
	if _, err := svc.ResolveString(ctx, "iris"); !registry.Is(err, registry.KindNotFound) {
		t.Fatalf("the old name still resolves: %v", err)
	}
	events, _ := svc.ListEvents(ctx, registry.EventQuery{Type: registry.EventModelRenamed})
	if len(events) != 1 || events[0].Model != "flower" || events[0].Data["from"] != "iris" {
		t.Fatalf("rename events = %+v", events)
	}
}
