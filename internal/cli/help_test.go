package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// TestHelpIsComplete checks that every command a user can type has a
// one-line summary, a longer description and examples.
func TestHelpIsComplete(t *testing.T) {
	a := &app{getenv: os.Getenv}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" {
			return
		}
		path := c.CommandPath()
		switch {
		case c.Short == "" || strings.Contains(c.Short, "\n") || strings.HasSuffix(c.Short, "."):
			t.Errorf("%s: Short %q should be one line without a final period", path, c.Short)
		case len(c.Long) < 60:
			t.Errorf("%s: Long description missing or too short", path)
		case c.Example == "":
			t.Errorf("%s: no examples", path)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCmd())
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	b := &bar{w: &buf, width: 100}
	b.Start("uploading", 1<<20) // under minBarBytes: nothing drawn
	b.Add(1 << 20)
	b.Finish()
	if buf.Len() != 0 {
		t.Errorf("small transfer drew %q", buf.String())
	}
	b.Start("uploading", 100<<20)
	b.Add(50 << 20)
	b.drawn = time.Time{}
	b.Add(50 << 20)
	b.Finish()
	out := buf.String()
	if !strings.Contains(out, "uploading   100% [") || !strings.Contains(out, "104.9 MB / 104.9 MB") || !strings.HasSuffix(out, "\n") {
		t.Errorf("bar output %q", out)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1_234_567: "1.2 MB", 1 << 30: "1.1 GB", 999_960: "1.0 MB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
