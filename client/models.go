package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// ModelQuery filters a model listing. Zero fields do not filter.
type ModelQuery struct {
	Kind      string // KindModel or KindDataset; both when empty
	Prefix    string // name prefix
	Tag       string // "KEY" (has the tag) or "KEY=VALUE"
	Alias     string // only models with this alias set
	PageSize  int    // 1-1000; the server's default (100) when 0
	PageToken string // NextPageToken of the previous page
}

// ModelPage is one page of models.
type ModelPage struct {
	Models        []Model `json:"models"`
	NextPageToken string  `json:"next_page_token"`
}

func (q ModelQuery) values() url.Values {
	v := url.Values{}
	setNonEmpty(v, "kind", q.Kind)
	setNonEmpty(v, "prefix", q.Prefix)
	setNonEmpty(v, "tag", q.Tag)
	setNonEmpty(v, "alias", q.Alias)
	setPaging(v, q.PageSize, q.PageToken)
	return v
}

// ListModels returns one page of models, ordered by name.
func (c *Client) ListModels(ctx context.Context, q ModelQuery) (ModelPage, error) {
	var p ModelPage
	err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/models", query: q.values()}, &p)
	return p, err
}

// Models iterates over every model matching q, fetching pages as needed.
func (c *Client) Models(ctx context.Context, q ModelQuery) iter.Seq2[Model, error] {
	return pages(ctx, func(ctx context.Context, token string) ([]Model, string, error) {
		q.PageToken = token
		p, err := c.ListModels(ctx, q)
		return p.Models, p.NextPageToken, err
	})
}

// GetModel returns one model.
func (c *Client) GetModel(ctx context.Context, name string) (Model, error) {
	var m Model
	err := c.do(ctx, request{method: http.MethodGet, path: modelPath(name)}, &m)
	return m, err
}

// CreateModel creates an empty model (writer). Pushing a version creates its
// model too, so this is only needed to set a description up front.
func (c *Client) CreateModel(ctx context.Context, m NewModel) (Model, error) {
	var out Model
	err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/models", json: m}, &out)
	return out, err
}

// PatchModel changes a model's description or tags (writer).
func (c *Client) PatchModel(ctx context.Context, name string, p Patch) (Model, error) {
	var out Model
	err := c.do(ctx, request{method: http.MethodPatch, path: modelPath(name), json: p}, &out)
	return out, err
}

// DeleteModel deletes a model with all its versions and aliases (admin).
func (c *Client) DeleteModel(ctx context.Context, name string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: modelPath(name), want: []int{http.StatusNoContent, http.StatusOK}}, nil)
}

func modelPath(name string) string { return "/api/v1/models/" + pathEscape(name) }

func setNonEmpty(v url.Values, key, value string) {
	if value != "" {
		v.Set(key, value)
	}
}

func setPaging(v url.Values, size int, token string) {
	if size > 0 {
		v.Set("page_size", strconv.Itoa(size))
	}
	setNonEmpty(v, "page_token", token)
}
