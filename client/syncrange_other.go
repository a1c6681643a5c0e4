//go:build !linux

package client

import "os"

// syncRange is a no-op where sync_file_range does not exist; the fsync
// before the rename makes the file durable.
func syncRange(f *os.File, off, n int64) {}
