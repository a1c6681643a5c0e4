package api

import (
	"net/http"

	"github.com/modelry/modelry/internal/registry"
)

type eventList struct {
	Events    []registry.Event `json:"events"`
	NextAfter int64            `json:"next_after"`
}

func (h *Handler) listEvents(w http.ResponseWriter, r *http.Request) error {
	after, err := queryInt(r, "after", 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 0)
	if err != nil {
		return err
	}
	if limit > registry.MaxPageSize {
		return registry.E(registry.KindInvalid, "limit %d is over the limit of %d", limit, registry.MaxPageSize)
	}
	q := r.URL.Query()
	events, err := h.svc.ListEvents(r.Context(), registry.EventQuery{
		AfterSeq: after, Model: q.Get("model"), Type: q.Get("type"), Limit: int(limit),
	})
	if err != nil {
		return err
	}
	next := after
	if len(events) > 0 {
		next = events[len(events)-1].Seq
	}
	return writeJSON(w, http.StatusOK, eventList{Events: events, NextAfter: next})
}
