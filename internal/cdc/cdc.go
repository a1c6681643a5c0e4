// Package cdc splits byte streams into content-defined chunks with a gear
// rolling hash, the way Hugging Face's Xet storage does
// (shared/research/storage-perf.md §1.4): chunk boundaries depend only on
// the bytes around them, so an insertion or a header that grows by a few
// bytes moves the boundaries near the edit and nowhere else. Two versions of
// a model whose tensors mostly did not change therefore share most chunks,
// whatever the offsets.
//
// Parameters: chunks are at least MinSize, at most MaxSize and TargetSize on
// average beyond the minimum. A boundary falls after byte i when the top
// bits of the rolling hash are all zero (the low bits of a gear hash depend
// on too few bytes). The gear table is derived from a fixed seed and pinned
// by a golden test: changing it, or any parameter, would change every chunk
// of every stored file and silently end deduplication against them.
//
// This package knows nothing of hashing chunks, storage or the network.
package cdc

import (
	"errors"
	"io"
)

// Chunk size limits, in bytes.
const (
	MinSize    = 8 << 10
	TargetSize = 1 << targetBits // 64 KiB
	MaxSize    = 128 << 10
)

// targetBits is log2(TargetSize): how many top bits of the hash must be
// zero at a boundary, which happens once per TargetSize bytes on average.
const targetBits = 16

// mask is TargetSize-1 shifted to the top bits of the hash.
const mask = uint64(TargetSize-1) << (64 - targetBits)

// window is how many bytes the hash depends on: each step shifts it left by
// one, so a byte's gear value has left all 64 bits after 64 more bytes.
const window = 64

// gearSeed fixes the gear table forever (see the package doc).
const gearSeed = 0x6d6f64656c727931 // "modelry1"

var gear = makeGear(gearSeed)

// makeGear fills the table with splitmix64 outputs.
func makeGear(seed uint64) [256]uint64 {
	var g [256]uint64
	x := seed
	for i := range g {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		g[i] = z ^ (z >> 31)
	}
	return g
}

// Cut returns the length of the first chunk of data. data must hold the
// rest of the stream or at least MaxSize bytes: with less, the last chunk
// ends where data ends.
func Cut(data []byte) int {
	n := len(data)
	if n <= MinSize {
		return n
	}
	if n > MaxSize {
		n = MaxSize
	}
	// Only the window before MinSize can influence the first allowed
	// boundary, so hashing starts there.
	i := MinSize - window - 1
	var h uint64
	for _, b := range data[i:MinSize] {
		h = h<<1 + gear[b]
	}
	for j, b := range data[MinSize:n] {
		h = h<<1 + gear[b]
		if h&mask == 0 {
			return MinSize + j + 1
		}
	}
	return n
}

// Chunker reads a stream and returns its chunks one at a time, holding at
// most a buffer of a few chunks: the stream is never read whole into memory.
type Chunker struct {
	r    io.Reader
	buf  []byte
	lo   int   // start of unreturned bytes in buf
	hi   int   // end of bytes read into buf
	off  int64 // stream offset of buf[lo]
	err  error // from r, reported once buf is drained
	last int   // length of the chunk Next returned last
}

// bufSize is the Chunker's buffer: many chunks per read, so refills (a
// copy of less than MaxSize) are rare.
const bufSize = 4 << 20

// NewChunker returns a Chunker reading r.
func NewChunker(r io.Reader) *Chunker {
	return &Chunker{r: r, buf: make([]byte, bufSize)}
}

// Next returns the next chunk and its offset in the stream, or io.EOF after
// the last one. The slice is valid until the next call; an error other than
// io.EOF comes from the reader.
func (c *Chunker) Next() (chunk []byte, offset int64, err error) {
	c.off += int64(c.last)
	c.lo += c.last
	c.last = 0
	if c.hi-c.lo < MaxSize && c.err == nil {
		c.fill()
	}
	if c.lo == c.hi {
		if c.err == nil || errors.Is(c.err, io.EOF) {
			return nil, c.off, io.EOF
		}
		return nil, c.off, c.err
	}
	data := c.buf[c.lo:c.hi]
	c.last = Cut(data)
	return data[:c.last], c.off, nil
}

// fill moves the unreturned bytes to the front and reads until the buffer
// is full or the reader ends.
func (c *Chunker) fill() {
	copy(c.buf, c.buf[c.lo:c.hi])
	c.hi -= c.lo
	c.lo = 0
	n, err := io.ReadFull(c.r, c.buf[c.hi:])
	c.hi += n
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	c.err = err
}
