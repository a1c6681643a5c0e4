package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

type setAliasRequest struct {
	Version         int64  `json:"version"`
	ExpectedVersion *int64 `json:"expected_version"`
	Reason          string `json:"reason"`
}

type rollbackRequest struct {
	Reason string `json:"reason"`
}

type aliasList struct {
	Aliases []registry.Alias `json:"aliases"`
}

type aliasHistory struct {
	Moves         []registry.AliasMove `json:"moves"`
	NextPageToken string               `json:"next_page_token"`
}

func (h *Handler) listAliases(w http.ResponseWriter, r *http.Request) error {
	as, err := h.svc.ListAliases(r.Context(), r.PathValue("model"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, aliasList{Aliases: as})
}

func (h *Handler) getAlias(w http.ResponseWriter, r *http.Request) error {
	model, alias := r.PathValue("model"), r.PathValue("alias")
	as, err := h.svc.ListAliases(r.Context(), model)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.Name == alias {
			w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(a.Version, 10)))
			return writeJSON(w, http.StatusOK, a)
		}
	}
	return registry.E(registry.KindNotFound, "model %q has no alias %q", model, alias)
}

func (h *Handler) setAlias(w http.ResponseWriter, r *http.Request) error {
	var req setAliasRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	expect, err := ifMatch(r, req.ExpectedVersion)
	if err != nil {
		return err
	}
	mv, err := h.svc.SetAlias(r.Context(), r.PathValue("model"), r.PathValue("alias"), req.Version,
		registry.AliasOptions{Expect: expect, Reason: req.Reason})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mv)
}

func (h *Handler) removeAlias(w http.ResponseWriter, r *http.Request) error {
	expect, err := ifMatch(r, nil)
	if err != nil {
		return err
	}
	mv, err := h.svc.RemoveAlias(r.Context(), r.PathValue("model"), r.PathValue("alias"),
		registry.AliasOptions{Expect: expect, Reason: r.URL.Query().Get("reason")})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mv)
}

func (h *Handler) aliasHistory(w http.ResponseWriter, r *http.Request) error {
	page, err := queryPage(r)
	if err != nil {
		return err
	}
	q := registry.HistoryQuery{Page: page}
	if at := r.URL.Query().Get("at"); at != "" {
		if q.Until, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return registry.E(registry.KindInvalid, "query parameter at=%q is not an RFC 3339 time such as 2026-11-20T14:00:00Z", at)
		}
	}
	ms, next, err := h.svc.AliasHistory(r.Context(), r.PathValue("model"), r.PathValue("alias"), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, aliasHistory{Moves: ms, NextPageToken: next})
}

func (h *Handler) rollback(w http.ResponseWriter, r *http.Request) error {
	var req rollbackRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	mv, err := h.svc.Rollback(r.Context(), r.PathValue("model"), r.PathValue("alias"), req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mv)
}

// ifMatch reads the expected current target of an alias from If-Match
// ("3", or "0" for unset) or from the body's expected_version; when both are
// given they must agree.
func ifMatch(r *http.Request, fromBody *int64) (*int64, error) {
	s := r.Header.Get("If-Match")
	if s == "" {
		return fromBody, nil
	}
	n, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(s, "W/"), `"`), 10, 64)
	if err != nil || n < 0 {
		return nil, registry.E(registry.KindInvalid, `If-Match %q is not a quoted version number such as "3" ("0" for unset)`, s)
	}
	if fromBody != nil && *fromBody != n {
		return nil, registry.E(registry.KindInvalid, "If-Match %q and expected_version %d disagree", s, *fromBody)
	}
	return &n, nil
}
