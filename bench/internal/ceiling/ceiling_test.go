//go:build linux

package ceiling

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeTestFile writes a random file of n bytes and returns its path and bytes.
func writeTestFile(t *testing.T, n int64) (string, []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "src")
	if err := WriteRandomFile(p, n, 7); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != n {
		t.Fatalf("WriteRandomFile wrote %d bytes, want %d", len(b), n)
	}
	return p, b
}

func TestCeilingsSeeEveryByte(t *testing.T) {
	for _, n := range []int64{1, blockSize, 2*blockSize + 12345} {
		src, want := writeTestFile(t, n)
		_, digest, err := HashFile(src)
		sum := sha256.Sum256(want)
		if err != nil || digest != "sha256:"+hex.EncodeToString(sum[:]) {
			t.Errorf("n=%d: HashFile = %s, %v; want the file's SHA-256", n, digest, err)
		}
		dst := src + ".copy"
		if _, err := WriteCopy(src, dst); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(dst); !bytes.Equal(got, want) {
			t.Errorf("n=%d: WriteCopy's copy differs from the source", n)
		}
		if _, read, err := ReadFile(src); err != nil || read != n {
			t.Errorf("n=%d: ReadFile read %d bytes, %v", n, read, err)
		}
	}
}

func TestWriteCopyDirect(t *testing.T) {
	src, want := writeTestFile(t, 2*blockSize+8192)
	dst := src + ".direct"
	if _, err := WriteCopyDirect(src, dst); err != nil {
		t.Skipf("O_DIRECT not available here: %v", err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, want) {
		t.Error("WriteCopyDirect's copy differs from the source")
	}
	odd, _ := writeTestFile(t, 5000)
	if _, err := WriteCopyDirect(odd, odd+".direct"); err == nil {
		t.Error("WriteCopyDirect accepted a size that is not a multiple of 4096")
	}
}

func TestCommitRate(t *testing.T) {
	r, err := CommitRate(t.TempDir(), 50*time.Millisecond)
	if err != nil || r <= 0 {
		t.Errorf("CommitRate = %v, %v; want a positive rate", r, err)
	}
}
