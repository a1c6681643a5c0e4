//go:build !linux

package fs

import (
	"errors"
	"os"
	"syscall"
)

// errInvalid is what a write returns when the filesystem refuses O_DIRECT.
var errInvalid = syscall.EINVAL

// setDirect reports that O_DIRECT is not available: outside Linux the store
// writes through the page cache.
func setDirect(f *os.File, on bool) error {
	if on {
		return errors.ErrUnsupported
	}
	return nil
}

// preallocate does nothing outside Linux.
func preallocate(f *os.File, size int64) {}

// renameNoReplace renames from to to unless to exists, reporting whether it
// did.
func renameNoReplace(from, to string) (bool, error) {
	return linkNoReplace(from, to)
}
