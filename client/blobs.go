package client

import (
	"context"
	"io"
	"net/http"
	"strconv"
)

// MissingBlobs returns which of digests the server lacks, in the order given
// (writer). Push calls it before uploading.
func (c *Client) MissingBlobs(ctx context.Context, digests []string) ([]string, error) {
	missing, _, err := c.CheckBlobs(ctx, digests, nil)
	return missing, err
}

// CheckBlobs asks in one call which digests the server lacks and which
// sizes no stored blob has (writer). A file of such a size is certainly not
// stored, so it can be uploaded with IngestBlob without hashing it first.
func (c *Client) CheckBlobs(ctx context.Context, digests []string, sizes []int64) (missing []string, newSizes []int64, err error) {
	body := struct {
		Digests []string `json:"digests"`
		Sizes   []int64  `json:"sizes,omitempty"`
	}{Digests: digests, Sizes: sizes}
	if body.Digests == nil {
		body.Digests = []string{}
	}
	var out struct {
		Missing  []string `json:"missing"`
		NewSizes []int64  `json:"new_sizes"`
	}
	err = c.do(ctx, request{method: http.MethodPost, path: "/api/v1/blobs/missing", json: body}, &out)
	return out.Missing, out.NewSizes, err
}

// IngestBlob uploads size bytes from r without naming their digest
// (writer); the server stores them under the digest of what it received and
// returns it, for the caller to compare with its own. An *os.File body is
// sent with sendfile where the OS allows.
func (c *Client) IngestBlob(ctx context.Context, size int64, r io.Reader) (Blob, error) {
	req := request{
		method: http.MethodPost, path: "/api/v1/blobs", body: c.limitBody(ctx, r), length: size,
		header: http.Header{"Content-Type": {"application/octet-stream"}},
		want:   []int{http.StatusCreated},
	}
	resp, err := c.send(ctx, req)
	if err != nil {
		return Blob{}, err
	}
	defer resp.Body.Close()
	var b Blob
	err = decodeJSON(resp, &b)
	return b, err
}

// PutBlob uploads size bytes from r as the blob digest (writer). The server
// hashes while it writes and refuses bytes that do not match
// (DIGEST_MISMATCH). An *os.File body is sent with sendfile where the OS
// allows. The returned bool is true when the server stored the bytes, false
// when it already had them.
func (c *Client) PutBlob(ctx context.Context, digest string, size int64, r io.Reader) (Blob, bool, error) {
	req := request{
		method: http.MethodPut, path: blobPath(digest), body: c.limitBody(ctx, r), length: size,
		header: http.Header{"Content-Type": {"application/octet-stream"}},
		want:   []int{http.StatusOK, http.StatusCreated},
	}
	resp, err := c.send(ctx, req)
	if err != nil {
		return Blob{}, false, err
	}
	defer resp.Body.Close()
	var b Blob
	if err := decodeJSON(resp, &b); err != nil {
		return Blob{}, false, err
	}
	return b, resp.StatusCode == http.StatusCreated, nil
}

// OpenBlob downloads a blob from offset on (0 for all of it). The caller
// closes the reader; size is the number of bytes it will yield.
func (c *Client) OpenBlob(ctx context.Context, digest string, offset int64) (rc io.ReadCloser, size int64, err error) {
	req := request{method: http.MethodGet, path: blobPath(digest), want: []int{http.StatusOK}}
	if offset > 0 {
		req.header = http.Header{"Range": {"bytes=" + strconv.FormatInt(offset, 10) + "-"}}
		req.want = []int{http.StatusPartialContent}
	}
	resp, err := c.send(ctx, req)
	if err != nil {
		return nil, 0, err
	}
	return resp.Body, resp.ContentLength, nil
}

// StatBlob reports whether the server holds a blob, and its size.
func (c *Client) StatBlob(ctx context.Context, digest string) (size int64, ok bool, err error) {
	resp, err := c.send(ctx, request{method: http.MethodHead, path: blobPath(digest), noError: true})
	if err != nil {
		return 0, false, err
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.ContentLength, true, nil
	case http.StatusNotFound:
		return 0, false, nil
	}
	return 0, false, &Error{Status: resp.StatusCode, Code: codeForStatus(resp.StatusCode), Message: "HEAD " + blobPath(digest) + " answered " + resp.Status}
}

func blobPath(digest string) string { return "/api/v1/blobs/" + pathEscape(digest) }
