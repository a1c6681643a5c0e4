//go:build !linux

package client

import (
	"errors"
	"os"
)

// Without Linux's O_DIRECT, fallocate and sync_file_range, downloads go
// through the page cache and the fsync before the rename makes them durable.

func setDirect(f *os.File, on bool) error { return errors.ErrUnsupported }
func isDirectRefused(err error) bool      { return false }
func preallocate(f *os.File, size int64)  {}
func syncRange(f *os.File, off, n int64)  {}
