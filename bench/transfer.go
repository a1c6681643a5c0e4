//go:build linux

package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelry/modelry/bench/internal/ceiling"
	"github.com/modelry/modelry/bench/internal/proc"
)

// Server metrics the transfer benchmarks read: body bytes by route.
const (
	metricBytesIn  = "modelry_http_request_bytes_total"
	metricBytesOut = "modelry_http_response_bytes_total"
	routeBlobPut   = `route="PUT /api/v1/blobs/{digest}"`
	routeBlobPost  = `route="POST /api/v1/blobs"` // streamed uploads of new files
	routeBlobGet   = `route="GET /api/v1/blobs/{digest}"`
	routeFileGet   = `route="GET /api/v1/models/{model}/versions/{version}/files/{path...}"`
)

// benchModel is the model the transfer benchmarks push to.
const benchModel = "bench-model"

// fileCeilings are the medians, in GB/s, of the ceilings measured on the
// benchmark file; 0 means not measured.
type fileCeilings struct {
	digest             string
	sha, write, direct float64
	readCold, readHot  float64
	shaTime            time.Duration // median time to hash the file
}

// runTransfer measures the file ceilings, then push, re-push and pull of
// one -size random file through the real server and CLI.
func runTransfer(ctx context.Context, e *env) error {
	n := int64(e.cfg.size)
	dir := e.path("transfer")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer e.discard(dir)
	src := filepath.Join(dir, "bench.bin")
	e.logf("writing a %s random file", e.cfg.size)
	if err := ceiling.WriteRandomFile(src, n, 1); err != nil {
		return err
	}
	c, err := e.fileCeilings(src, n)
	if err != nil {
		return err
	}
	peer, err := e.measureRawPut(ctx, src, n, c)
	if err != nil {
		return err
	}
	srv, pushWall, err := e.measurePush(ctx, src, n, c, peer)
	if err != nil {
		return err
	}
	defer srv.Stop()
	if err := e.measureRepush(ctx, srv, src, n, c, pushWall); err != nil {
		return err
	}
	return e.measurePull(ctx, srv, n, c)
}

// fileCeilings measures SHA-256, write+fsync and read rates of src.
func (e *env) fileCeilings(src string, n int64) (fileCeilings, error) {
	var c fileCeilings
	if _, _, err := ceiling.ReadFile(src); err != nil { // warm the page cache
		return c, err
	}
	var shaTimes []float64
	sha, err := e.repeat("ceiling SHA-256", "GB/s", func(int) (float64, error) {
		d, digest, err := ceiling.HashFile(src)
		c.digest = digest
		shaTimes = append(shaTimes, d.Seconds())
		return gbps(n, d), err
	})
	if err != nil {
		return c, err
	}
	c.sha, c.shaTime = median(sha), time.Duration(median(shaTimes)*float64(time.Second))
	e.add(Row{Bench: benchTransfer, Name: "ceiling: SHA-256 of the file (page cache warm)", Unit: "GB/s", Value: c.sha, Runs: sha})

	write, err := e.repeat("ceiling write+fsync", "GB/s", e.copyCeiling(src, n, ceiling.WriteCopy))
	if err != nil {
		return c, err
	}
	c.write = median(write)
	e.add(Row{Bench: benchTransfer, Name: "ceiling: write + fsync, buffered", Unit: "GB/s", Value: c.write, Runs: write})

	if direct, err := e.repeat("ceiling O_DIRECT write+fsync", "GB/s", e.copyCeiling(src, n, ceiling.WriteCopyDirect)); err != nil {
		e.logf("skipping the O_DIRECT ceiling: %v", err)
	} else {
		c.direct = median(direct)
		e.add(Row{Bench: benchTransfer, Name: "ceiling: write + fsync, O_DIRECT", Unit: "GB/s", Value: c.direct, Runs: direct,
			Note: "info: the blob store's write path"})
	}
	return c, e.readCeilings(src, n, &c)
}

