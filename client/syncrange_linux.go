package client

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncRange asks the kernel to start writing a range of f back to disk
// without waiting (sync_file_range with SYNC_FILE_RANGE_WRITE). Writeback
// then overlaps the download, and the fsync before the rename has little
// left to do. Errors are ignored: the fsync reports real failures.
func syncRange(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
