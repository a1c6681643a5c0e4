package client

import (
	"os"
	"unsafe"

	"github.com/modelry/modelry/internal/fileio"
)

// alignment is the buffer, length and offset alignment O_DIRECT needs.
const alignment = 4096

// alignedBuf returns n bytes whose address is a multiple of alignment.
func alignedBuf(n int) []byte {
	raw := make([]byte, n+alignment)
	off := 0
	if rem := int(uintptr(unsafe.Pointer(&raw[0])) & (alignment - 1)); rem != 0 {
		off = alignment - rem
	}
	return raw[off : off+n : off+n]
}

// fileSink writes a download into its temporary file. Where the filesystem
// allows, it writes with O_DIRECT: the bytes go from the pipeline's aligned
// buffers to the disk without a copy into the page cache and without dirty
// pages piling up, so the fsync at the end is short. Only whole aligned
// blocks can be written that way; the unaligned tail of the last buffer
// turns O_DIRECT off and goes through the page cache. Without O_DIRECT,
// writeback is started every syncEvery bytes instead.
type fileSink struct {
	f       *os.File
	direct  bool
	written int64
	synced  int64
}

// syncEvery is how many buffered bytes a download writes between asking the
// kernel to start writing them back.
const syncEvery = 16 << 20

func newFileSink(f *os.File, size int64) *fileSink {
	fileio.Preallocate(f, size)
	s := &fileSink{f: f}
	if size >= alignment {
		s.direct = fileio.SetDirect(f, true) == nil
	}
	return s
}

func (s *fileSink) Write(p []byte) (int, error) {
	total := len(p)
	if s.direct {
		n := len(p) &^ (alignment - 1)
		var done int
		var err error
		if n > 0 {
			done, err = s.f.Write(p[:n])
		}
		s.written += int64(done)
		if fileio.IsDirectRefused(err) { // accepted by fcntl, refused by write
			err = s.buffered()
		} else if err == nil && n < len(p) {
			err = s.buffered()
		}
		if err != nil {
			return done, err
		}
		p = p[done:]
	}
	if len(p) == 0 {
		return total, nil
	}
	n, err := s.f.Write(p)
	s.written += int64(n)
	if s.written-s.synced >= syncEvery {
		fileio.SyncRange(s.f, s.synced, s.written-s.synced)
		s.synced = s.written
	}
	return total - len(p) + n, err
}

// buffered turns O_DIRECT off for the rest of the file.
func (s *fileSink) buffered() error {
	s.direct = false
	return fileio.SetDirect(s.f, false)
}
