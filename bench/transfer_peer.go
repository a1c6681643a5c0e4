//go:build linux

package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/modelry/modelry/bench/internal/proc"
)

// The peers in this file move the same bytes through the same server with
// a plain Go HTTP client that does no work of its own: no hashing before a
// PUT (the digest is known in advance), no verification after a GET. Next
// to `modelry push` and `modelry pull` they show how much of the time is
// the server's and how much the CLI's.

// rawPut uploads src to the blob route of srv in one PUT and returns the
// time until the server answered 201, i.e. until the blob is verified and
// durable.
func rawPut(ctx context.Context, srv *proc.Server, src, digest string, n int64) (time.Duration, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL+"/api/v1/blobs/"+digest, f)
	if err != nil {
		return 0, err
	}
	req.ContentLength = n
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	req.Header.Set("Content-Type", "application/octet-stream")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("PUT blob: status %d, want 201 (a fresh server): %s", resp.StatusCode, body)
	}
	return d, nil
}

// rawGet downloads the blob from srv into a new file dst in 4 MiB writes,
// fsyncs it and deletes it, and returns the time of download and fsync.
func rawGet(ctx context.Context, srv *proc.Server, digest, dst string, n int64) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/blobs/"+digest, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	defer os.Remove(dst)
	defer f.Close()
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET blob: status %d", resp.StatusCode)
	}
	got, err := io.CopyBuffer(struct{ io.Writer }{f}, struct{ io.Reader }{resp.Body}, make([]byte, 4<<20))
	if err != nil {
		return 0, err
	}
	if got != n {
		return 0, fmt.Errorf("GET blob: %d bytes, want %d", got, n)
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// measureRawPut is the push peer: a PUT of the file to a fresh server per
// run. It returns the median rate.
func (e *env) measureRawPut(ctx context.Context, src string, n int64, c fileCeilings) (float64, error) {
	rates, err := e.repeat("peer: raw PUT", "GB/s", func(i int) (float64, error) {
		srv, err := e.startServer(ctx, e.path("transfer", fmt.Sprintf("peer-%d", i)))
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(srv.Data)
		defer srv.Stop()
		d, err := rawPut(ctx, srv, src, c.digest, n)
		return gbps(n, d), err
	})
	if err != nil {
		return 0, err
	}
	v := median(rates)
	e.add(Row{Bench: benchTransfer, Name: "peer: one HTTP PUT of the file to the blob route (digest known, no client hashing)", Unit: "GB/s",
		Value: v, Runs: rates, Against: "min(SHA-256, buffered write+fsync)", Ratio: v / min(c.sha, c.write),
		Note: "the server's ingest (receive, SHA-256, O_DIRECT write, fsync) with nothing else to do"})
	return v, nil
}
