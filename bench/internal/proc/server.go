//go:build linux

package proc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// readyTimeout bounds how long a server may take to answer /readyz.
const readyTimeout = 60 * time.Second

// Server is a `modelry server` child process on a free loopback port.
type Server struct {
	URL   string // http://127.0.0.1:PORT
	Token string // the admin token it was started with
	Data  string // its data folder

	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
}

// StartServer starts `bin server` with a data folder and MODELRY_ADMIN_TOKEN
// set to token, sends its output to logPath, and waits until /readyz answers.
func StartServer(ctx context.Context, bin, data, token, logPath string) (*Server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, "server", "--addr", addr, "--data", data)
	cmd.Env = append(baseEnv(), "MODELRY_ADMIN_TOKEN="+token)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + addr, Token: token, Data: data, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() { s.waitErr = cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Memory reads the server's current and peak resident memory.
func (s *Server) Memory() (Memory, error) { return ReadMemory(s.PID()) }

func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("modelry server exited before it was ready (%v); log:\n%s", s.waitErr, s.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("modelry server at %s not ready after %s; log:\n%s", s.URL, readyTimeout, s.logTail())
}

// Metric scrapes /metrics and returns the value of the sample whose name and
// labels are written exactly as name{labels} (labels may be empty). A sample
// that is not exported is an error.
func (s *Server) Metric(ctx context.Context, name, labels string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s/metrics: status %d", s.URL, resp.StatusCode)
	}
	return findSample(resp.Body, name, labels)
}

// findSample returns the value of the sample name{labels} in a Prometheus
// text exposition.
func findSample(r io.Reader, name, labels string) (float64, error) {
	key := name
	if labels != "" {
		key += "{" + labels + "}"
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), key+" ")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			return 0, fmt.Errorf("metric %s has no value", key)
		}
		return strconv.ParseFloat(f[0], 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("metric %s is not exported", key)
}

// Stop asks the server to shut down (SIGTERM), waits for it, and kills it
// if it has not exited after 30 seconds.
func (s *Server) Stop() error {
	select {
	case <-s.exited:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return errors.New("modelry server did not stop within 30s of SIGTERM; killed")
	}
	return nil
}

func (s *Server) logTail() string {
	f, err := os.Open(s.logPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// freeAddr finds a free port on 127.0.0.1. The port is released before the
// server binds it; on a quiet machine nothing takes it in between.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// baseEnv is the environment children inherit: this process's, minus any
// MODELRY_* setting that could point them at another server or token, and
// with HOME unchanged so Go and the CLI find their caches.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MODELRY_") {
			env = append(env, kv)
		}
	}
	return env
}
