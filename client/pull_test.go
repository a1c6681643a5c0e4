package client

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pushTree pushes a tree to the fake and returns its version's reference.
func pushTree(t *testing.T, c *Client, tree map[string]string) string {
	t.Helper()
	src := t.TempDir()
	writeTree(t, src, tree)
	v, _, err := c.Push(context.Background(), "m", []string{src}, PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v.Ref()
}

func TestPullRoundTrip(t *testing.T) {
	fake, c := newFake(t)
	big := strings.Repeat("x", 5<<20+17)
	ref := pushTree(t, c, map[string]string{"a.txt": "A", "sub/deep/b.bin": big, "run.sh*": "#!/bin/sh\n", "ln": "->sub/deep/b.bin"})
	dest := filepath.Join(t.TempDir(), "out")

	rep, err := c.Pull(context.Background(), ref, dest, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 3 || rep.Links != 1 || rep.DownloadedBytes != int64(len(big)+1+10) {
		t.Errorf("report = %+v", rep)
	}
	for name, want := range map[string]string{"a.txt": "A", "sub/deep/b.bin": big, "run.sh": "#!/bin/sh\n", "ln": big} {
		got, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil || string(got) != want {
			t.Errorf("%s: %d bytes, err %v; want %d bytes", name, len(got), err, len(want))
		}
	}
	if info, _ := os.Stat(filepath.Join(dest, "run.sh")); info.Mode().Perm() != 0o755 {
		t.Errorf("run.sh mode = %v, want 0755", info.Mode().Perm())
	}
	if target, _ := os.Readlink(filepath.Join(dest, "ln")); target != "sub/deep/b.bin" {
		t.Errorf("ln -> %q, want a link to sub/deep/b.bin", target)
	}

	// A second pull finds everything in place and downloads nothing.
	gets := len(fake.gets)
	rep, err = c.Pull(context.Background(), ref, dest, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped != 3 || rep.DownloadedBytes != 0 || len(fake.gets) != gets {
		t.Errorf("second pull: %+v with %d more GETs; want all skipped", rep, len(fake.gets)-gets)
	}
}

func TestPullReplacesChangedFile(t *testing.T) {
	_, c := newFake(t)
	ref := pushTree(t, c, map[string]string{"a.txt": "right"})
	dest := t.TempDir()
	os.WriteFile(filepath.Join(dest, "a.txt"), []byte("wrong"), 0o600) // same size, other bytes
	rep, err := c.Pull(context.Background(), ref, dest, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "a.txt")); string(got) != "right" || rep.Skipped != 0 {
		t.Errorf("a.txt = %q, skipped %d; want it downloaded again", got, rep.Skipped)
	}
}

func TestPullDigestMismatchLeavesNoFile(t *testing.T) {
	fake, c := newFake(t)
	body := bytes.Repeat([]byte("payload "), 1<<18) // 2 MiB
	ref := pushTree(t, c, map[string]string{"good.txt": "fine", "dir/bad.bin": string(body)})
	for d := range fake.blobs {
		if len(fake.blobs[d]) == len(body) {
			fake.corrupt[d] = true
		}
	}
	dest := t.TempDir()
	_, err := c.Pull(context.Background(), ref, dest, PullOptions{Parallelism: 1})
	if !IsDigestMismatch(err) || !strings.Contains(err.Error(), `"dir/bad.bin"`) {
		t.Fatalf("err = %v, want DIGEST_MISMATCH naming dir/bad.bin", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dest, "dir"))
	if len(entries) != 0 {
		t.Errorf("dest/dir holds %v after a corrupt download; want nothing", entries)
	}
}

func TestPullRefusesUnsafeManifest(t *testing.T) {
	fake, c := newFake(t)
	for _, files := range [][]File{
		{{Path: "../evil", Size: 1, Digest: "sha256:" + strings.Repeat("a", 64), Mode: 0o644}},
		{{Path: "/etc/evil", Size: 1, Digest: "sha256:" + strings.Repeat("a", 64), Mode: 0o644}},
		{{Path: "l", Target: "../../etc", Mode: 0o777}},
	} {
		fake.versions = append(fake.versions, Version{Model: "bad", Version: int64(len(fake.versions) + 1), Files: files})
		ref := fake.versions[len(fake.versions)-1].Ref()
		dest := t.TempDir()
		if _, err := c.Pull(context.Background(), ref, dest, PullOptions{}); err == nil || !strings.Contains(err.Error(), "refusing to pull") {
			t.Errorf("pull of %+v: err = %v, want a refusal", files, err)
		}
	}
}

func TestPullUnknownRef(t *testing.T) {
	_, c := newFake(t)
	_, err := c.Pull(context.Background(), "nope/9", t.TempDir(), PullOptions{})
	if !IsNotFound(err) || err.Error() != `NOT_FOUND: reference "nope/9" names no version` {
		t.Fatalf("err = %v", err)
	}
}
