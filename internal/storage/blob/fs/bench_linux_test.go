package fs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/modelry/modelry/internal/storage/blob/fs"
)

// BenchmarkPut measures Put from an in-memory reader into a folder on disk,
// next to the naive ingest the pipeline replaces, so the ratio between them
// shows in one run:
//
//	go test ./internal/storage/blob/fs -run '^$' -bench Put -benchtime 3x -count 3
//
// MODELRY_BENCH_SIZE sets the blob size (bytes, or with a KiB, MiB or GiB
// suffix; default 1GiB). MODELRY_BENCH_DIR sets the folder (default the
// system temp folder); it must not be tmpfs, whose "disk" is memory.
func BenchmarkPut(b *testing.B) {
	size := benchSize(b)
	root := benchDir(b)
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{1}).Read(data)
	sum := sha256.Sum256(data)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	ctx := context.Background()

	variants := []struct {
		name string
		opts []fs.Option
	}{
		{"pipelined", nil},
		{"pipelinedBuffered", []fs.Option{fs.WithDirectIO(false)}},
	}
	for _, v := range variants {
		b.Run(fmt.Sprintf("%s/%s", v.name, sizeLabel(size)), func(b *testing.B) {
			s, err := fs.Open(filepath.Join(root, v.name), v.opts...)
			if err != nil {
				b.Fatal(err)
			}
			runPuts(b, size, func() error {
				return s.Put(ctx, digest, size, onlyReader{bytes.NewReader(data)})
			}, func() error { return s.Delete(ctx, digest) })
		})
	}
	b.Run("naive/"+sizeLabel(size), func(b *testing.B) {
		dir := filepath.Join(root, "naive")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		runPuts(b, size, func() error {
			return naivePut(dir, digest, onlyReader{bytes.NewReader(data)})
		}, func() error { return os.Remove(filepath.Join(dir, digest[7:])) })
	})
	b.Run("existing/"+sizeLabel(size), func(b *testing.B) {
		s, err := fs.Open(filepath.Join(root, "existing"))
		if err != nil {
			b.Fatal(err)
		}
		put := func() error { return s.Put(ctx, digest, size, onlyReader{bytes.NewReader(data)}) }
		if err := put(); err != nil {
			b.Fatal(err)
		}
		runPuts(b, size, put, func() error { return nil })
	})
}

// runPuts times put b.N times, undoing each with remove outside the timer,
// and reports GB/s (10⁹ bytes per second).
func runPuts(b *testing.B, size int64, put, remove func() error) {
	b.Helper()
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		if err := put(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := remove(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// naivePut is the straightforward ingest: io.Copy into a MultiWriter of a
// buffered file and the hash, fsync, check, rename, fsync the folder.
func naivePut(dir, digest string, r io.Reader) error {
	f, err := os.CreateTemp(dir, "upload-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest {
		return fmt.Errorf("digest mismatch: %s", got)
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, digest[7:])); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// onlyReader hides bytes.Reader's WriterTo, as a network body would: io.Copy
// then moves 32 KiB at a time, as it does when serving an upload.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func benchSize(b *testing.B) int64 {
	s := os.Getenv("MODELRY_BENCH_SIZE")
	if s == "" {
		return 1 << 30
	}
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = n, m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		b.Fatalf("MODELRY_BENCH_SIZE=%q: want a positive size such as 1GiB", os.Getenv("MODELRY_BENCH_SIZE"))
	}
	return n * mult
}

func sizeLabel(n int64) string {
	switch {
	case n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dB", n)
}

// benchDir returns a fresh folder on a real disk for the benchmark's files.
func benchDir(b *testing.B) string {
	parent := os.Getenv("MODELRY_BENCH_DIR")
	if parent == "" {
		parent = os.TempDir()
	}
	var st unix.Statfs_t
	if err := unix.Statfs(parent, &st); err == nil && st.Type == unix.TMPFS_MAGIC {
		b.Skipf("%s is tmpfs (memory, not disk); set MODELRY_BENCH_DIR to a folder on disk", parent)
	}
	dir, err := os.MkdirTemp(parent, "modelry-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
