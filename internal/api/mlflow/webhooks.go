package mlflow

import (
	"net/http"
	"strings"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/tracking"
)

func (h *Handler) webhookRoutes() {
	h.handle("POST", "/webhooks", h.createWebhook)
	h.handle("GET", "/webhooks", h.listWebhooks)
	h.handle("GET", "/webhooks/{id}", h.getWebhook)
	h.handle("PATCH", "/webhooks/{id}", h.updateWebhook)
	h.handle("DELETE", "/webhooks/{id}", h.deleteWebhook)
	h.handle("POST", "/webhooks/{id}/test", h.testWebhook)
}

// eventJSON is a webhook event on the wire: enum names, e.g. MODEL_VERSION
// and CREATED.
type eventJSON struct {
	Entity string `json:"entity"`
	Action string `json:"action"`
}

type webhookRequest struct {
	Name        *string     `json:"name"`
	Description *string     `json:"description"`
	URL         *string     `json:"url"`
	Events      []eventJSON `json:"events"`
	Secret      *string     `json:"secret"`
	Status      *string     `json:"status"`
	Event       *eventJSON  `json:"event"`
}

type webhookJSON struct {
	WebhookID            string      `json:"webhook_id"`
	Name                 string      `json:"name"`
	Description          string      `json:"description,omitempty"`
	URL                  string      `json:"url"`
	Events               []eventJSON `json:"events"`
	Status               string      `json:"status"`
	CreationTimestamp    int64       `json:"creation_timestamp"`
	LastUpdatedTimestamp int64       `json:"last_updated_timestamp"`
}

// toWebhook renders a webhook; the secret is never sent back.
func toWebhook(w tracking.Webhook) webhookJSON {
	out := webhookJSON{WebhookID: w.ID, Name: w.Name, Description: w.Description, URL: w.URL, Status: w.Status,
		CreationTimestamp: w.CreatedAt, LastUpdatedTimestamp: w.UpdatedAt}
	for _, e := range w.Events {
		out.Events = append(out.Events, eventJSON{Entity: strings.ToUpper(e.Entity), Action: strings.ToUpper(e.Action)})
	}
	return out
}

func fromEvents(in []eventJSON) []tracking.WebhookEvent {
	out := make([]tracking.WebhookEvent, 0, len(in))
	for _, e := range in {
		out = append(out, tracking.WebhookEvent{Entity: strings.ToLower(e.Entity), Action: strings.ToLower(e.Action)})
	}
	return out
}

// apply copies the fields present in the request onto w.
func (q webhookRequest) apply(w *tracking.Webhook) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&w.Name, q.Name)
	set(&w.Description, q.Description)
	set(&w.URL, q.URL)
	set(&w.Secret, q.Secret)
	set(&w.Status, q.Status)
	if q.Events != nil {
		w.Events = fromEvents(q.Events)
	}
}

func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	var hook tracking.Webhook
	req.apply(&hook)
	hook, err := h.trk.CreateWebhook(r.Context(), hook)
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"webhook": toWebhook(hook)})
}

func (h *Handler) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	hooks, err := h.trk.ListWebhooks(r.Context())
	if err != nil {
		return err
	}
	out := []webhookJSON{}
	for _, hook := range hooks {
		out = append(out, toWebhook(hook))
	}
	return reply(w, map[string]any{"webhooks": out})
}

func (h *Handler) getWebhook(w http.ResponseWriter, r *http.Request) error {
	hook, err := h.trk.GetWebhook(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"webhook": toWebhook(hook)})
}

func (h *Handler) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	hook, err := h.trk.UpdateWebhook(r.Context(), r.PathValue("id"), req.apply)
	if err != nil {
		return err
	}
	return reply(w, map[string]any{"webhook": toWebhook(hook)})
}

func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := h.trk.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return ok(w)
}

// testWebhook sends one example event now and reports what came back.
func (h *Handler) testWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	var ev *tracking.WebhookEvent
	if req.Event != nil {
		ev = &fromEvents([]eventJSON{*req.Event})[0]
	}
	res, err := h.trk.TestWebhook(r.Context(), r.PathValue("id"), ev)
	if err != nil && registry.KindOf(err) != registry.KindInternal {
		return err // the caller's mistake (unknown id, no permission)
	}
	result := map[string]any{"success": err == nil && res.Status < 300, "response_status": res.Status}
	if err != nil {
		result["error_message"] = err.Error()
	}
	return reply(w, map[string]any{"result": result})
}
