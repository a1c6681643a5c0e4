package client

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestFileSinkSizes writes awkward sizes through the sink, with O_DIRECT
// where the temp folder allows it and through the page cache on tmpfs
// (/dev/shm), which refuses O_DIRECT.
func TestFileSinkSizes(t *testing.T) {
	dirs := []string{t.TempDir()}
	if info, err := os.Stat("/dev/shm"); err == nil && info.IsDir() {
		dirs = append(dirs, "/dev/shm")
	}
	for _, dir := range dirs {
		for _, size := range []int{0, 100, alignment, alignment + 1, bufSize, 3*bufSize + 5} {
			want := bytes.Repeat([]byte{'a', 'b', 'c'}, size/3+1)[:size]
			f, err := os.CreateTemp(dir, "sink-test-*")
			if err != nil {
				t.Fatal(err)
			}
			defer os.Remove(f.Name())
			n, digest, err := ingest(newFileSink(f, int64(size)), bytes.NewReader(want), true, func(int) {})
			f.Close()
			got, _ := os.ReadFile(f.Name())
			if err != nil || n != int64(size) || !bytes.Equal(got, want) || !strings.HasPrefix(digest, "sha256:") {
				t.Errorf("%s, %d bytes: wrote %d, read back %d, err %v", dir, size, n, len(got), err)
			}
		}
	}
}
