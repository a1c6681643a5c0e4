package tracking

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// Webhook is an MLflow 3 webhook: registry changes matching Events are
// POSTed to URL, signed with Secret when one is set.
type Webhook struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	URL         string         `json:"url"`
	Events      []WebhookEvent `json:"events"`
	Secret      string         `json:"secret,omitempty"`
	Status      string         `json:"status"` // ACTIVE or DISABLED
	CreatedAt   int64          `json:"created_at"`
	UpdatedAt   int64          `json:"updated_at"`
}

// WebhookEvent is an entity and action in lower case, e.g.
// model_version / created.
type WebhookEvent struct {
	Entity string `json:"entity"`
	Action string `json:"action"`
}

// validEvents are the pairs MLflow accepts (prompts are not served).
var validEvents = map[WebhookEvent]bool{
	{"registered_model", "created"}: true, {"model_version", "created"}: true,
	{"model_version_tag", "set"}: true, {"model_version_tag", "deleted"}: true,
	{"model_version_alias", "created"}: true, {"model_version_alias", "deleted"}: true,
}

// WebhookStore keeps webhooks.
type WebhookStore interface {
	PutWebhook(ctx context.Context, w Webhook) error
	// GetWebhook returns KindNotFound when absent.
	GetWebhook(ctx context.Context, id string) (Webhook, error)
	// ListWebhooks lists by CreatedAt, then ID.
	ListWebhooks(ctx context.Context) ([]Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error
}

// ValidateWebhook checks a webhook's name, URL, events and status.
func ValidateWebhook(w Webhook) error {
	if strings.TrimSpace(w.Name) == "" {
		return registry.E(registry.KindInvalid, "Missing value for required parameter 'name'.")
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return registry.E(registry.KindInvalid, "Invalid webhook URL: '%s'. It must be an http or https URL.", w.URL)
	}
	if len(w.Events) == 0 {
		return registry.E(registry.KindInvalid, "Webhook events cannot be empty.")
	}
	for _, e := range w.Events {
		if !validEvents[e] {
			return registry.E(registry.KindInvalid, "Invalid webhook event: %s.%s", e.Entity, e.Action)
		}
	}
	if w.Status != "ACTIVE" && w.Status != "DISABLED" {
		return registry.E(registry.KindInvalid, "Invalid webhook status: '%s'", w.Status)
	}
	return nil
}

// CreateWebhook stores a new webhook; it needs an admin, since a webhook
// sends registry data to any URL.
func (s *Service) CreateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	if _, err := need(ctx, registry.RoleAdmin); err != nil {
		return Webhook{}, err
	}
	if w.Status == "" {
		w.Status = "ACTIVE"
	}
	if err := ValidateWebhook(w); err != nil {
		return Webhook{}, err
	}
	w.ID = newHexID()
	w.CreatedAt = s.nowMS()
	w.UpdatedAt = w.CreatedAt
	return w, s.store.PutWebhook(ctx, w)
}

// GetWebhook reads a webhook.
func (s *Service) GetWebhook(ctx context.Context, id string) (Webhook, error) {
	if _, err := need(ctx, registry.RoleReader); err != nil {
		return Webhook{}, err
	}
	return s.store.GetWebhook(ctx, id)
}

// ListWebhooks reads every webhook, oldest first.
func (s *Service) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	if _, err := need(ctx, registry.RoleReader); err != nil {
		return nil, err
	}
	return s.store.ListWebhooks(ctx)
}

// UpdateWebhook applies fn to a webhook and stores it if still valid.
func (s *Service) UpdateWebhook(ctx context.Context, id string, fn func(*Webhook)) (Webhook, error) {
	if _, err := need(ctx, registry.RoleAdmin); err != nil {
		return Webhook{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w, err := s.store.GetWebhook(ctx, id)
	if err != nil {
		return Webhook{}, err
	}
	fn(&w)
	if err := ValidateWebhook(w); err != nil {
		return Webhook{}, err
	}
	w.UpdatedAt = s.nowMS()
	return w, s.store.PutWebhook(ctx, w)
}

// DeleteWebhook removes a webhook.
func (s *Service) DeleteWebhook(ctx context.Context, id string) error {
	if _, err := need(ctx, registry.RoleAdmin); err != nil {
		return err
	}
	if _, err := s.store.GetWebhook(ctx, id); err != nil {
		return err
	}
	return s.store.DeleteWebhook(ctx, id)
}

// TestWebhook sends one example event (ev, or the webhook's first) now.
// It needs an admin: it makes the server call a URL.
func (s *Service) TestWebhook(ctx context.Context, id string, ev *WebhookEvent) (DeliveryResult, error) {
	if _, err := need(ctx, registry.RoleAdmin); err != nil {
		return DeliveryResult{}, err
	}
	w, err := s.store.GetWebhook(ctx, id)
	if err != nil {
		return DeliveryResult{}, err
	}
	event := w.Events[0]
	if ev != nil {
		event = *ev
	}
	data := map[string]any{"name": "example_model", "version": "1", "tags": map[string]string{}}
	return s.deliver.Deliver(ctx, w, event, data)
}

// Fire delivers an event that happened at time at to every active webhook
// that subscribes to it and existed by then, in the background and best
// effort, as MLflow does: the registry change has already committed.
func (s *Service) Fire(ctx context.Context, at time.Time, ev WebhookEvent, data map[string]any) {
	hooks, err := s.store.ListWebhooks(context.WithoutCancel(ctx))
	if err != nil {
		return
	}
	for _, w := range hooks {
		if w.Status != "ACTIVE" || !subscribes(w, ev) || w.CreatedAt > at.UnixMilli() {
			continue
		}
		go func() { _, _ = s.deliver.Deliver(context.Background(), w, ev, data) }()
	}
}

func subscribes(w Webhook, ev WebhookEvent) bool {
	for _, e := range w.Events {
		if e == ev {
			return true
		}
	}
	return false
}

// DeliveryResult is what one delivery attempt got back.
type DeliveryResult struct {
	Status int
	Body   string
}

// Deliverer sends one webhook event to its URL. The wire format (payload,
// headers, signature) is the transport's business: internal/api/mlflow
// implements it the way MLflow does.
type Deliverer interface {
	Deliver(ctx context.Context, w Webhook, ev WebhookEvent, data map[string]any) (DeliveryResult, error)
}

// noDeliverer is used when the service was built without a Deliverer.
type noDeliverer struct{}

func (noDeliverer) Deliver(context.Context, Webhook, WebhookEvent, map[string]any) (DeliveryResult, error) {
	return DeliveryResult{}, registry.E(registry.KindUnavailable, "webhook delivery is not configured on this server")
}
