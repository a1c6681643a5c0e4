package cli_test

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

type pushJSON struct {
	Version int64 `json:"version"`
	Push    struct {
		UploadedBytes int64 `json:"uploaded_bytes"`
		ChunkedFiles  int   `json:"chunked_files"`
		ReusedBytes   int64 `json:"reused_bytes"`
	} `json:"push"`
}

// metric reads one unlabelled sample from the server's /metrics.
func metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get(serverURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// waitIndexed polls the server's metrics until no stored file waits to
// have its chunks indexed.
func waitIndexed(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if metric(t, "modelry_chunk_index_pending") == 0 {
			return
		}
	}
	t.Fatal("chunk indexing did not finish in 30 s")
}

// TestPushChunkedCLI pushes a large file, changes 1 MiB of it and pushes
// again: only about the changed bytes go up, unless chunking is off.
func TestPushChunkedCLI(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "weights.bin")
	data := make([]byte, 12<<20)
	rng := rand.NewChaCha8([32]byte{'c', 'l', 'i'})
	rng.Read(data)
	write := func() {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write()
	admin.ok(t, "push", "cli-chunky", path)
	waitIndexed(t)
	if n := metric(t, "modelry_chunks_indexed"); n < 150 {
		t.Fatalf("modelry_chunks_indexed = %v after indexing a 12 MiB file; want about 190", n)
	}

	rng.Read(data[5<<20 : 6<<20])
	write()
	var p pushJSON
	decode(t, admin.ok(t, "push", "cli-chunky", path, "--limit-rate", "500M", "-o", "json"), &p)
	if p.Push.ChunkedFiles != 1 || p.Push.UploadedBytes > 2<<20 || p.Push.UploadedBytes+p.Push.ReusedBytes != int64(len(data)) {
		t.Fatalf("re-push after a 1 MiB change: %+v; want 1 chunked file, at most 2 MiB uploaded", p.Push)
	}
	dest := filepath.Join(dir, "pulled")
	admin.ok(t, "pull", "cli-chunky/2", "--dest", dest)
	if got, err := os.ReadFile(filepath.Join(dest, "weights.bin")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("pulled file differs from the pushed one (%v)", err)
	}

	off := runner{token: adminToken, env: []string{"MODELRY_CHUNKING=off"}}
	for _, tc := range []struct {
		r    runner
		args []string
	}{
		{off, nil},
		{admin, []string{"--no-chunking"}},
	} {
		rng.Read(data[:1<<20])
		write()
		decode(t, tc.r.ok(t, append([]string{"push", "cli-chunky", path, "-o", "json"}, tc.args...)...), &p)
		if p.Push.ChunkedFiles != 0 || p.Push.UploadedBytes != int64(len(data)) {
			t.Fatalf("push with chunking off (%v %v): %+v; want the whole file uploaded", tc.r.env, tc.args, p.Push)
		}
	}
	admin.fails(t, 2, `--limit-rate: "fast" is not a rate`, "push", "cli-chunky", path, "--limit-rate", "fast")
}
