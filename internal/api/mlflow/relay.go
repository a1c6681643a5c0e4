package mlflow

import (
	"context"
	"strconv"
	"time"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/tracking"
)

// Relay turns the registry's event log into MLflow webhook deliveries, so a
// change fires the same webhooks whichever door it came through: the MLflow
// API, the REST API or the CLI.
type Relay struct {
	reg   *registry.Service
	trk   *tracking.Service
	every time.Duration
}

// NewRelay returns a relay that polls the event log every interval.
func NewRelay(reg *registry.Service, trk *tracking.Service, every time.Duration) *Relay {
	return &Relay{reg: reg, trk: trk, every: every}
}

// relayPrincipal is who the relay reads the registry as.
var relayPrincipal = registry.Principal{Name: "mlflow-webhooks", Role: registry.RoleReader}

// Run relays events logged after it starts, until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	ctx = registry.WithPrincipal(ctx, relayPrincipal)
	after, err := r.catchUp(ctx, 0, false)
	if err != nil {
		return err
	}
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if next, err := r.catchUp(ctx, after, true); err == nil {
			after = next
		}
	}
}

// catchUp reads events after seq (delivering them when deliver is set) and
// returns the last seq seen.
func (r *Relay) catchUp(ctx context.Context, seq int64, deliver bool) (int64, error) {
	for {
		events, err := r.reg.ListEvents(ctx, registry.EventQuery{AfterSeq: seq, Limit: registry.MaxPageSize})
		if err != nil {
			return seq, err
		}
		send := deliver && len(events) > 0 && r.anyActive(ctx)
		for _, e := range events {
			if send {
				r.relay(ctx, e)
			}
			seq = e.Seq
		}
		if len(events) < registry.MaxPageSize {
			return seq, nil
		}
	}
}

// anyActive reports whether a webhook may want the events just read, so
// that without one nothing more is read for them. Read after the events, it
// misses no webhook that Fire would deliver them to: those were created
// before the events, and Fire reads the webhooks again. On an error it
// answers true and leaves the decision to Fire.
func (r *Relay) anyActive(ctx context.Context) bool {
	hooks, err := r.trk.ListWebhooks(ctx)
	if err != nil {
		return true
	}
	for _, w := range hooks {
		if w.Status == "ACTIVE" {
			return true
		}
	}
	return false
}

// relay fires the MLflow events one registry event stands for.
func (r *Relay) relay(ctx context.Context, e registry.Event) {
	fire := func(entity, action string, data map[string]any) {
		r.trk.Fire(ctx, e.At, tracking.WebhookEvent{Entity: entity, Action: action}, data)
	}
	version := strconv.FormatInt(e.Version, 10)
	switch e.Type {
	case registry.EventModelCreated:
		if m, err := r.reg.GetModel(ctx, e.Model); err == nil {
			fire("registered_model", "created", map[string]any{"name": m.Name, "tags": m.Tags, "description": m.Description})
		}
	case registry.EventVersionCreated:
		if v, err := r.reg.Resolve(ctx, registry.Ref{Model: e.Model, Number: e.Version}); err == nil {
			mv := toModelVersion(v)
			fire("model_version", "created", map[string]any{"name": v.Model, "version": mv.Version,
				"source": mv.Source, "run_id": mv.RunID, "tags": tagsOf(mv.Tags), "description": v.Description})
		}
	case registry.EventVersionUpdated:
		r.relayTags(e, version, fire)
	case registry.EventAliasSet:
		fire("model_version_alias", "created", map[string]any{"name": e.Model, "alias": e.Data["alias"], "version": version})
	case registry.EventAliasRemoved:
		fire("model_version_alias", "deleted", map[string]any{"name": e.Model, "alias": e.Data["alias"]})
	}
}

// relayTags fires a tag event per tag set or removed, leaving out the
// reserved tags that hold MLflow fields.
func (r *Relay) relayTags(e registry.Event, version string, fire func(string, string, map[string]any)) {
	set, _ := e.Data["set_tags"].(map[string]any)
	for k, v := range set {
		if k != stageTag && k != runLinkTag {
			fire("model_version_tag", "set", map[string]any{"name": e.Model, "version": version, "key": k, "value": v})
		}
	}
	removed, _ := e.Data["remove_tags"].([]any)
	for _, k := range removed {
		if k != stageTag && k != runLinkTag {
			fire("model_version_tag", "deleted", map[string]any{"name": e.Model, "version": version, "key": k})
		}
	}
}

func tagsOf(kvs []keyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}
