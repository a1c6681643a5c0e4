package client

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
)

// pipelineBuffers is how many buffers circulate between the stages of a
// download: enough that reading, hashing and writing each always have one.
const pipelineBuffers = 4

// ingest copies r into f while hashing, with reading, hashing and writing in
// three goroutines that pass a few large buffers along: the network read of
// chunk n+2, the hash of chunk n+1 and the disk write of chunk n overlap.
// It returns the bytes written and the "sha256:<hex>" of them (empty when
// verify is false). onWrite is called after each chunk is written.
func ingest(f io.Writer, r io.Reader, verify bool, onWrite func(int)) (int64, string, error) {
	free := make(chan []byte, pipelineBuffers)
	for range pipelineBuffers {
		free <- getBuf()
	}
	toHash := make(chan []byte, pipelineBuffers)
	toWrite := make(chan []byte, pipelineBuffers)
	stop := make(chan struct{}) // closed by the writer when a write fails

	var h hash.Hash
	if verify {
		h = sha256.New()
	}
	go func() { // hasher
		for b := range toHash {
			if h != nil {
				h.Write(b)
			}
			toWrite <- b
		}
		close(toWrite)
	}()
	writeDone := make(chan error, 1)
	go func() { writeDone <- writeStage(f, toWrite, free, stop, onWrite) }()

	n, readErr := readStage(r, toHash, free, stop)
	close(toHash)
	writeErr := <-writeDone
	for range pipelineBuffers {
		putBuf((<-free)[:bufSize])
	}
	if err := errors.Join(writeErr, readErr); err != nil {
		return n, "", err
	}
	if h == nil {
		return n, "", nil
	}
	return n, "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// readStage fills free buffers from r and hands them to the hasher.
func readStage(r io.Reader, toHash chan<- []byte, free <-chan []byte, stop <-chan struct{}) (int64, error) {
	var n int64
	for {
		var b []byte
		select {
		case b = <-free:
		case <-stop:
			return n, nil // the writer reports its error
		}
		m, err := io.ReadFull(r, b[:bufSize])
		n += int64(m)
		toHash <- b[:m]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// writeStage writes hashed buffers to f and recycles them. After a failed
// write it keeps draining, so that the other stages never block.
func writeStage(f io.Writer, toWrite <-chan []byte, free chan<- []byte, stop chan struct{}, onWrite func(int)) error {
	var werr error
	for b := range toWrite {
		if werr == nil && len(b) > 0 {
			if _, werr = f.Write(b); werr != nil {
				close(stop)
			} else {
				onWrite(len(b))
			}
		}
		free <- b
	}
	return werr
}
