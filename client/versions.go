package client

import (
	"context"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// VersionQuery filters a version listing. Zero fields do not filter.
type VersionQuery struct {
	Tag            string // "KEY" or "KEY=VALUE"
	Alias          string // only the version this alias points at
	IncludeDeleted bool
	PageSize       int
	PageToken      string
}

// VersionPage is one page of versions.
type VersionPage struct {
	Versions      []Version `json:"versions"`
	NextPageToken string    `json:"next_page_token"`
}

func (q VersionQuery) values() url.Values {
	v := url.Values{}
	setNonEmpty(v, "tag", q.Tag)
	setNonEmpty(v, "alias", q.Alias)
	if q.IncludeDeleted {
		v.Set("include_deleted", "true")
	}
	setPaging(v, q.PageSize, q.PageToken)
	return v
}

// ListVersions returns one page of a model's versions, newest first.
func (c *Client) ListVersions(ctx context.Context, model string, q VersionQuery) (VersionPage, error) {
	var p VersionPage
	err := c.do(ctx, request{method: http.MethodGet, path: modelPath(model) + "/versions", query: q.values()}, &p)
	return p, err
}

// Versions iterates over every version of a model matching q, newest first.
func (c *Client) Versions(ctx context.Context, model string, q VersionQuery) iter.Seq2[Version, error] {
	return pages(ctx, func(ctx context.Context, token string) ([]Version, string, error) {
		q.PageToken = token
		p, err := c.ListVersions(ctx, model, q)
		return p.Versions, p.NextPageToken, err
	})
}

// GetVersion returns a live version by number.
func (c *Client) GetVersion(ctx context.Context, model string, number int64) (Version, error) {
	var v Version
	err := c.do(ctx, request{method: http.MethodGet, path: versionPath(model, number)}, &v)
	return v, err
}

// CreateVersion creates the next version of a model from a manifest whose
// blobs are all uploaded (writer). Push is the usual way to call it.
func (c *Client) CreateVersion(ctx context.Context, model string, nv NewVersion) (Version, error) {
	var v Version
	err := c.do(ctx, request{method: http.MethodPost, path: modelPath(model) + "/versions", json: nv}, &v)
	return v, err
}

// PatchVersion changes a version's description or tags (writer).
func (c *Client) PatchVersion(ctx context.Context, model string, number int64, p Patch) (Version, error) {
	var v Version
	err := c.do(ctx, request{method: http.MethodPatch, path: versionPath(model, number), json: p}, &v)
	return v, err
}

// DeleteVersion soft-deletes a version (writer) and returns it. The server
// refuses while an alias points at it; its number is never reused.
func (c *Client) DeleteVersion(ctx context.Context, model string, number int64) (Version, error) {
	var v Version
	err := c.do(ctx, request{method: http.MethodDelete, path: versionPath(model, number)}, &v)
	return v, err
}

// Resolve returns the live version a reference names. References:
// "name" (latest), "name/3", "name:1.0" (label), "name@production" (alias),
// "name@sha256:<hex>" (manifest digest), "models:/name/3", "models:/name@alias".
func (c *Client) Resolve(ctx context.Context, ref string) (Version, error) {
	var v Version
	q := url.Values{"ref": {ref}}
	err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/resolve", query: q}, &v)
	return v, err
}

// OpenFile downloads one file of a version. The caller closes the reader;
// size is the file's length.
func (c *Client) OpenFile(ctx context.Context, model string, number int64, path string) (rc io.ReadCloser, size int64, err error) {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = pathEscape(s)
	}
	resp, err := c.send(ctx, request{method: http.MethodGet, path: versionPath(model, number) + "/files/" + strings.Join(segs, "/")})
	if err != nil {
		return nil, 0, err
	}
	return resp.Body, resp.ContentLength, nil
}

func versionPath(model string, number int64) string {
	return modelPath(model) + "/versions/" + itoa(number)
}
