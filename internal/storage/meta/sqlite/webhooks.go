package sqlite

import (
	"context"

	"github.com/modelry/modelry/internal/tracking"
)

func (t Tracking) PutWebhook(ctx context.Context, w tracking.Webhook) error {
	return t.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, `INSERT OR REPLACE INTO webhooks (id, doc) VALUES (?, ?)`, w.ID, mustJSON(w))
		return maybeStoreError(ctx, err, "put webhook")
	})
}

func (t Tracking) GetWebhook(ctx context.Context, id string) (w tracking.Webhook, err error) {
	err = t.getDoc(ctx, &w, "Webhook with ID "+id+" not found.", `SELECT doc FROM webhooks WHERE id = ?`, id)
	return w, err
}

func (t Tracking) ListWebhooks(ctx context.Context) ([]tracking.Webhook, error) {
	return listDocs[tracking.Webhook](ctx, t, `SELECT doc FROM webhooks ORDER BY json_extract(doc, '$.created_at'), id`)
}

func (t Tracking) DeleteWebhook(ctx context.Context, id string) error {
	return t.write(ctx, func(c *conn) error {
		_, err := c.exec(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
		return maybeStoreError(ctx, err, "delete webhook")
	})
}
