package lockfile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

// version builds a manifest from path -> content ("->target" for a link)
// and a downloader that serves those contents, as a server would.
type version struct {
	files []File
	blobs map[string]string
}

func makeVersion(content map[string]string) version {
	v := version{blobs: map[string]string{}}
	for p, c := range content {
		if t, ok := strings.CutPrefix(c, "->"); ok {
			v.files = append(v.files, File{Path: p, Mode: 0o777, Target: t})
			continue
		}
		sum := sha256.Sum256([]byte(c))
		d := "sha256:" + hex.EncodeToString(sum[:])
		v.blobs[d] = c
		v.files = append(v.files, File{Path: p, Size: int64(len(c)), Digest: d, Mode: 0o644})
	}
	slices.SortFunc(v.files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return v
}

func (v version) download(_ context.Context, dir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.RemoveAll(p)
		var err error
		if f.IsLink() {
			err = os.Symlink(f.Target, p)
		} else {
			err = os.WriteFile(p, []byte(v.blobs[f.Digest]), os.FileMode(f.Mode))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkout plans and applies one folder the way modelry checkout does,
// recording what it wrote in wrote.
func checkout(t *testing.T, dir string, v version, wrote map[string]File, force bool) ([]FileStatus, Result) {
	t.Helper()
	files, err := Inspect(context.Background(), dir, v.files, wrote)
	if err != nil {
		t.Fatal(err)
	}
	plan := Plan{Path: "m", Dir: dir, Pinned: v.files, Files: files}
	if len(plan.Conflicts()) > 0 && !force {
		return plan.Conflicts(), Result{}
	}
	res, err := plan.Apply(context.Background(), v.download)
	if err != nil {
		t.Fatal(err)
	}
	clear(wrote)
	for _, f := range v.files {
		wrote[f.Path] = f
	}
	return nil, res
}

func statuses(t *testing.T, dir string, v version, wrote map[string]File) map[string]string {
	t.Helper()
	files, err := Inspect(context.Background(), dir, v.files, wrote)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, f := range files {
		m[f.Path] = f.Status
		if f.Note != "" {
			m[f.Path] += ": " + f.Note
		}
	}
	return m
}

func readAll(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&os.ModeSymlink != 0 {
			t, _ := os.Readlink(p)
			m[filepath.ToSlash(rel)] = "->" + t
		} else {
			b, _ := os.ReadFile(p)
			m[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return m
}

func equalMaps(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
		return
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s = %q, want %q", what, k, got[k], w)
		}
	}
}

func TestCheckoutSwitchesVersionsAndKeepsUserFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	c1 := map[string]string{"w.bin": "one", "cfg/a.json": "{1}", "cur": "->cfg/a.json"}
	c2 := map[string]string{"w.bin": "two!", "new.txt": "n"}
	v1, v2 := makeVersion(c1), makeVersion(c2)
	wrote := map[string]File{}

	equalMaps(t, "status before checkout", statuses(t, dir, v1, wrote), map[string]string{"w.bin": "missing", "cfg/a.json": "missing", "cur": "missing"})
	if _, res := checkout(t, dir, v1, wrote, false); res.Written != 3 {
		t.Errorf("first checkout %+v", res)
	}
	equalMaps(t, "after v1", readAll(t, dir), c1)
	os.WriteFile(filepath.Join(dir, "notes"), []byte("mine"), 0o644)

	equalMaps(t, "status of v1 files against v2", statuses(t, dir, v2, wrote), map[string]string{
		"w.bin": "stale: written by checkout for an earlier pin", "new.txt": "missing",
		"cfg/a.json": "stale: written by checkout for an earlier pin", "cur": "stale: written by checkout for an earlier pin",
		"notes": "extra",
	})
	if _, res := checkout(t, dir, v2, wrote, false); res != (Result{Written: 2, Removed: 2}) {
		t.Errorf("checkout of v2 %+v", res)
	}
	want2 := map[string]string{"w.bin": "two!", "new.txt": "n", "notes": "mine"}
	equalMaps(t, "after v2", readAll(t, dir), want2)
	if _, err := os.Stat(filepath.Join(dir, "cfg")); err == nil {
		t.Errorf("the folder cfg, emptied by checkout, is still there")
	}
	if _, res := checkout(t, dir, v2, wrote, false); res != (Result{Kept: 2}) {
		t.Errorf("a second checkout did %+v, want nothing", res)
	}
}

func TestCheckoutConflicts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	v1 := makeVersion(map[string]string{"w.bin": "one", "old.txt": "o"})
	v2 := makeVersion(map[string]string{"w.bin": "two", "sub/x": "x", "mine": "pinned"})
	wrote := map[string]File{}
	checkout(t, dir, v1, wrote, false)

	os.WriteFile(filepath.Join(dir, "w.bin"), []byte("edited"), 0o644)   // changed pinned file
	os.WriteFile(filepath.Join(dir, "old.txt"), []byte("edited"), 0o644) // changed, no longer pinned
	os.WriteFile(filepath.Join(dir, "sub"), []byte("a file"), 0o644)     // in the way of sub/x
	os.WriteFile(filepath.Join(dir, "mine"), []byte("my own"), 0o644)    // where a pinned file goes
	conflicts, _ := checkout(t, dir, v2, wrote, false)
	got := map[string]string{}
	for _, c := range conflicts {
		got[c.Path] = c.Note
	}
	equalMaps(t, "conflicts", got, map[string]string{
		"w.bin":   "changed since checkout wrote it",
		"old.txt": "changed since checkout wrote it, and no longer pinned",
		"sub":     "not written by checkout, and in the way of pinned files",
		"mine":    "not written by checkout",
	})
	if b, _ := os.ReadFile(filepath.Join(dir, "w.bin")); string(b) != "edited" {
		t.Errorf("refused checkout touched w.bin")
	}
	checkout(t, dir, v2, wrote, true)
	equalMaps(t, "after --force", readAll(t, dir), map[string]string{"w.bin": "two", "sub/x": "x", "mine": "pinned"})

	// A folder where a pinned file goes is a conflict too.
	os.Remove(filepath.Join(dir, "mine"))
	os.MkdirAll(filepath.Join(dir, "mine", "deep"), 0o755)
	if conflicts, _ := checkout(t, dir, v2, wrote, false); len(conflicts) != 1 || conflicts[0].Note != "a folder is in the way; --force deletes it with everything in it" {
		t.Errorf("folder in the way: %+v", conflicts)
	}
}

func TestCheckoutFixesModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	v := makeVersion(map[string]string{"run.sh": "#!/bin/sh\n"})
	v.files[0].Mode = 0o755
	wrote := map[string]File{}
	checkout(t, dir, v, wrote, false)
	os.Chmod(filepath.Join(dir, "run.sh"), 0o600)
	if _, res := checkout(t, dir, v, wrote, false); res != (Result{Kept: 1}) {
		t.Errorf("checkout of a file with another mode: %+v", res)
	}
	if info, _ := os.Stat(filepath.Join(dir, "run.sh")); info.Mode().Perm() != 0o755 {
		t.Errorf("mode = %v, want 0755", info.Mode().Perm())
	}
}

