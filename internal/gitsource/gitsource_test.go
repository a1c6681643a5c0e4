package gitsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

// isolate keeps the user's git configuration (global excludes, aliases,
// diff settings) out of the tests and stops git from finding a repository
// above the temporary folders.
func isolate(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(t.TempDir()))
	for _, v := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
}

// run runs git in dir with a fixed identity and returns its output.
func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newRepo makes a repository on branch main with one commit of train.py.
func newRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	write(t, dir, "train.py", "print('train')\n")
	write(t, dir, ".gitignore", "*.log\n")
	run(t, dir, "add", ".")
	run(t, dir, "commit", "-q", "-m", "first")
	return dir
}

func capture(t *testing.T, dir string) *State {
	t.Helper()
	st, err := Capture(context.Background(), dir)
	if err != nil {
		t.Fatalf("Capture(%s): %v", dir, err)
	}
	return st
}

func TestCleanRepository(t *testing.T) {
	isolate(t)
	dir := newRepo(t)
	write(t, dir, "debug.log", "ignored files do not make the tree dirty\n")
	st := capture(t, dir)
	want := registry.GitSource{Commit: strings.TrimSpace(run(t, dir, "rev-parse", "HEAD")), Branch: "main"}
	if st == nil || st.Source != want || len(st.Changes) != 0 {
		t.Fatalf("Capture = %+v, want %+v and no changes", st, want)
	}
	if real, _ := filepath.EvalSymlinks(dir); st.Root != real && st.Root != dir {
		t.Errorf("Root = %q, want %q", st.Root, dir)
	}
}

