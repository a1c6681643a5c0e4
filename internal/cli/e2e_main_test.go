package cli_test

// The end-to-end tests build the real modelry binary once, start
// `modelry server` as a separate process on a free port with a fresh data
// folder, and drive the CLI binary as a user would: exec with MODELRY_URL and
// MODELRY_TOKEN, reading stdout, stderr and the exit status.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const adminToken = "e2e-admin-token-0123456789abcdef"

var (
	binary    string // path of the built modelry binary
	serverURL string
	homeDir   string // HOME and XDG_CONFIG_HOME of every CLI run
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("skipping end-to-end tests in -short mode")
		return 0
	}
	tmp, err := os.MkdirTemp("", "modelry-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	binary = filepath.Join(tmp, "modelry")
	build := exec.Command("go", "build", "-o", binary, "github.com/modelry/modelry/cmd/modelry")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build modelry: %v\n%s", err, out)
		return 1
	}
	homeDir = filepath.Join(tmp, "home")
	if err := os.Mkdir(homeDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stop, err := startServer(filepath.Join(tmp, "data"), filepath.Join(tmp, "server.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	stop()
	if code != 0 {
		if log, err := os.ReadFile(filepath.Join(tmp, "server.log")); err == nil {
			fmt.Fprintf(os.Stderr, "--- server log (last 4 kB) ---\n%s\n", tail(log, 4096))
		}
	}
	return code
}

// startServer runs `modelry server` on a free port and waits for /readyz.
func startServer(data, logPath string) (stop func(), err error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, "server", "--addr", addr, "--data", data)
	cmd.Env = append(cleanEnv(), "MODELRY_ADMIN_TOKEN="+adminToken)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
	}
	serverURL = "http://" + addr
	if err := waitReady(serverURL+"/readyz", exited); err != nil {
		stop()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("%w\n--- server log ---\n%s", err, tail(log, 4096))
	}
	return stop, nil
}

func waitReady(url string, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("modelry server exited before it was ready: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("modelry server not ready at %s after 30s", url)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// cleanEnv is the test's environment without MODELRY_* variables, with HOME
// and XDG_CONFIG_HOME pointing at a scratch folder so that 'modelry login'
// never touches the real home.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MODELRY_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+homeDir, "XDG_CONFIG_HOME="+filepath.Join(homeDir, ".config"))
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// result is what one CLI run produced.
type result struct {
	stdout, stderr string
	code           int
}

// runner runs the CLI with a given token (and optionally other settings).
type runner struct {
	token string
	env   []string
	dir   string
	stdin string
	noURL bool // leave MODELRY_URL unset
}

var admin = runner{token: adminToken}

func (r runner) run(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = cleanEnv()
	if !r.noURL {
		cmd.Env = append(cmd.Env, "MODELRY_URL="+serverURL)
	}
	if r.token != "" {
		cmd.Env = append(cmd.Env, "MODELRY_TOKEN="+r.token)
	}
	cmd.Env = append(cmd.Env, r.env...)
	// By default the CLI runs in the scratch home folder, outside any git
	// work tree (this checkout's own tree would otherwise be recorded as
	// every push's source).
	cmd.Dir = r.dir
	if cmd.Dir == "" {
		cmd.Dir = homeDir
	}
	cmd.Stdin = strings.NewReader(r.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run modelry %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// ok runs the CLI and fails the test unless it succeeds; it returns stdout.
func (r runner) ok(t *testing.T, args ...string) string {
	t.Helper()
	res := r.run(t, args...)
	if res.code != 0 {
		t.Fatalf("modelry %s: exit %d\nstderr: %s", strings.Join(args, " "), res.code, res.stderr)
	}
	return res.stdout
}

// fails runs the CLI and checks that it fails with exit status code and one
// stderr line starting with "modelry: " + prefix.
func (r runner) fails(t *testing.T, code int, prefix string, args ...string) string {
	t.Helper()
	res := r.run(t, args...)
	if res.code != code {
		t.Errorf("modelry %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), res.code, code, res.stdout, res.stderr)
	}
	if !strings.HasPrefix(res.stderr, "modelry: "+prefix) || strings.Count(res.stderr, "\n") != 1 {
		t.Errorf("modelry %s: stderr = %q, want one line starting %q", strings.Join(args, " "), res.stderr, "modelry: "+prefix)
	}
	return res.stderr
}
