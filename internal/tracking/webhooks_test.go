package tracking

import (
	"strings"
	"testing"
)

func TestValidateWebhook(t *testing.T) {
	ok := Webhook{Name: "ci", URL: "https://ci.example/hook", Status: "ACTIVE",
		Events: []WebhookEvent{{"model_version", "created"}}}
	if err := ValidateWebhook(ok); err != nil {
		t.Fatalf("valid webhook refused: %v", err)
	}
	for _, tc := range []struct {
		edit func(*Webhook)
		want string
	}{
		{func(w *Webhook) { w.Name = " " }, "name"},
		{func(w *Webhook) { w.URL = "file:///etc/passwd" }, "http or https"},
		{func(w *Webhook) { w.Events = nil }, "cannot be empty"},
		{func(w *Webhook) { w.Events = []WebhookEvent{{"model_version", "set"}} }, "model_version.set"},
		{func(w *Webhook) { w.Status = "PAUSED" }, "status"},
	} {
		w := ok
		tc.edit(&w)
		if err := ValidateWebhook(w); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidateWebhook(%+v) = %v, want an error about %q", w, err, tc.want)
		}
	}
}