// expectedDigest computes diff_digest from the shared definition, with its
// own calls to git and its own hashing.
func expectedDigest(t *testing.T, dir string, untracked map[string]string) string {
	t.Helper()
	d := run(t, dir, "diff", "HEAD", "--binary", "--no-color", "--no-ext-diff")
	var names []string
	for n := range untracked {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		sum := sha256.Sum256([]byte(untracked[n]))
		d += "untracked " + n + "\n" + hex.EncodeToString(sum[:]) + "\n"
	}
	sum := sha256.Sum256([]byte(d))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestDirtyTreeDigest(t *testing.T) {
	isolate(t)
	dir := newRepo(t)
	write(t, dir, "train.py", "print('train harder')\n")
	st := capture(t, dir)
	if !st.Source.Dirty || st.Source.Commit == "" || st.Source.Branch != "main" {
		t.Fatalf("modified tree: %+v, want dirty on main at a commit", st.Source)
	}
	first := st.Source.DiffDigest
	if want := expectedDigest(t, dir, nil); first != want {
		t.Errorf("diff_digest = %s, want %s (computed from git diff HEAD)", first, want)
	}
	if strings.Join(st.Changes, "|") != " M train.py" {
		t.Errorf("Changes = %q, want [\" M train.py\"]", st.Changes)
	}

	write(t, dir, "train.py", "print('train even harder')\n")
	second := capture(t, dir).Source.DiffDigest
	if second == first {
		t.Error("diff_digest did not change when the diff changed")
	}

	write(t, dir, "notes/b.txt", "bbb")
	write(t, dir, "a.txt", "aaa")
	write(t, dir, "run.log", "ignored")
	st = capture(t, dir)
	if want := expectedDigest(t, dir, map[string]string{"a.txt": "aaa", "notes/b.txt": "bbb"}); st.Source.DiffDigest != want {
		t.Errorf("with untracked files: diff_digest = %s, want %s", st.Source.DiffDigest, want)
	}
	write(t, dir, "notes/b.txt", "BBB")
	if capture(t, dir).Source.DiffDigest == st.Source.DiffDigest {
		t.Error("diff_digest did not change when an untracked file changed")
	}

	// A sub-folder sees the same repository, untracked files outside it included.
	sub := capture(t, filepath.Join(dir, "notes"))
	if top := capture(t, dir); sub.Source != top.Source {
		t.Errorf("from a sub-folder: %+v, from the top: %+v", sub.Source, top.Source)
	}

	// Reverting everything makes the tree clean again.
	run(t, dir, "checkout", "-q", "--", "train.py")
	for _, p := range []string{"a.txt", "notes"} {
		os.RemoveAll(filepath.Join(dir, p))
	}
	if st := capture(t, dir); st.Source.Dirty || st.Source.DiffDigest != "" {
		t.Errorf("reverted tree: %+v, want clean without a digest", st.Source)
	}
}

func TestStagedAndRenamed(t *testing.T) {
	isolate(t)
	dir := newRepo(t)
	run(t, dir, "mv", "train.py", "fit.py")
	write(t, dir, "new.py", "x = 1\n")
	run(t, dir, "add", "new.py")
	st := capture(t, dir)
	got := strings.Join(st.Changes, "|")
	if got != "R  fit.py|A  new.py" {
		t.Errorf("Changes = %q, want a rename and an addition", got)
	}
	if want := expectedDigest(t, dir, nil); st.Source.DiffDigest != want {
		t.Errorf("staged changes: diff_digest = %s, want %s", st.Source.DiffDigest, want)
	}
}

func TestNoCommitsYet(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "trunk")
	st := capture(t, dir)
	if st == nil || st.Source != (registry.GitSource{Branch: "trunk"}) {
		t.Fatalf("empty repository: %+v, want only the unborn branch", st)
	}
	write(t, dir, "a.txt", "aaa")
	st = capture(t, dir)
	sum := sha256.Sum256([]byte("aaa"))
	d := sha256.Sum256([]byte("untracked a.txt\n" + hex.EncodeToString(sum[:]) + "\n"))
	if want := "sha256:" + hex.EncodeToString(d[:]); !st.Source.Dirty || st.Source.Commit != "" || st.Source.DiffDigest != want {
		t.Errorf("untracked file before the first commit: %+v, want dirty with digest %s", st.Source, want)
	}
	run(t, dir, "add", "a.txt")
	staged := capture(t, dir).Source.DiffDigest
	// The well-known SHA-1 empty tree stands in for the missing HEAD.
	emptyTreeDiff := run(t, dir, "diff", "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "--binary", "--no-color", "--no-ext-diff")
	if sum := sha256.Sum256([]byte(emptyTreeDiff)); staged != "sha256:"+hex.EncodeToString(sum[:]) || !strings.Contains(emptyTreeDiff, "+aaa") {
		t.Errorf("staged file before the first commit: diff_digest %s, want the digest of the diff against the empty tree", staged)
	}
}

func TestDetachedHead(t *testing.T) {
	isolate(t)
	dir := newRepo(t)
	run(t, dir, "checkout", "-q", "--detach")
	st := capture(t, dir)
	if st.Source.Branch != "" || st.Source.Commit != strings.TrimSpace(run(t, dir, "rev-parse", "HEAD")) {
		t.Errorf("detached HEAD: %+v, want the commit and no branch", st.Source)
	}
}

func TestRemotes(t *testing.T) {
	isolate(t)
	dir := newRepo(t)
	if got := capture(t, dir).Source.Remote; got != "" {
		t.Errorf("no remote: Remote = %q", got)
	}
	run(t, dir, "remote", "add", "zeta", "https://zeta.example.com/z.git")
	run(t, dir, "remote", "add", "alpha", "git@alpha.example.com:team/a.git")
	if got := capture(t, dir).Source.Remote; got != "git@alpha.example.com:team/a.git" {
		t.Errorf("no origin: Remote = %q, want the first remote by name, as written", got)
	}
	run(t, dir, "remote", "add", "origin", "https://ci-bot:s3cret-token@github.com/acme/churn.git")
	if got := capture(t, dir).Source.Remote; got != "https://github.com/acme/churn.git" {
		t.Errorf("origin with credentials: Remote = %q, want them stripped", got)
	}
}

func TestStripCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:token@github.com/a/b.git": "https://github.com/a/b.git",
		"https://token@github.com/a/b.git":      "https://github.com/a/b.git",
		"https://u:p@ss@host:8443/x":            "https://host:8443/x",
		"ssh://git@host:22/org/repo.git":        "ssh://host:22/org/repo.git",
		"https://github.com/a/b.git":            "https://github.com/a/b.git",
		"https://host/path/with@sign":           "https://host/path/with@sign",
		"git@github.com:acme/churn.git":         "git@github.com:acme/churn.git",
		"file:///srv/git/repo.git":              "file:///srv/git/repo.git",
		"/srv/git/repo.git":                     "/srv/git/repo.git",
		"../sibling":                            "../sibling",
		"https://user:tok@host":                 "https://host",
		"":                                      "",
	} {
		if got := StripCredentials(in); got != want {
			t.Errorf("StripCredentials(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNoWorkTree(t *testing.T) {
	isolate(t)
	plain := t.TempDir()
	repo := newRepo(t)
	bare := t.TempDir()
	run(t, bare, "init", "-q", "--bare")
	for name, dir := range map[string]string{
		"plain folder":    plain,
		"inside .git":     filepath.Join(repo, ".git"),
		"bare repository": bare,
	} {
		if st, err := Capture(context.Background(), dir); st != nil || err != nil {
			t.Errorf("%s: Capture = %+v, %v; want nil, nil", name, st, err)
		}
	}
	t.Setenv("PATH", t.TempDir()) // no git at all
	if st, err := Capture(context.Background(), repo); st != nil || err != nil {
		t.Errorf("without git: Capture = %+v, %v; want nil, nil", st, err)
	}
}

func TestSymlinkAndNestedRepository(t *testing.T) {
	isolate(t)
	dir := newRepo(t)
	if err := os.Symlink("train.py", filepath.Join(dir, "link.py")); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(dir, "vendor")
	os.MkdirAll(nested, 0o755)
	run(t, nested, "init", "-q")
	st := capture(t, dir)
	// The link counts as its target's name; the nested repository, listed
	// as "vendor/", as empty contents.
	if want := expectedDigest(t, dir, map[string]string{"link.py": "train.py", "vendor/": ""}); st.Source.DiffDigest != want {
		t.Errorf("diff_digest = %s, want %s", st.Source.DiffDigest, want)
	}
}

func TestSHA256Repository(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main", "--object-format=sha256")
	write(t, dir, "a.txt", "aaa")
	run(t, dir, "add", "a.txt")
	if st := capture(t, dir); !st.Source.Dirty || st.Source.DiffDigest == "" {
		t.Errorf("staged file before the first commit: %+v", st.Source)
	}
	run(t, dir, "commit", "-q", "-m", "first")
	write(t, dir, "a.txt", "AAA")
	st := capture(t, dir)
	if len(st.Source.Commit) != 64 || st.Source.Commit != strings.TrimSpace(run(t, dir, "rev-parse", "HEAD")) {
		t.Errorf("commit = %q, want the 64-digit HEAD", st.Source.Commit)
	}
	if want := expectedDigest(t, dir, nil); st.Source.DiffDigest != want {
		t.Errorf("diff_digest = %s, want %s", st.Source.DiffDigest, want)
	}
}
