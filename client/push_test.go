package client

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// writeTree creates files under dir from a map of relative path -> content;
// content "->target" makes a symlink, and a path ending in "*" is executable.
func writeTree(t *testing.T, dir string, tree map[string]string) {
	t.Helper()
	for name, content := range tree {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "*") {
			name, mode = strings.TrimSuffix(name, "*"), 0o755
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCollectFilesNaming(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"single.txt": "s", "out/w.bin": "w", "out/cfg/a.json": "{}", "out/run.sh*": "#!/bin/sh", "out/link": "->cfg/a.json",
	})
	tests := []struct {
		name   string
		inputs []string
		want   []string // path:mode[:target]
	}{
		{"one file", []string{"single.txt"}, []string{"single.txt:644"}},
		{"one dir", []string{"out"}, []string{"cfg/a.json:644", "link:777:cfg/a.json", "run.sh:755", "w.bin:644"}},
		{"file and dir", []string{"single.txt", "out"}, []string{"out/cfg/a.json:644", "out/link:777:cfg/a.json", "out/run.sh:755", "out/w.bin:644", "single.txt:644"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inputs []string
			for _, in := range tt.inputs {
				inputs = append(inputs, filepath.Join(dir, in))
			}
			files, err := collectFiles(inputs)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				s := fmt.Sprintf("%s:%o", f.path, f.mode)
				if f.target != "" {
					s += ":" + f.target
				}
				got = append(got, s)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestCollectFilesRefuses(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"esc/up": "->../outside", "abs/a": "->/etc/passwd", "a/x.txt": "1", "b/x.txt": "2", "empty/.keep": "",
	})
	os.Remove(filepath.Join(dir, "empty/.keep"))
	tests := []struct {
		name, want string
		inputs     []string
	}{
		{"link escaping", "outside", []string{"esc"}},
		{"absolute link outside", "outside", []string{"abs"}},
		{"same base name", "would both be stored as", []string{"a/x.txt", "b/x.txt"}},
		{"empty dir", "nothing to push", []string{"empty"}},
		{"missing", "no such file", []string{"nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inputs []string
			for _, in := range tt.inputs {
				inputs = append(inputs, filepath.Join(dir, in))
			}
			_, err := collectFiles(inputs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPushUploadsOnlyMissingBlobs(t *testing.T) {
	fake, c := newFake(t)
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 300_000) // 4.8 MB, several buffers
	writeTree(t, dir, map[string]string{"a.txt": "same", "sub/b.txt": "same", "big.bin": string(big), "ln": "->a.txt"})
	ctx := context.Background()

	prog := &countingProgress{}
	v, rep, err := c.Push(ctx, "m", []string{dir}, PushOptions{Label: "1.0", Progress: prog})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 3 || rep.Links != 1 || rep.BlobsUploaded != 2 || rep.BlobsSkipped != 0 {
		t.Errorf("report = %+v, want 3 files, 1 link, 2 blobs uploaded", rep)
	}
	if want := int64(len(big) + 8); rep.Bytes != want || rep.UploadedBytes != int64(len(big)+4) {
		t.Errorf("bytes = %d uploaded %d, want %d and %d", rep.Bytes, rep.UploadedBytes, want, len(big)+4)
	}
	if got := prog.done["uploading"]; got != rep.UploadedBytes {
		t.Errorf("progress reported %d uploaded bytes, want %d", got, rep.UploadedBytes)
	}
	if v.Version != 1 || v.Label != "1.0" || len(v.Files) != 4 {
		t.Errorf("version = %+v", v)
	}

	_, rep, err = c.Push(ctx, "other", []string{dir}, PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.UploadedBytes != 0 || rep.BlobsUploaded != 0 || rep.BlobsSkipped != 2 || len(fake.puts) != 2 {
		t.Errorf("re-push report = %+v after %d PUTs; want nothing uploaded", rep, len(fake.puts))
	}
}

func TestPushRetriesOnceAfterNetworkError(t *testing.T) {
	fake, c := newFake(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a": "hello"})
	fake.failPuts = 1
	if _, _, err := c.Push(context.Background(), "m", []string{dir}, PushOptions{}); err != nil {
		t.Fatalf("push after one dropped connection: %v", err)
	}
	fake.blobs = map[string][]byte{}
	fake.failPuts = 2
	_, _, err := c.Push(context.Background(), "m", []string{dir}, PushOptions{})
	if _, ok := err.(*NetworkError); !ok {
		t.Fatalf("push after two dropped connections: err = %v (%T), want *NetworkError", err, err)
	}
}

// countingProgress sums Add per phase.
type countingProgress struct {
	phase string
	done  map[string]int64
	n     atomic.Int64
}

func (p *countingProgress) Start(phase string, total int64) { p.phase = phase; p.n.Store(0) }
func (p *countingProgress) Add(n int64)                     { p.n.Add(n) }
func (p *countingProgress) Finish() {
	if p.done == nil {
		p.done = map[string]int64{}
	}
	p.done[p.phase] = p.n.Load()
}
