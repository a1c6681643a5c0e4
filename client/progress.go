package client

import (
	"os"
	"sync"
	"time"
)

// Progress receives the progress of a Push or Pull. A transfer goes through
// phases: Push "hashing" then "uploading"; Pull "checking" (files already in
// the destination) then "downloading". Add may be called from several
// goroutines at once.
type Progress interface {
	// Start begins a phase that will move total bytes.
	Start(phase string, total int64)
	// Add reports n more bytes done in the current phase.
	Add(n int64)
	// Finish ends the current phase.
	Finish()
}

// noProgress discards progress.
type noProgress struct{}

func (noProgress) Start(string, int64) {}
func (noProgress) Add(int64)           {}
func (noProgress) Finish()             {}

func progressOrNop(p Progress) Progress {
	if p == nil {
		return noProgress{}
	}
	return p
}

// watchOffset reports the advance of f's file offset to p every 100ms until
// the returned stop function is called; stop returns the bytes reported. A
// blob upload hands its *os.File to net/http, which sends it with sendfile
// (zero copy) on Linux; the kernel advances the offset as it goes, so
// watching it gives progress without wrapping the file in a counting reader
// that would force a user-space copy.
func watchOffset(f *os.File, p Progress) (stop func() int64) {
	if _, ok := p.(noProgress); ok {
		return func() int64 { return 0 }
	}
	var (
		mu       sync.Mutex
		reported int64
	)
	poll := func() {
		off, err := f.Seek(0, 1) // io.SeekCurrent; fails once net/http closed f
		mu.Lock()
		defer mu.Unlock()
		if err == nil && off > reported {
			p.Add(off - reported)
			reported = off
		}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				poll()
			}
		}
	}()
	return func() int64 {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return reported
	}
}
