package client

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// Whoami returns the caller's token name and role.
func (c *Client) Whoami(ctx context.Context) (Whoami, error) {
	var w Whoami
	err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/whoami"}, &w)
	return w, err
}

// CreateToken creates a token with role "reader", "writer" or "admin"
// (admin). The returned Secret is shown only this once.
func (c *Client) CreateToken(ctx context.Context, name, role string) (CreatedToken, error) {
	body := struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}{name, role}
	var t CreatedToken
	err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/tokens", json: body}, &t)
	return t, err
}

// ListTokens lists tokens, without their secrets (admin).
func (c *Client) ListTokens(ctx context.Context) ([]Token, error) {
	var out struct {
		Tokens []Token `json:"tokens"`
	}
	err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/tokens"}, &out)
	return out.Tokens, err
}

// RevokeToken revokes a token by id (admin).
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/tokens/" + pathEscape(id), want: []int{http.StatusNoContent, http.StatusOK}}, nil)
}

// EventQuery selects events of the audit log. Zero fields do not filter.
type EventQuery struct {
	After int64  // only events with a greater seq
	Model string // only events of this model
	Type  string // e.g. "alias.set"
	Limit int    // at most this many per page; the server's default when 0
}

// EventPage is one page of events, oldest first. Pass NextAfter as
// EventQuery.After to read on.
type EventPage struct {
	Events    []Event `json:"events"`
	NextAfter int64   `json:"next_after"`
}

// ListEvents returns one page of the audit log, oldest first.
func (c *Client) ListEvents(ctx context.Context, q EventQuery) (EventPage, error) {
	v := url.Values{}
	if q.After > 0 {
		v.Set("after", strconv.FormatInt(q.After, 10))
	}
	setNonEmpty(v, "model", q.Model)
	setNonEmpty(v, "type", q.Type)
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var p EventPage
	err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/events", query: v}, &p)
	return p, err
}

// Events iterates over the audit log from q.After on, oldest first, until
// the events recorded so far are exhausted.
func (c *Client) Events(ctx context.Context, q EventQuery) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			p, err := c.ListEvents(ctx, q)
			if err != nil {
				yield(Event{}, err)
				return
			}
			for _, e := range p.Events {
				if !yield(e, nil) {
					return
				}
			}
			if len(p.Events) == 0 || p.NextAfter <= q.After {
				return
			}
			q.After = p.NextAfter
		}
	}
}

// decodeJSON decodes a response body into out.
func decodeJSON(resp *http.Response, out any) error {
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return nil
}

// Ready reports whether the server is up and its stores answer (GET /readyz);
// nil means ready.
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, request{method: http.MethodGet, path: "/readyz"}, nil)
}
