package client

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// setDirect turns O_DIRECT on or off for f. Turning it on fails on
// filesystems that refuse it (tmpfs, some network filesystems).
func setDirect(f *os.File, on bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	err = rc.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			opErr = err
			return
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, opErr = unix.FcntlInt(fd, unix.F_SETFL, flags)
	})
	return errors.Join(err, opErr)
}

// isDirectRefused reports whether a write failed because the filesystem
// refuses O_DIRECT for it.
func isDirectRefused(err error) bool { return errors.Is(err, unix.EINVAL) }

// preallocate reserves size bytes for f so that the filesystem can lay the
// file out in few extents. Only a hint: errors are ignored.
func preallocate(f *os.File, size int64) {
	if rc, err := f.SyscallConn(); err == nil && size > 0 {
		rc.Control(func(fd uintptr) { unix.Fallocate(int(fd), unix.FALLOC_FL_KEEP_SIZE, 0, size) })
	}
}

// syncRange asks the kernel to start writing a range of f back to disk
// without waiting (sync_file_range with SYNC_FILE_RANGE_WRITE), so that
// writeback overlaps a buffered download and the final fsync has little left
// to do. Errors are ignored: the fsync reports real failures.
func syncRange(f *os.File, off, n int64) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE) })
	}
}
