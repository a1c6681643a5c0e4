//go:build linux

// Package ceiling measures the physical limits that the benchmarks compare
// Modelry against, on the same machine and in the same run: how fast this
// CPU hashes SHA-256, how fast the disk writes, reads and commits, and how
// many requests per second a Go HTTP server that does no work answers.
//
// Every function measures one thing once and returns its duration or rate;
// repeating runs, taking medians and judging targets belong to the caller.
package ceiling

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"
)

// blockSize is the I/O size of every file ceiling: large enough that
// syscall overhead does not count, the same as the blob store's blocks.
const blockSize = 4 << 20

// WriteRandomFile writes size pseudo-random bytes (ChaCha8 from seed, so
// incompressible and reproducible) to path and fsyncs it.
func WriteRandomFile(path string, size int64, seed uint64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	rng := rand.NewChaCha8(key)
	buf := make([]byte, blockSize)
	for left := size; left > 0; {
		n := int(min(left, int64(len(buf))))
		_, _ = rng.Read(buf[:n]) // ChaCha8.Read never fails
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return err
		}
		left -= int64(n)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// HashFile computes the SHA-256 of a file and times it. A reader goroutine
// feeds the hash through a few buffers, so on a warm page cache the time is
// that of SHA-256 itself, not of read plus hash.
func HashFile(path string) (time.Duration, string, error) {
	h := sha256.New()
	start := time.Now()
	if _, err := stream(path, func(b []byte) error { h.Write(b); return nil }); err != nil {
		return 0, "", err
	}
	d := time.Since(start)
	return d, "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// WriteCopy writes the bytes of src to a new file dst with plain buffered
// writes, fsyncs it, and returns the time of the whole: the durable write
// rate a simple program gets on this disk. src should be in the page cache.
func WriteCopy(src, dst string) (time.Duration, error) {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	start := time.Now()
	if _, err := stream(src, func(b []byte) error { _, err := f.Write(b); return err }); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	return time.Since(start), f.Close()
}

// ReadFile reads path sequentially in blockSize reads and discards the
// bytes. Whether this is a disk or a page-cache read is the caller's choice
// (see proc.DropCaches).
func ReadFile(path string) (time.Duration, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	buf := make([]byte, blockSize)
	start := time.Now()
	n, err := io.CopyBuffer(io.Discard, onlyReader{f}, buf)
	return time.Since(start), n, err
}

// onlyReader hides *os.File's WriterTo so CopyBuffer uses our buffer size.
type onlyReader struct{ io.Reader }

// stream reads path in blockSize pieces on its own goroutine and hands them
// to fn in order, so reading overlaps with whatever fn does.
func stream(path string, fn func([]byte) error) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	const nbuf = 4
	free := make(chan []byte, nbuf)
	full := make(chan []byte, nbuf)
	for range nbuf {
		free <- make([]byte, blockSize)
	}
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		defer close(full)
		for {
			var b []byte
			select {
			case b = <-free:
			case <-stop:
				readErr <- nil
				return
			}
			n, err := io.ReadFull(f, b)
			if n > 0 {
				full <- b[:n]
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				readErr <- nil
				return
			}
			if err != nil {
				readErr <- err
				return
			}
		}
	}()
	var total int64
	for b := range full {
		if err := fn(b); err != nil {
			close(stop)
			for range full { // let the reader finish
			}
			return total, err
		}
		total += int64(len(b))
		free <- b[:cap(b)]
	}
	if err := <-readErr; err != nil {
		return total, fmt.Errorf("reading %s: %w", path, err)
	}
	return total, nil
}