func TestVerifyManifest(t *testing.T) {
	v := makeVersion(map[string]string{"a": "1", "b/c": "2", "l": "->a"})
	rf := make([]registry.File, len(v.files))
	for i, f := range v.files {
		rf[i] = registry.File{Path: f.Path, Size: f.Size, Digest: f.Digest, Mode: f.Mode, Target: f.Target}
	}
	sorted, err := registry.ValidateManifest(rf)
	if err != nil {
		t.Fatal(err)
	}
	digest := registry.ManifestDigest(sorted)
	if err := VerifyManifest(digest, v.files); err != nil {
		t.Errorf("VerifyManifest of the right files: %v", err)
	}
	v.files[0].Size++
	if err := VerifyManifest(digest, v.files); err == nil || !strings.Contains(err.Error(), "not the pinned "+digest) {
		t.Errorf("VerifyManifest of changed files: %v", err)
	}
	if err := VerifyManifest(digest, []File{{Path: "../x", Size: 1, Digest: v.files[0].Digest}}); err == nil || !strings.Contains(err.Error(), "invalid file list") {
		t.Errorf("VerifyManifest of an escaping path: %v", err)
	}
}

func TestState(t *testing.T) {
	root := t.TempDir()
	s, err := LoadState(root)
	if err != nil || len(s.Folders) != 0 {
		t.Fatalf("missing state: %+v, %v", s, err)
	}
	e := Entry{Name: "churn", Digest: d1, Path: "models/churn"}
	s.Record(e, []File{{Path: "a/b", Size: 3, Digest: d2, Mode: 0o644}, {Path: "l", Target: "a/b"}})
	if err := s.Save(root); err != nil {
		t.Fatal(err)
	}
	back, err := LoadState(root)
	if err != nil {
		t.Fatal(err)
	}
	got := back.Folders["models/churn"]
	if got.Name != "churn" || got.Files["a/b"] != (File{Path: "a/b", Size: 3, Digest: d2, Mode: 0o644}) || got.Files["l"].Target != "a/b" {
		t.Errorf("state after a round trip: %+v", got)
	}
	os.WriteFile(filepath.Join(root, ".modelry", "checkout.json"), []byte("{nope"), 0o644)
	if _, err := LoadState(root); err == nil || !strings.Contains(err.Error(), "is damaged") {
		t.Errorf("damaged state: %v", err)
	}
}

// TestLockWorkTree: a second checkout of the same work tree waits, says so
// once, and goes on when the first releases the lock.
func TestLockWorkTree(t *testing.T) {
	root := t.TempDir()
	release, err := LockWorkTree(root, func() { t.Error("the first lock waited") })
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	got := make(chan error)
	go func() {
		release2, err := LockWorkTree(root, func() { close(waited) })
		if err == nil {
			release2()
		}
		got <- err
	}()
	<-waited
	select {
	case err := <-got:
		t.Fatalf("the second lock did not wait for the first: %v", err)
	default:
	}
	release()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}
