//go:build linux

package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/modelry/modelry/bench/internal/ceiling"
	"github.com/modelry/modelry/bench/internal/proc"
)

// memoryGoal is the bound on the server's and the CLI's resident
// memory while a 5 GiB file moves: "~100 MB"; we hold it to 100 MiB.
const memoryGoal = 100 << 20

// runMemory pushes and pulls one -big-size file through a fresh server and
// reports the peak resident memory of the server and of the CLI in each
// direction. One run: the point is the peak, not the rate.
func runMemory(ctx context.Context, e *env) error {
	n := int64(e.cfg.bigSize)
	dir := e.path("memory")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer e.discard(dir)
	src := filepath.Join(dir, "big.bin")
	e.logf("writing a %s random file", e.cfg.bigSize)
	if err := ceiling.WriteRandomFile(src, n, 2); err != nil {
		return err
	}
	srv, err := e.startServer(ctx, filepath.Join(dir, "server"))
	if err != nil {
		return err
	}
	defer srv.Stop()

	run, received, err := e.push(ctx, srv, src)
	if err != nil {
		return err
	}
	if received != n {
		return fmt.Errorf("the server received %d bytes on the blob route for a %d-byte file", received, n)
	}
	os.Remove(src) // free the disk space before the pull writes its copy
	e.logf("push %s: %.2f GB/s, CLI peak %.0f MiB", e.cfg.bigSize, gbps(n, run.Wall), mib(run.PeakRSS))
	if err := e.addMemory(srv, "push", run, n, "server peak since start"); err != nil {
		return err
	}

	resetNote := "server peak during the pull (VmHWM reset after the push)"
	if err := proc.ResetPeak(srv.PID()); err != nil {
		resetNote = fmt.Sprintf("server peak since start: could not reset VmHWM (%v)", err)
	}
	run, err = e.pull(ctx, srv, filepath.Join(dir, "pull"), "big.bin", n)
	if err != nil {
		return err
	}
	e.logf("pull %s: %.2f GB/s, CLI peak %.0f MiB", e.cfg.bigSize, gbps(n, run.Wall), mib(run.PeakRSS))
	return e.addMemory(srv, "pull", run, n, resetNote)
}

// addMemory adds the CLI's and the server's peak RSS rows for one direction.
func (e *env) addMemory(srv *proc.Server, dir string, run proc.CLIRun, n int64, srvNote string) error {
	m, err := srv.Memory()
	if err != nil {
		return err
	}
	rate := fmt.Sprintf("%s at %.2f GB/s; ", dir, gbps(n, run.Wall))
	for _, p := range []struct {
		who, note string
		peak      int64
	}{
		{"CLI", "VmHWM polled every 5 ms", run.PeakRSS},
		{"server", srvNote, m.Peak},
	} {
		e.add(Row{Bench: benchMemory, Name: fmt.Sprintf("%s %s: %s peak RSS", dir, e.cfg.bigSize, p.who), Unit: "MiB",
			Value: mib(p.peak), Against: "file size", Ratio: float64(p.peak) / float64(n),
			Target: "≤ 100 MiB", Result: passMiss(p.peak <= memoryGoal), Note: rate + p.note + "; 1 run"})
	}
	return nil
}
