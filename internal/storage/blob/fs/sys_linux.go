package fs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// errInvalid is what a write returns when the filesystem refuses O_DIRECT
// for it.
var errInvalid = unix.EINVAL

// setDirect turns O_DIRECT on or off for f. Turning it on fails on
// filesystems that do not support it.
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
	if err != nil {
		return err
	}
	return opErr
}

// preallocate reserves size bytes for f, so the filesystem can lay the blob
// out in few extents. It is only a hint: errors are ignored.
func preallocate(f *os.File, size int64) {
	if size == 0 {
		return
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.Fallocate(int(fd), unix.FALLOC_FL_KEEP_SIZE, 0, size)
	})
}

// renameNoReplace renames from to to unless to exists, reporting whether it
// did. Filesystems without RENAME_NOREPLACE get the portable link+remove.
func renameNoReplace(from, to string) (bool, error) {
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
