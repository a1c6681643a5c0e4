//go:build linux

package ceiling

import (
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// directAlign is the alignment O_DIRECT needs for buffers, offsets and sizes
// on the filesystems we run on.
const directAlign = 4096

// WriteCopyDirect is WriteCopy with O_DIRECT: the bytes go from an aligned
// buffer to the device without the page cache, then fsync. It is the write
// path the blob store uses, so it bounds a push from above more tightly than
// a buffered write does on this VM. size must be a multiple of 4096.
func WriteCopyDirect(src, dst string) (time.Duration, error) {
	fi, err := os.Stat(src)
	if err != nil {
		return 0, err
	}
	if fi.Size()%directAlign != 0 {
		return 0, fmt.Errorf("O_DIRECT ceiling needs a size that is a multiple of %d; %s has %d bytes", directAlign, src, fi.Size())
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_DIRECT, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := alignedBlock()
	start := time.Now()
	_, err = stream(src, func(b []byte) error {
		n := copy(buf, b) // stream's buffers are not aligned
		_, err := f.Write(buf[:n])
		return err
	})
	if err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	return time.Since(start), f.Close()
}

// alignedBlock returns a blockSize buffer whose address is directAlign-aligned.
func alignedBlock() []byte {
	b := make([]byte, blockSize+directAlign)
	off := int(uintptr(unsafe.Pointer(&b[0])) & (directAlign - 1))
	if off != 0 {
		off = directAlign - off
	}
	return b[off : off+blockSize : off+blockSize]
}

// commitFileSize is the size of the file the commit loop cycles through,
// written out in full first so that no write extends the file.
const commitFileSize = 16 << 20

// CommitRate writes 4 KiB blocks with O_DSYNC (each write returns only when
// the block is on stable storage) to a file in dir for d, cycling through a
// preallocated 16 MiB, and returns the writes per second: the rate of
// durable commits one writer can make on this disk without batching.
func CommitRate(dir string, d time.Duration) (float64, error) {
	f, err := os.CreateTemp(dir, "commit-ceiling-")
	if err != nil {
		return 0, err
	}
	name := f.Name()
	defer os.Remove(name)
	if _, err := f.Write(make([]byte, commitFileSize)); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, err
	}
	f.Close()
	f, err = os.OpenFile(name, os.O_WRONLY|syscall.O_DSYNC, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	block := make([]byte, 4096)
	var n int64
	start := time.Now()
	deadline := start.Add(d)
	for time.Now().Before(deadline) {
		block[0] = byte(n)
		if _, err := f.WriteAt(block, (n*4096)%commitFileSize); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
