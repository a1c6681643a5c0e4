package fileio

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// SetDirect turns O_DIRECT on or off for f. Turning it on fails on
// filesystems that refuse it (tmpfs, some network filesystems).
func SetDirect(f *os.File, on bool) error {
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

// IsDirectRefused reports whether a write failed because the filesystem
// refuses O_DIRECT for it, although fcntl accepted the flag.
func IsDirectRefused(err error) bool { return errors.Is(err, unix.EINVAL) }

// Preallocate reserves size bytes for f so that the filesystem can lay the
// file out in few extents. Only a hint: errors are ignored.
func Preallocate(f *os.File, size int64) {
	if rc, err := f.SyscallConn(); err == nil && size > 0 {
		rc.Control(func(fd uintptr) { unix.Fallocate(int(fd), unix.FALLOC_FL_KEEP_SIZE, 0, size) })
	}
}

// SyncRange asks the kernel to start writing a range of f back to disk
// without waiting, so writeback overlaps a buffered write and the final
// fsync has little left to do. Errors are ignored: the fsync reports them.
func SyncRange(f *os.File, off, n int64) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE) })
	}
}

// RenameNoReplace renames from to to unless to exists, reporting whether it
// did. Filesystems without RENAME_NOREPLACE get link and remove.
func RenameNoReplace(from, to string) (bool, error) {
	err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.EEXIST):
		return false, nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		return linkNoReplace(from, to)
	}
	return false, &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
}
