package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// GetAlias returns an alias: the version it points at and its last move.
func (c *Client) GetAlias(ctx context.Context, model, alias string) (Alias, error) {
	var a Alias
	err := c.do(ctx, request{method: http.MethodGet, path: aliasPath(model, alias)}, &a)
	return a, err
}

// ListAliases returns every alias of a model.
func (c *Client) ListAliases(ctx context.Context, model string) ([]Alias, error) {
	var out struct {
		Aliases []Alias `json:"aliases"`
	}
	err := c.do(ctx, request{method: http.MethodGet, path: modelPath(model) + "/aliases"}, &out)
	return out.Aliases, err
}

// AliasOptions qualify a move of an alias.
type AliasOptions struct {
	// Expect, when set, makes the move a compare-and-set: it happens only if
	// the alias points at *Expect now (0: the alias is not set); otherwise
	// the server answers FAILED_PRECONDITION. Sent as If-Match.
	Expect *int64
	// Reason is recorded in the alias's history.
	Reason string
}

// Expect returns a pointer to n, for AliasOptions.Expect.
func Expect(n int64) *int64 { return &n }

func (o AliasOptions) header() http.Header {
	if o.Expect == nil {
		return nil
	}
	return http.Header{"If-Match": {strconv.Quote(itoa(*o.Expect))}}
}

// SetAlias points an alias of a model at a version number (writer) and
// returns the recorded move (Seq 0 when it already pointed there).
func (c *Client) SetAlias(ctx context.Context, model, alias string, version int64, o AliasOptions) (AliasMove, error) {
	body := struct {
		Version int64  `json:"version"`
		Reason  string `json:"reason,omitempty"`
	}{version, o.Reason}
	var m AliasMove
	err := c.do(ctx, request{method: http.MethodPut, path: aliasPath(model, alias), header: o.header(), json: body}, &m)
	return m, err
}

// RemoveAlias removes an alias (writer) and returns the recorded move.
func (c *Client) RemoveAlias(ctx context.Context, model, alias string, o AliasOptions) (AliasMove, error) {
	q := url.Values{}
	setNonEmpty(q, "reason", o.Reason)
	var m AliasMove
	err := c.do(ctx, request{method: http.MethodDelete, path: aliasPath(model, alias), query: q, header: o.header()}, &m)
	return m, err
}

// RollbackAlias moves an alias back to the version it pointed at before its
// last move (writer).
func (c *Client) RollbackAlias(ctx context.Context, model, alias, reason string) (AliasMove, error) {
	body := struct {
		Reason string `json:"reason,omitempty"`
	}{reason}
	var m AliasMove
	err := c.do(ctx, request{method: http.MethodPost, path: aliasPath(model, alias) + "/rollback", json: body}, &m)
	return m, err
}

// HistoryQuery selects moves of an alias.
type HistoryQuery struct {
	// At, when set, keeps only moves at or before that time: the first move's
	// To is then what the alias pointed at, at that time.
	At        time.Time
	PageSize  int
	PageToken string
}

// HistoryPage is one page of an alias's moves, newest first.
type HistoryPage struct {
	Moves         []AliasMove `json:"moves"`
	NextPageToken string      `json:"next_page_token"`
}

// ListAliasHistory returns one page of an alias's moves, newest first.
func (c *Client) ListAliasHistory(ctx context.Context, model, alias string, q HistoryQuery) (HistoryPage, error) {
	v := url.Values{}
	if !q.At.IsZero() {
		v.Set("at", q.At.UTC().Format(time.RFC3339Nano))
	}
	setPaging(v, q.PageSize, q.PageToken)
	var p HistoryPage
	err := c.do(ctx, request{method: http.MethodGet, path: aliasPath(model, alias) + "/history", query: v}, &p)
	return p, err
}

// AliasHistory iterates over every move of an alias matching q, newest first.
func (c *Client) AliasHistory(ctx context.Context, model, alias string, q HistoryQuery) iter.Seq2[AliasMove, error] {
	return pages(ctx, func(ctx context.Context, token string) ([]AliasMove, string, error) {
		q.PageToken = token
		p, err := c.ListAliasHistory(ctx, model, alias, q)
		return p.Moves, p.NextPageToken, err
	})
}

func aliasPath(model, alias string) string {
	return modelPath(model) + "/aliases/" + pathEscape(alias)
}
