//go:build linux

package proc

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// pollEvery is how often a running CLI's memory is sampled. VmHWM is a
// high-water mark kept by the kernel, so each sample holds the peak so far;
// only growth in the last few milliseconds before exit could be missed.
//
// The kernel's rusage maxrss is not used: Go starts children with vfork, and
// exec folds the high-water mark of the parent's address space, which the
// child shared until then, into the child's maxrss, so it reports this
// program's memory, not the CLI's.
const pollEvery = 5 * time.Millisecond

// CLIRun is one finished run of the CLI.
type CLIRun struct {
	Wall    time.Duration // from just before start to exit
	PeakRSS int64         // bytes: the highest VmHWM/VmRSS polled while it ran
	Stdout  string
	Stderr  string
}

// RunCLI runs bin with args and env (KEY=VALUE, added to a clean
// environment), times it wall-clock and tracks its peak resident memory. A
// non-zero exit is an error carrying the CLI's stderr.
func RunCLI(ctx context.Context, bin string, env []string, args ...string) (CLIRun, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(baseEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return CLIRun{}, err
	}
	var (
		wg   sync.WaitGroup
		peak int64
		done = make(chan struct{})
	)
	wg.Go(func() { peak = pollPeak(cmd.Process.Pid, done) })
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	wg.Wait()

	run := CLIRun{Wall: wall, PeakRSS: peak, Stdout: stdout.String(), Stderr: stderr.String()}
	if err != nil {
		return run, fmt.Errorf("%s %s: %v: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(run.Stderr))
	}
	return run, nil
}

// pollPeak samples pid's memory until done is closed and returns the highest
// value seen.
func pollPeak(pid int, done <-chan struct{}) int64 {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	var peak int64
	for {
		if m, err := ReadMemory(pid); err == nil {
			peak = max(peak, m.Peak, m.RSS)
		}
		select {
		case <-done:
			return peak
		case <-t.C:
		}
	}
}
