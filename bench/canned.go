//go:build linux

package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/modelry/modelry/bench/internal/ceiling"
)

// serveCanned is this program started with -serve-canned FILE: the ceiling
// server for lookups, in its own process like the real server. It prints
// its address on the first line of stdout and serves until stopped.
func serveCanned(ctx context.Context, bodyFile string, stdout io.Writer) error {
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, ln.Addr().String())
	go func() { <-ctx.Done(); ln.Close() }()
	if err := ceiling.ServeCanned(ln, body); ctx.Err() == nil {
		return err
	}
	return nil
}

// cannedServer is a running -serve-canned child process.
type cannedServer struct {
	URL string
	cmd *exec.Cmd
}

// startCanned starts this program as a canned server answering body.
func (e *env) startCanned(body []byte) (*cannedServer, error) {
	file := e.path("canned.json")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(e.self, "-serve-canned", file)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case addr := <-lines:
		if addr == "" {
			_ = cmd.Wait()
			return nil, fmt.Errorf("canned server exited without printing its address")
		}
		return &cannedServer{URL: "http://" + addr, cmd: cmd}, nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("canned server did not start in 30s")
	}
}

func (c *cannedServer) Stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}
