package lockfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mkdirs(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindRoot(t *testing.T) {
	top := t.TempDir()
	repo := filepath.Join(top, "repo")
	sub := filepath.Join(repo, "src", "pkg")
	mkdirs(t, filepath.Join(repo, ".git"), sub)
	if got, _ := FindRoot(sub); got != repo {
		t.Errorf("in a git work tree without a lock: root %s, want the work tree's root %s", got, repo)
	}
	// A lock above the work tree's root is not this repository's.
	os.WriteFile(filepath.Join(top, FileName), []byte("format 1\n"), 0o644)
	if got, _ := FindRoot(sub); got != repo {
		t.Errorf("lock above the work tree: root %s, want %s", got, repo)
	}
	// A lock inside the work tree, above the folder, is found.
	os.WriteFile(filepath.Join(repo, "src", FileName), []byte("format 1\n"), 0o644)
	if got, _ := FindRoot(sub); got != filepath.Join(repo, "src") {
		t.Errorf("lock in a parent folder: root %s", got)
	}
	// Outside git, without a lock anywhere: the folder itself.
	plain := filepath.Join(t.TempDir(), "a", "b")
	mkdirs(t, plain)
	if got, _ := FindRoot(plain); got != plain {
		t.Errorf("outside git: root %s, want %s", got, plain)
	}
}

func TestRelPath(t *testing.T) {
	root := "/r"
	for _, tt := range []struct{ cwd, dir, want, err string }{
		{"/r", "models/x", "models/x", ""},
		{"/r/src", "../models/x", "models/x", ""},
		{"/r/src", "x", "src/x", ""},
		{"/r", "/r/data/y", "data/y", ""},
		{"/r", "../outside", "", "../outside is outside the repository at /r"},
		{"/r", "/etc", "", "/etc is outside the repository"},
		{"/r", ".", "", `path "." is the repository root`},
		{"/r", "my models", "", "contains a space"},
	} {
		got, err := RelPath(root, tt.cwd, tt.dir)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("RelPath(%q, %q) error = %v, want %q", tt.cwd, tt.dir, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("RelPath(%q, %q) = %q, %v; want %q", tt.cwd, tt.dir, got, err, tt.want)
		}
	}
}

func TestDirRefusesEscapes(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	mkdirs(t, filepath.Join(root, "shared", "m"))
	os.Symlink(outside, filepath.Join(root, "out"))
	os.Symlink("shared", filepath.Join(root, "inside"))
	os.WriteFile(filepath.Join(root, "afile"), []byte("x"), 0o644)

	if got, err := Dir(root, "models/new"); err != nil || got != filepath.Join(root, "models", "new") {
		t.Errorf("Dir of a folder yet to create = %q, %v", got, err)
	}
	if got, err := Dir(root, "inside/m"); err != nil || got != filepath.Join(root, "shared", "m") {
		t.Errorf("Dir through a link that stays inside = %q, %v", got, err)
	}
	for p, want := range map[string]string{
		"out/m":   "out/m leads out of the repository through a symbolic link",
		"out":     "out leads out of the repository through a symbolic link",
		"afile/m": "afile/m cannot be a folder",
		"../x":    "contains '..'",
	} {
		if _, err := Dir(root, p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Dir(%q) error = %v, want %q", p, err, want)
		}
	}
}