// copyCeiling adapts a write ceiling to repeat: copy src to a new file,
// time it, delete the copy.
func (e *env) copyCeiling(src string, n int64, copyFn func(src, dst string) (time.Duration, error)) func(int) (float64, error) {
	return func(int) (float64, error) {
		dst := src + ".copy"
		d, err := copyFn(src, dst)
		os.Remove(dst)
		return gbps(n, d), err
	}
}

// readCeilings measures sequential reads of src, cold and hot.
func (e *env) readCeilings(src string, n int64, c *fileCeilings) error {
	read := func(cold bool) func(int) (float64, error) {
		return func(int) (float64, error) {
			if cold {
				e.dropCaches()
			}
			d, got, err := ceiling.ReadFile(src)
			if err == nil && got != n {
				err = fmt.Errorf("read %d bytes of %d", got, n)
			}
			return gbps(n, d), err
		}
	}
	if e.canDrop {
		cold, err := e.repeat("ceiling read, cold", "GB/s", read(true))
		if err != nil {
			return err
		}
		c.readCold = median(cold)
		e.add(Row{Bench: benchTransfer, Name: "ceiling: read, cold (page cache dropped)", Unit: "GB/s", Value: c.readCold, Runs: cold})
	}
	if _, _, err := ceiling.ReadFile(src); err != nil {
		return err
	}
	hot, err := e.repeat("ceiling read, hot", "GB/s", read(false))
	if err != nil {
		return err
	}
	c.readHot = median(hot)
	e.add(Row{Bench: benchTransfer, Name: "ceiling: read, hot (page cache)", Unit: "GB/s", Value: c.readHot, Runs: hot})
	return nil
}

// push runs `modelry push` of src to srv and checks from the server's
// metrics how many body bytes the two blob upload routes received.
func (e *env) push(ctx context.Context, srv *proc.Server, src string) (proc.CLIRun, int64, error) {
	before, err := uploadedBytes(ctx, srv)
	if err != nil {
		return proc.CLIRun{}, 0, err
	}
	run, err := e.cli(ctx, srv, "push", benchModel, src)
	if err != nil {
		return run, 0, err
	}
	after, err := uploadedBytes(ctx, srv)
	return run, int64(after - before), err
}

// uploadedBytes sums the request bytes of both blob upload routes.
func uploadedBytes(ctx context.Context, srv *proc.Server) (float64, error) {
	put, err := srv.Metric(ctx, metricBytesIn, routeBlobPut)
	if err != nil {
		return 0, err
	}
	post, err := srv.Metric(ctx, metricBytesIn, routeBlobPost)
	return put + post, err
}

// pull runs `modelry pull` into a new folder, checks that the file arrived
// whole and that the server sent its bytes, and deletes the folder.
func (e *env) pull(ctx context.Context, srv *proc.Server, dest, name string, n int64) (proc.CLIRun, error) {
	sent := func() (float64, error) {
		a, err := srv.Metric(ctx, metricBytesOut, routeBlobGet)
		if err != nil {
			return 0, err
		}
		b, err := srv.Metric(ctx, metricBytesOut, routeFileGet)
		return a + b, err
	}
	before, err := sent()
	if err != nil {
		return proc.CLIRun{}, err
	}
	defer os.RemoveAll(dest)
	run, err := e.cli(ctx, srv, "pull", benchModel, "--dest", dest)
	if err != nil {
		return run, err
	}
	after, err := sent()
	if err != nil {
		return run, err
	}
	if fi, err := os.Stat(filepath.Join(dest, name)); err != nil || fi.Size() != n {
		return run, fmt.Errorf("pull did not write %s with %d bytes (%v)", name, n, err)
	}
	if int64(after-before) < n {
		return run, fmt.Errorf("server sent %.0f bytes for a %d-byte pull; the pull was not a download", after-before, n)
	}
	return run, nil
}

// blobPath is where the filesystem blob store keeps a digest under data.
func blobPath(data, digest string) string {
	hex := strings.TrimPrefix(digest, "sha256:")
	return filepath.Join(data, "blobs", "sha256", hex[:2], hex)
}
