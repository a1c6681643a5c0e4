package mlflow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/modelry/modelry/internal/registry"
)

// Search limits, as MLflow's server enforces them.
const (
	maxModelResults       = 1000
	defaultModelResults   = 100
	maxVersionResults     = 200000
	defaultVersionResults = 200000
)

type searchRequest struct {
	Filter     string   `json:"filter"`
	MaxResults flexInt  `json:"max_results"`
	OrderBy    []string `json:"order_by"`
	PageToken  string   `json:"page_token"`
	ViewType   string   `json:"view_type"`
}

// page reads the offset from a token (base64 of {"offset": N}).
func pageOffset(token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	b, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return 0, invalid("Invalid page token, could not base64-decode")
	}
	var t struct {
		Offset int `json:"offset"`
	}
	if err := json.Unmarshal(b, &t); err != nil || t.Offset < 0 {
		return 0, invalid("Invalid page token, decoded value=%s", b)
	}
	return t.Offset, nil
}

func pageToken(offset int) string {
	b, _ := json.Marshal(map[string]int{"offset": offset})
	return base64.StdEncoding.EncodeToString(b)
}

// window cuts one page out of n sorted results and returns its bounds and
// the next page's token ("" on the last page).
func window(n, offset, size int) (lo, hi int, next string) {
	lo = min(offset, n)
	hi = min(lo+size, n)
	if hi < n {
		next = pageToken(hi)
	}
	return lo, hi, next
}

func maxResults(v flexInt, def, limit int) (int, error) {
	switch {
	case v == 0:
		return def, nil
	case v < 0 || int(v) > limit:
		return 0, invalid("Invalid value for request parameter max_results. It must be at most %d, but got value %d", limit, v)
	}
	return int(v), nil
}

// orderKey is one parsed order_by entry.
type orderKey struct {
	field string
	desc  bool
}

func parseOrderBy(entries []string, fields map[string]string) ([]orderKey, error) {
	var keys []orderKey
	seen := map[string]bool{}
	for _, e := range entries {
		parts := strings.Fields(e)
		if len(parts) == 0 || len(parts) > 2 {
			return nil, invalid("Invalid order_by clause '%s'", e)
		}
		field, ok := fields[strings.Trim(parts[0], "`")]
		if !ok {
			return nil, invalid("Invalid order by key '%s' specified.", parts[0])
		}
		k := orderKey{field: field}
		if len(parts) == 2 {
			switch strings.ToUpper(parts[1]) {
			case "DESC":
				k.desc = true
			case "ASC":
			default:
				return nil, invalid("Invalid ordering key in order_by clause '%s'.", e)
			}
		}
		if seen[field] {
			return nil, invalid("`order_by` contains duplicate fields: %v", entries)
		}
		seen[field] = true
		keys = append(keys, k)
	}
	return keys, nil
}

