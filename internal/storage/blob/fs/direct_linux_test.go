package fs

import (
	"bytes"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// These tests look inside the write path: the conformance suite passes
// whether or not O_DIRECT is used, so only here would a silent fall back to
// buffered writes (say, from misaligned buffers) show.

func TestBlocksAreAligned(t *testing.T) {
	for range 4 {
		b := newBlock()
		if addr := uintptr(unsafe.Pointer(&b.buf[0])); addr%alignment != 0 || len(b.buf) != blockSize {
			t.Fatalf("block at %#x, %d bytes; want %d-aligned, %d bytes", addr, len(b.buf), alignment, blockSize)
		}
	}
}

// directTemp opens a store in a temp folder and creates an upload file there
// with O_DIRECT, skipping the test if the filesystem refuses it.
func directTemp(t *testing.T, size int64) *tempFile {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := s.createTemp("sha256:"+string(bytes.Repeat([]byte("ab"), 32)), size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tmp.discard)
	if !tmp.direct {
		t.Skip("the temp folder's filesystem refuses O_DIRECT")
	}
	return tmp
}

func fileHasDirect(t *testing.T, f *os.File) bool {
	t.Helper()
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	return flags&unix.O_DIRECT != 0
}

func TestWriteDirectThenTail(t *testing.T) {
	b := newBlock()
	for i := range b.buf {
		b.buf[i] = byte(i * 7)
	}
	tmp := directTemp(t, blockSize+alignment+5)
	if err := tmp.write(b.buf); err != nil {
		t.Fatal(err)
	}
	if !tmp.direct || !fileHasDirect(t, tmp.f) {
		t.Fatal("O_DIRECT is off after writing a whole aligned block")
	}
	tail := b.buf[:alignment+5] // one aligned block, then 5 bytes that cannot be
	if err := tmp.write(tail); err != nil {
		t.Fatal(err)
	}
	if tmp.direct || fileHasDirect(t, tmp.f) {
		t.Fatal("O_DIRECT is still on after an unaligned tail")
	}
	assertFile(t, tmp, append(append([]byte{}, b.buf...), tail...))
}

// TestWriteMisalignedFallsBack: when the kernel refuses an O_DIRECT write
// (here, from a misaligned buffer), the write goes through the page cache.
func TestWriteMisalignedFallsBack(t *testing.T) {
	raw := make([]byte, 3*alignment)
	off := 1
	if uintptr(unsafe.Pointer(&raw[0]))%2 != 0 {
		off = 2
	}
	p := raw[off : off+2*alignment]
	for i := range p {
		p[i] = byte(i)
	}
	tmp := directTemp(t, int64(len(p)))
	if err := tmp.write(p); err != nil {
		t.Fatalf("write from a misaligned buffer: %v", err)
	}
	if tmp.direct {
		t.Fatal("still marked O_DIRECT after the kernel refused a write")
	}
	assertFile(t, tmp, p)
}

func assertFile(t *testing.T, tmp *tempFile, want []byte) {
	t.Helper()
	if err := tmp.commit(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(tmp.name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file holds %d bytes that differ from the %d written", len(got), len(want))
	}
}

func TestWithDirectIO(t *testing.T) {
	digest := "sha256:" + string(bytes.Repeat([]byte("cd"), 32))
	for _, on := range []bool{true, false} {
		s, err := Open(t.TempDir(), WithDirectIO(on))
		if err != nil {
			t.Fatal(err)
		}
		tmp, err := s.createTemp(digest, 2*blockSize)
		if err != nil {
			t.Fatal(err)
		}
		defer tmp.discard()
		if on && !tmp.direct {
			t.Skip("the temp folder's filesystem refuses O_DIRECT")
		}
		if tmp.direct != on || fileHasDirect(t, tmp.f) != on {
			t.Errorf("WithDirectIO(%v): upload file has O_DIRECT %v", on, tmp.direct)
		}
	}
}
