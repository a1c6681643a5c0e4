//go:build !linux

package fileio

import (
	"errors"
	"os"
)

// Outside Linux there is no O_DIRECT, fallocate or sync_file_range: writes
// go through the page cache and the fsync before a rename makes them durable.

// SetDirect can only turn O_DIRECT off, which it already is.
func SetDirect(f *os.File, on bool) error {
	if on {
		return errors.ErrUnsupported
	}
	return nil
}

// IsDirectRefused is always false: O_DIRECT is never on.
func IsDirectRefused(err error) bool { return false }

// Preallocate does nothing.
func Preallocate(f *os.File, size int64) {}

// SyncRange does nothing.
func SyncRange(f *os.File, off, n int64) {}

// RenameNoReplace renames from to to unless to exists, reporting whether it did.
func RenameNoReplace(from, to string) (bool, error) { return linkNoReplace(from, to) }
