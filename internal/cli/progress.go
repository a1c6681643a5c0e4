package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/modelry/modelry/client"
)

// minBarBytes is the smallest transfer phase that gets a progress bar.
const minBarBytes = 4 << 20

// progressFor returns a progress bar drawn on stderr when a person is
// watching (both stdout and stderr are terminals), else nil (no progress
// reporting at all). Output piped or captured by a script stays clean.
func progressFor(stdout, stderr io.Writer) client.Progress {
	if !isTerminal(stdout) || !isTerminal(stderr) {
		return nil
	}
	return &bar{w: stderr, width: terminalWidth(stderr.(*os.File))}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func terminalWidth(f *os.File) int {
	if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 40 {
		return w
	}
	return 80
}

// bar renders one phase of a transfer as a single redrawn line:
//
//	uploading  42% [=========>             ] 420.0 MB / 1.0 GB  850.2 MB/s  ETA 1s
//
// Phases under minBarBytes are not drawn.
type bar struct {
	w     io.Writer
	width int

	mu      sync.Mutex
	phase   string
	total   int64
	start   time.Time
	drawn   time.Time
	visible bool
	done    atomic.Int64
}

func (b *bar) Start(phase string, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.phase, b.total, b.start, b.visible = phase, total, time.Now(), false
	b.done.Store(0)
}

func (b *bar) Add(n int64) {
	done := b.done.Add(n)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.total < minBarBytes || time.Since(b.drawn) < 100*time.Millisecond {
		return
	}
	b.draw(done)
}

func (b *bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.total >= minBarBytes {
		b.draw(b.done.Load())
	}
	if b.visible {
		fmt.Fprintln(b.w)
	}
	b.visible = false
}

// draw must be called with b.mu held.
func (b *bar) draw(done int64) {
	b.drawn, b.visible = time.Now(), true
	done = min(max(done, 0), b.total)
	elapsed := time.Since(b.start).Seconds()
	rate := float64(done) / max(elapsed, 0.001)
	eta := "-"
	if rate > 0 && done < b.total {
		eta = time.Duration(float64(b.total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	frac := float64(done) / float64(b.total)
	info := fmt.Sprintf(" %s / %s  %s/s  ETA %s", humanBytes(done), humanBytes(b.total), humanBytes(int64(rate)), eta)
	head := fmt.Sprintf("%-11s %3.0f%% ", b.phase, frac*100)
	width := max(b.width-len(head)-len(info)-3, 10)
	fill := int(frac * float64(width))
	arrow := strings.Repeat("=", fill)
	if fill < width {
		arrow += ">" + strings.Repeat(" ", width-fill-1)
	}
	fmt.Fprintf(b.w, "\r%s[%s]%s\x1b[K", head, arrow, info)
}
