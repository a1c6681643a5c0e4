package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testToken = "mdl_server_test_admin_secret"

// startServer runs Run in the background on a free port and returns its URL
// and a channel with Run's result.
func startServer(t *testing.T, ctx context.Context, cfg Config) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = ln.Addr().String()
	ln.Close()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, io.Discard, io.Discard) }()
	url := "http://" + cfg.Addr
	for i := 0; ; i++ {
		res, err := http.Get(url + "/readyz")
		if err == nil && res.StatusCode == 200 {
			res.Body.Close()
			return url, done
		}
		if i > 100 {
			t.Fatalf("server did not become ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// slowReader sends its data in small pieces, signalling after the first.
type slowReader struct {
	data    []byte
	started chan struct{}
	sent    int
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.sent == len(r.data) {
		return 0, io.EOF
	}
	if r.sent == 0 {
		close(r.started)
	} else {
		time.Sleep(20 * time.Millisecond)
	}
	n := copy(p[:min(len(p), 64<<10)], r.data[r.sent:])
	r.sent += n
	return n, nil
}

// waitForUpload returns once the blob store has begun writing an upload,
// so the server is surely inside the handler.
func waitForUpload(t *testing.T, tmp string) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("the upload never reached the blob store")
}

// TestGracefulShutdownLetsUploadsFinish stops the server while a blob
// upload is half sent: the upload must complete and be stored.
func TestGracefulShutdownLetsUploadsFinish(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	cfg := Defaults()
	cfg.Data, cfg.AdminToken = dir, testToken
	url, done := startServer(t, ctx, cfg)

	data := bytes.Repeat([]byte("modelry!"), 128<<10) // 1 MiB in 16 slow pieces
	sum := sha256.Sum256(data)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	body := &slowReader{data: data, started: make(chan struct{})}
	req, _ := http.NewRequest("PUT", url+"/api/v1/blobs/"+digest, body)
	req.ContentLength = int64(len(data))
	req.Header.Set("Authorization", "Bearer "+testToken)
	result := make(chan int, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("upload failed during shutdown: %v", err)
			result <- 0
			return
		}
		res.Body.Close()
		result <- res.StatusCode
	}()
	<-body.started
	waitForUpload(t, filepath.Join(dir, "blobs", "tmp"))
	cancel() // as SIGTERM would
	if status := <-result; status != http.StatusCreated {
		t.Fatalf("upload in flight answered %d, want 201", status)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	// Restart on the same data: the blob is there.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	url, _ = startServer(t, ctx2, cfg)
	req, _ = http.NewRequest("HEAD", url+"/api/v1/blobs/"+digest, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("blob after restart: %v %v", res, err)
	}
}

func TestFirstStartPrintsAdminTokenOnce(t *testing.T) {
	dir := t.TempDir()
	cfg := Defaults()
	cfg.Data = dir
	for i, wantToken := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		var out bytes.Buffer
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		cfg.Addr = ln.Addr().String()
		ln.Close()
		done := make(chan error, 1)
		go func() { done <- Run(ctx, cfg, &out, io.Discard) }()
		time.Sleep(300 * time.Millisecond)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(out.String(), "mdl_"); got != wantToken {
			t.Fatalf("start %d printed a token: %v, want %v; output:\n%s", i+1, got, wantToken, out.String())
		}
	}
}

func TestConfigValidateNamesTheField(t *testing.T) {
	tests := []struct {
		mutate func(*Config)
		want   string
	}{
		{func(c *Config) { c.Addr = "8080" }, "addr"},
		{func(c *Config) { c.LogFormat = "xml" }, "log format"},
		{func(c *Config) { c.Data = "" }, "data folder"},
		{func(c *Config) { c.NoAuth, c.AdminToken = true, "x" }, "--no-auth"},
	}
	for _, tt := range tests {
		c := Defaults()
		tt.mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate() = %v, want an error naming %q", err, tt.want)
		}
	}
	env := map[string]string{"MODELRY_ADDR": "0.0.0.0:9000", "MODELRY_NO_AUTH": "yes"}
	if _, err := Defaults().FromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("MODELRY_NO_AUTH=yes accepted")
	}
	env["MODELRY_NO_AUTH"] = "true"
	c, err := Defaults().FromEnv(func(k string) string { return env[k] })
	if err != nil || c.Addr != "0.0.0.0:9000" || !c.NoAuth {
		t.Errorf("FromEnv = %+v, %v", c, err)
	}
}
