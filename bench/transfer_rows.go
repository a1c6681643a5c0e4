//go:build linux

package bench

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/modelry/modelry/bench/internal/ceiling"
	"github.com/modelry/modelry/bench/internal/proc"
)

// transferGoal is the target for push and pull, as a fraction of
// the ceiling.
const transferGoal = 0.8

// measurePush pushes src to a fresh server cfg.runs times (fresh, so every
// push uploads all bytes) and returns the last server, which holds the file,
// and the median push time.
func (e *env) measurePush(ctx context.Context, src string, n int64, c fileCeilings, peer float64) (*proc.Server, time.Duration, error) {
	var (
		last           *proc.Server
		walls          []float64
		cliPeak, srvPk int64
	)
	rates, err := e.repeat("push", "GB/s", func(i int) (float64, error) {
		if last != nil {
			last.Stop()
			os.RemoveAll(last.Data)
		}
		srv, err := e.startServer(ctx, e.path("transfer", fmt.Sprintf("server-%d", i)))
		if err != nil {
			return 0, err
		}
		last = srv
		if _, _, err := ceiling.ReadFile(src); err != nil { // as warm as for the ceilings
			return 0, err
		}
		run, received, err := e.push(ctx, srv, src)
		if err != nil {
			return 0, err
		}
		if received != n {
			return 0, fmt.Errorf("the server received %d bytes on the blob route for a %d-byte file", received, n)
		}
		m, _ := srv.Memory()
		cliPeak, srvPk = max(cliPeak, run.PeakRSS), max(srvPk, m.Peak)
		walls = append(walls, run.Wall.Seconds())
		return gbps(n, run.Wall), nil
	})
	if err != nil {
		if last != nil {
			last.Stop()
		}
		return nil, 0, err
	}
	bound := min(c.sha, c.write)
	v := median(rates)
	note := fmt.Sprintf("%.2f× the raw PUT peer; peak RSS: CLI %.0f MiB, server %.0f MiB", v/peer, mib(cliPeak), mib(srvPk))
	if c.direct > 0 {
		note = fmt.Sprintf("%.2f× min(SHA-256, O_DIRECT write); ", v/min(c.sha, c.direct)) + note
	}
	e.add(Row{Bench: benchTransfer, Name: fmt.Sprintf("push %s (modelry push, wall time)", e.cfg.size), Unit: "GB/s", Value: v, Runs: rates,
		Against: "min(SHA-256, buffered write+fsync)", Ratio: v / bound, Target: fmt.Sprintf("≥ %.2f×", transferGoal),
		Result: passMiss(v >= transferGoal*bound), Note: note})
	return last, time.Duration(median(walls) * float64(time.Second)), nil
}

// measureRepush pushes the unchanged file again to a server that holds it
// and reads from the server's metrics how many file bytes it received.
func (e *env) measureRepush(ctx context.Context, srv *proc.Server, src string, n int64, c fileCeilings, pushWall time.Duration) error {
	var received []float64
	walls, err := e.repeat("re-push unchanged (wall)", "s", func(int) (float64, error) {
		run, got, err := e.push(ctx, srv, src)
		received = append(received, float64(got))
		return run.Wall.Seconds(), err
	})
	if err != nil {
		return err
	}
	worst := 0.0
	for _, r := range received {
		worst = max(worst, r)
	}
	e.add(Row{Bench: benchTransfer, Name: fmt.Sprintf("re-push unchanged %s: file bytes the server received", e.cfg.size), Unit: "bytes",
		Value: worst, Runs: received, Target: "= 0", Result: passMiss(worst == 0),
		Note: "from " + metricBytesIn + " on both blob upload routes; the value is the largest run"})
	wall := median(walls)
	e.add(Row{Bench: benchTransfer, Name: fmt.Sprintf("re-push unchanged %s (wall)", e.cfg.size), Unit: "s", Value: wall, Runs: walls,
		Against: "time to SHA-256 the file", Ratio: wall / c.shaTime.Seconds(),
		Note: fmt.Sprintf("%.2f× the full push's time; the client must still hash every byte", wall/pushWall.Seconds())})
	return nil
}

// pullKind is a page-cache state a pull is measured in, with the read
// ceiling it is compared with.
type pullKind struct {
	cold     bool
	short    string // hot or cold
	name     string // for row names
	readName string
	read     float64 // GB/s
}

// measurePull pulls the file from srv into fresh folders, hot (blob in the
// page cache) and, when the cache can be dropped, cold; each next to the
// raw GET peer in the same state.
func (e *env) measurePull(ctx context.Context, srv *proc.Server, n int64, c fileCeilings) error {
	blob := blobPath(srv.Data, c.digest)
	if _, err := os.Stat(blob); err != nil {
		return fmt.Errorf("the pushed blob is not where the fs store keeps it: %w", err)
	}
	kinds := []pullKind{{false, "hot", "hot: blob in page cache", "read, hot", c.readHot}}
	if e.canDrop {
		kinds = append(kinds, pullKind{true, "cold", "cold: page cache dropped", "read, cold", c.readCold})
	}
	for _, k := range kinds {
		if err := e.measurePullKind(ctx, srv, blob, n, c, k); err != nil {
			return err
		}
	}
	return nil
}

// prepareCache puts the page cache in k's state: the blob read in (hot), or
// everything dropped and only the CLI binary read back in (cold).
func (e *env) prepareCache(k pullKind, blob string) error {
	file := blob
	if k.cold {
		e.dropCaches()
		file = e.bin
	}
	_, _, err := ceiling.ReadFile(file)
	return err
}

func (e *env) measurePullKind(ctx context.Context, srv *proc.Server, blob string, n int64, c fileCeilings, k pullKind) error {
	peer, err := e.repeat("peer: raw GET, "+k.short, "GB/s", func(int) (float64, error) {
		if err := e.prepareCache(k, blob); err != nil {
			return 0, err
		}
		d, err := rawGet(ctx, srv, c.digest, e.path("transfer", "peer-get.bin"), n)
		return gbps(n, d), err
	})
	if err != nil {
		return err
	}
	var cliPeak int64
	rates, err := e.repeat("pull, "+k.short, "GB/s", func(i int) (float64, error) {
		if err := e.prepareCache(k, blob); err != nil {
			return 0, err
		}
		run, err := e.pull(ctx, srv, e.path("transfer", fmt.Sprintf("pull-%d", i)), "bench.bin", n)
		cliPeak = max(cliPeak, run.PeakRSS)
		return gbps(n, run.Wall), err
	})
	if err != nil {
		return err
	}
	p := median(peer)
	e.add(Row{Bench: benchTransfer, Name: "peer: one HTTP GET of the blob to a file + fsync, " + k.name + " (no verification)", Unit: "GB/s",
		Value: p, Runs: peer, Against: k.readName, Ratio: p / k.read})
	v := median(rates)
	e.add(Row{Bench: benchTransfer, Name: fmt.Sprintf("pull %s, %s (modelry pull, wall time)", e.cfg.size, k.name), Unit: "GB/s", Value: v, Runs: rates,
		Against: k.readName, Ratio: v / k.read, Target: fmt.Sprintf("≥ %.2f×", transferGoal), Result: passMiss(v >= transferGoal*k.read),
		Note: fmt.Sprintf("%.2f× the raw GET peer; %.2f× min(read, SHA-256, buffered write+fsync), since the CLI verifies and fsyncs every byte; CLI peak RSS %.0f MiB",
			v/p, v/min(k.read, c.sha, c.write), mib(cliPeak))})
	return nil
}