// cmp3 compares two values of one field: -1, 0 or 1.
func cmp3[T int64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sortBy[T any](items []T, keys []orderKey, compare func(field string, a, b T) int) {
	sort.SliceStable(items, func(i, j int) bool {
		for _, k := range keys {
			c := compare(k.field, items[i], items[j])
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
}

var modelOrderFields = map[string]string{"name": "name", "timestamp": "updated", "last_updated_timestamp": "updated"}

func (h *Handler) searchModels(w http.ResponseWriter, r *http.Request) error {
	var req searchRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	size, err := maxResults(req.MaxResults, defaultModelResults, maxModelResults)
	if err != nil {
		return err
	}
	f, err := ParseFilter(req.Filter, []string{"name"})
	if err != nil {
		return err
	}
	keys, err := parseOrderBy(req.OrderBy, modelOrderFields)
	if err != nil {
		return err
	}
	offset, err := pageOffset(req.PageToken)
	if err != nil {
		return err
	}
	models, err := h.allModels(r.Context())
	if err != nil {
		return err
	}
	var hits []registry.Model
	for _, m := range models {
		if !f.Mentions(promptTag) && m.Tags[promptTag] == "true" {
			continue
		}
		if f.Match(func(string) string { return m.Name }, m.Tags) {
			hits = append(hits, m)
		}
	}
	sortBy(hits, append(keys, orderKey{field: "name"}), func(field string, a, b registry.Model) int {
		if field == "updated" {
			return cmp3(a.UpdatedAt.UnixMilli(), b.UpdatedAt.UnixMilli())
		}
		return cmp3(a.Name, b.Name)
	})
	lo, hi, next := window(len(hits), offset, size)
	out := []registeredModelJSON{}
	for _, m := range hits[lo:hi] {
		rm, err := h.registeredModel(r.Context(), m.Name)
		if err != nil {
			return err
		}
		out = append(out, rm)
	}
	return reply(w, searchModelsResponse{Models: out, Next: next})
}

type searchModelsResponse struct {
	Models []registeredModelJSON `json:"registered_models,omitempty"`
	Next   string                `json:"next_page_token,omitempty"`
}

// allModels reads every model, not datasets: MLflow has no datasets in its
// registry, so its clients never see them. Search runs in memory over them:
// fine for thousands of models; a store-side query is the scaling path.
func (h *Handler) allModels(ctx context.Context) ([]registry.Model, error) {
	var all []registry.Model
	q := registry.ModelQuery{Kind: registry.KindModel, Page: registry.Page{Size: registry.MaxPageSize}}
	for {
		ms, next, err := h.reg.ListModels(ctx, q)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
		if next == "" {
			return all, nil
		}
		q.Page.Token = next
	}
}

var versionOrderFields = map[string]string{
	"name": "name", "version_number": "version", "creation_timestamp": "created",
	"last_updated_timestamp": "created", "timestamp": "created",
}

func (h *Handler) searchVersions(w http.ResponseWriter, r *http.Request) error {
	var req searchRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	size, err := maxResults(req.MaxResults, defaultVersionResults, maxVersionResults)
	if err != nil {
		return err
	}
	f, err := ParseFilter(req.Filter, []string{"name", "run_id", "source_path", "version_number"})
	if err != nil {
		return err
	}
	keys, err := parseOrderBy(req.OrderBy, versionOrderFields)
	if err != nil {
		return err
	}
	offset, err := pageOffset(req.PageToken)
	if err != nil {
		return err
	}
	vs, more, err := h.reg.SearchVersions(r.Context(), versionSearch(f, keys, offset, size))
	if err != nil {
		return err
	}
	out := make([]modelVersionJSON, len(vs))
	for i, v := range vs {
		out[i] = toModelVersion(v)
	}
	resp := searchVersionsResponse{Versions: out}
	if more {
		resp.Next = pageToken(offset + size)
	}
	return writeVersions(w, resp)
}

type searchVersionsResponse struct {
	Versions []modelVersionJSON `json:"model_versions,omitempty"`
	Next     string             `json:"next_page_token,omitempty"`
}

// versionSearch translates a parsed filter and order into the registry's
// typed search, which the store runs (every clause of the grammar has a
// translation). The default order is newest first; prompt versions are
// left out unless the filter names the prompt tag, and a missing prompt tag
// reads as "false", as in Filter.Match.
func versionSearch(f Filter, keys []orderKey, offset, size int) registry.VersionSearch {
	q := registry.VersionSearch{Offset: offset, Limit: size}
	for _, c := range f {
		q.Where = append(q.Where, versionCond(c))
	}
	if !f.Mentions(promptTag) {
		q.Where = append(q.Where, registry.VersionCond{
			Field: registry.FieldTag, Key: promptTag, Op: registry.OpNe, Values: []string{"true"}, IfMissing: true,
		})
	}
	if len(keys) == 0 {
		keys = []orderKey{{field: "created", desc: true}}
	}
	for _, k := range keys {
		q.Order = append(q.Order, registry.VersionOrder{Field: versionOrderField[k.field], Desc: k.desc})
	}
	return q
}

var versionOrderField = map[string]registry.SearchField{
	"name": registry.FieldModel, "version": registry.FieldNumber, "created": registry.FieldCreated,
}

var versionCondField = map[string]registry.SearchField{
	"name": registry.FieldModel, "version_number": registry.FieldNumber,
	"run_id": registry.FieldRunID, "source_path": registry.FieldRunURI,
}

func versionCond(c Clause) registry.VersionCond {
	out := registry.VersionCond{Field: versionCondField[c.Key], Op: registry.SearchOp(c.Op), Values: c.Values}
	if c.Kind == "tag" {
		out.Field, out.Key = registry.FieldTag, c.Key
		out.IfMissing = c.Key == promptTag && c.match("false")
	}
	if c.Numeric {
		out.Number, _ = strconv.ParseFloat(c.Values[0], 64) // the parser checked it
		out.Values = nil
	}
	return out
}
