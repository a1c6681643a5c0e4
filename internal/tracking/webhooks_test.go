package tracking

import (
	"strings"
	"testing"
)

// TestSign pins the signature to one computed with Python's hmac, as the
// MLflow documentation's receiver verifies it.
func TestSign(t *testing.T) {
	got := Sign("k", "id1", "1700000000", []byte(`{"a":1}`))
	if want := "v1,FO2mgBpaeFZ6i+UZyd/MQvAu2RnyqBYwbj+9SXeEX5U="; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

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
