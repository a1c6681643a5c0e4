package mlflow_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/api/mlflow"
	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/storetest"
	"github.com/modelry/modelry/internal/tracking"
)

type delivery struct {
	Entity, Action string
	Data           map[string]any
	Signature      string
}

// TestRelayFiresOnRegistryEvents changes the registry through the service
// (as the REST API and CLI do) and checks what reaches a webhook receiver.
func TestRelayFiresOnRegistryEvents(t *testing.T) {
	ctx, cancel := context.WithCancel(registry.WithPrincipal(t.Context(), registry.Principal{Name: "admin", Role: registry.RoleAdmin}))
	defer cancel()
	st := storetest.Open(t)
	store, blobs := st.Meta, st.Blobs
	reg := registry.New(store, blobs)
	trk := tracking.New(store.Tracking(), blobs, tracking.WithDeliverer(mlflow.Deliverer{}))

	got := make(chan delivery, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d delivery
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &d)
		d.Signature = r.Header.Get("X-MLflow-Signature")
		got <- d
	}))
	defer recv.Close()
	// The relay polls every 300 ms, so "early" (made before the webhook)
	// and "iris" (after) are relayed in the same poll: only iris is sent.
	go mlflow.NewRelay(reg, trk, 300*time.Millisecond).Run(ctx)
	time.Sleep(30 * time.Millisecond) // let the relay take its starting point
	if _, err := reg.CreateModel(ctx, registry.NewModel{Name: "early"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	_, err := trk.CreateWebhook(ctx, tracking.Webhook{Name: "t", URL: recv.URL, Secret: "s", Events: []tracking.WebhookEvent{
		{Entity: "registered_model", Action: "created"}, {Entity: "model_version_alias", Action: "deleted"},
		{Entity: "model_version_tag", Action: "deleted"},
	}})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := reg.CreateModel(ctx, registry.NewModel{Name: "iris", Tags: map[string]string{"team": "ml"}}); err != nil {
		t.Fatal(err)
	}
	want(t, got, "registered_model", "created", map[string]any{"name": "iris", "tags": map[string]any{"team": "ml"}, "description": ""})
	if _, err := reg.UpdateModel(ctx, "iris", registry.Patch{RemoveTags: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	select { // a model tag is not a model_version_tag
	case d := <-got:
		t.Fatalf("unexpected delivery %+v", d)
	case <-time.After(100 * time.Millisecond):
	}
}

func want(t *testing.T, got chan delivery, entity, action string, data map[string]any) {
	t.Helper()
	select {
	case d := <-got:
		if d.Entity != entity || d.Action != action || d.Signature == "" {
			t.Fatalf("got %+v, want %s.%s signed", d, entity, action)
		}
		b1, _ := json.Marshal(d.Data)
		b2, _ := json.Marshal(data)
		if string(b1) != string(b2) {
			t.Fatalf("data %s, want %s", b1, b2)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s.%s delivery", entity, action)
	}
}
