package blobtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
)

// blob is test content with its digest.
type blob struct {
	data   []byte
	digest string
}

// randomBlob returns size random bytes, the same for the same seed.
func randomBlob(size int, seed uint64) blob {
	data := make([]byte, size)
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	rand.NewChaCha8(key).Read(data)
	return blob{data: data, digest: digestOf(data)}
}

func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// plainReader hides bytes.Reader's WriterTo and Seeker, so the store sees
// what it gets from a network body: only Read.
type plainReader struct{ r io.Reader }

func (p plainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

// errBroken is what failingReader returns.
var errBroken = errors.New("blobtest: connection reset")

// failingReader serves the first n bytes of data, then fails.
type failingReader struct {
	data []byte
	n    int
}

func (f *failingReader) Read(b []byte) (int, error) {
	if f.n == 0 {
		return 0, errBroken
	}
	k := copy(b, f.data[:f.n])
	f.data, f.n = f.data[k:], f.n-k
	return k, nil
}

// cancellingReader serves all of data but cancels the context once after
// serving n bytes, like a client that gives up while its bytes are still
// buffered in the server.
type cancellingReader struct {
	data   []byte
	n      int
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancellingReader) Read(b []byte) (int, error) {
	if c.n <= 0 {
		c.once.Do(c.cancel)
	}
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	if c.n > 0 && len(b) > c.n {
		b = b[:c.n]
	}
	k := copy(b, c.data)
	c.data, c.n = c.data[k:], c.n-k
	return k, nil
}

// blockingReader serves the first n bytes of data, then blocks until ctx is
// done and returns its error, like a request body whose client went away.
// started is closed when it first blocks.
type blockingReader struct {
	ctx     context.Context
	data    []byte
	n       int
	started chan struct{}
	once    sync.Once
}

func (r *blockingReader) Read(b []byte) (int, error) {
	if r.n == 0 {
		r.once.Do(func() { close(r.started) })
		<-r.ctx.Done()
		return 0, r.ctx.Err()
	}
	k := copy(b, r.data[:r.n])
	r.data, r.n = r.data[k:], r.n-k
	return k, nil
}
