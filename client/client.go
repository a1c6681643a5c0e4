// Package client is the public Go client of a Modelry server: typed calls for
// every route of the REST API (api/openapi.yaml), iterators over paginated
// listings, and the high-level Push and Pull that move a model's files.
//
// It depends only on the standard library and speaks JSON over HTTP; its
// types mirror the JSON shapes of the API and are independent of the
// server's internal packages. The modelry CLI talks to the server only
// through this package.
//
//	c := client.New("http://127.0.0.1:8080", client.WithToken(token))
//	v, report, err := c.Push(ctx, "iris", []string{"model/"}, client.PushOptions{Aliases: []string{"staging"}})
//	...
//	_, err = c.Pull(ctx, "iris@staging", "./iris", client.PullOptions{})
//
// Errors the server returns are *Error values with a stable Code; use
// IsNotFound, IsAlreadyExists, Code and friends to branch on them.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one Modelry server. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	token     string
	userAgent string
	http      *http.Client
	limiter   *tokenBucket // upload bodies; nil: no limit
}

// Option configures a Client.
type Option func(*Client)

// WithToken sets the API token sent as "Authorization: Bearer <token>".
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient replaces the HTTP client (for custom TLS, proxies or tests).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "modelry-go-client/1"

// New returns a client for the server at baseURL, e.g. "http://127.0.0.1:8080".
// A malformed baseURL is reported by the first call, as an error.
func New(baseURL string, opts ...Option) *Client {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		u = &url.URL{Scheme: "invalid", Opaque: baseURL}
	}
	c := &Client{base: u, userAgent: DefaultUserAgent, http: &http.Client{Transport: defaultTransport()}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// defaultTransport keeps enough idle connections for parallel transfers and
// uses larger socket buffers than net/http's 4 KiB defaults.
func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	t.WriteBufferSize = 64 << 10
	t.ReadBufferSize = 64 << 10
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return t
}

// BaseURL returns the server address the client talks to.
func (c *Client) BaseURL() string {
	if c.base.Scheme == "invalid" {
		return c.base.Opaque
	}
	return c.base.String()
}

// request describes one API call.
type request struct {
	method  string
	path    string // escaped, starting with "/"
	query   url.Values
	header  http.Header
	body    io.Reader
	length  int64 // Content-Length of body; -1 when unknown
	json    any   // encoded as the body when set
	want    []int // accepted statuses; 200 and 201 when empty
	noError bool  // return any status to the caller without decoding errors
}

// newRequest builds the *http.Request for r.
func (c *Client) newRequest(ctx context.Context, r request) (*http.Request, error) {
	if c.base.Scheme != "http" && c.base.Scheme != "https" {
		return nil, fmt.Errorf("server URL %q is not an http:// or https:// address", c.BaseURL())
	}
	u := *c.base
	u.RawPath = c.base.EscapedPath() + r.path
	u.Path, _ = url.PathUnescape(u.RawPath)
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	body, length := r.body, r.length
	if r.json != nil {
		b, err := json.Marshal(r.json)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body, length = bytes.NewReader(b), int64(len(b))
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = length
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.json != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// send performs r and returns the response, whose body the caller closes.
// Statuses outside r.want become *Error.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	req, err := c.newRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	if r.noError || accepted(resp.StatusCode, r.want) {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, decodeError(resp)
}

// do performs r and decodes a JSON response into out (when out is not nil).
func (c *Client) do(ctx context.Context, r request, out any) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", r.method, r.path, err)
	}
	return nil
}

func accepted(status int, want []int) bool {
	if len(want) == 0 {
		return status == http.StatusOK || status == http.StatusCreated
	}
	for _, w := range want {
		if status == w {
			return true
		}
	}
	return false
}

// transportError turns a failed round trip into a one-line error that names
// the server.
func (c *Client) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var op *net.OpError
	if errorsAs(err, &op) && op.Op == "dial" {
		return &NetworkError{URL: c.BaseURL(), Err: op.Err}
	}
	return &NetworkError{URL: c.BaseURL(), Err: unwrapURLError(err)}
}

// NetworkError is a failure to reach the server or to finish an exchange
// with it (connection refused, reset, timeout).
type NetworkError struct {
	URL string
	Err error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("cannot reach the server at %s: %v", e.URL, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// pathEscape escapes one path segment.
func pathEscape(s string) string { return url.PathEscape(s) }

// itoa formats a version number.
func itoa(n int64) string { return fmt.Sprint(n) }
