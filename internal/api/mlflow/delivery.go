package mlflow

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/modelry/modelry/internal/tracking"
)

// Deliverer sends webhook events the way MLflow 3 does; it implements
// tracking.Deliverer.
type Deliverer struct{}

func deliveryID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// webhookClient does not follow redirects: a webhook URL must not be
// bounced elsewhere.
var webhookClient = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Deliver POSTs one event: {"entity","action","timestamp","data"} with the
// X-MLflow-Delivery-Id and X-MLflow-Timestamp headers, and when a secret is
// set X-MLflow-Signature: v1,base64(HMAC-SHA256(secret, id.timestamp.body)).
func (Deliverer) Deliver(ctx context.Context, w tracking.Webhook, ev tracking.WebhookEvent, data map[string]any) (tracking.DeliveryResult, error) {
	body, _ := json.Marshal(map[string]any{
		"entity": ev.Entity, "action": ev.Action,
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "data": data,
	})
	id := deliveryID()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return tracking.DeliveryResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	// MLflow's exact spelling (not Go's canonical X-Mlflow-...), for
	// receivers that look headers up case-sensitively.
	req.Header["X-MLflow-Delivery-Id"] = []string{id}
	req.Header["X-MLflow-Timestamp"] = []string{ts}
	if w.Secret != "" {
		req.Header["X-MLflow-Signature"] = []string{Sign(w.Secret, id, ts, body)}
	}
	res, err := webhookClient.Do(req)
	if err != nil {
		return tracking.DeliveryResult{}, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	return tracking.DeliveryResult{Status: res.StatusCode, Body: string(b)}, nil
}

// Sign is MLflow's webhook signature.
func Sign(secret, deliveryID, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(deliveryID + "." + timestamp + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
