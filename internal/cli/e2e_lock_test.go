package cli_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lockGit runs git in dir with a fixed identity and no user configuration.
func lockGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// lockRepo makes a git repository with one commit of unrelated code.
func lockRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	lockGit(t, repo, "init", "-q", "-b", "main")
	writeFiles(t, repo, map[string]string{"src/train.py": "print('train')\n"})
	lockGit(t, repo, "add", "-A")
	lockGit(t, repo, "commit", "-q", "-m", "code")
	return repo
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// listTree describes every file and link under root (content, or link
// target), skipping the paths in skip.
func listTree(t *testing.T, root string, skip ...string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		for _, s := range skip {
			if rel == s {
				return nil
			}
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			m[rel] = "link -> " + target
			return nil
		}
		b, err := os.ReadFile(p)
		m[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameFiles(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: %s is missing", what, name)
		} else if g != w {
			t.Errorf("%s: %s = %.40q, want %.40q", what, name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: unexpected %s", what, name)
		}
	}
}

// TestLockCheckoutFollowsGitHistory is the pinning workflow: pin, commit,
// push a new version, pin again, commit; then an old modelry.lock from git
// and 'modelry checkout' bring back the old files byte for byte and leave
// everything else alone.
func TestLockCheckoutFollowsGitHistory(t *testing.T) {
	v1 := t.TempDir()
	writeFiles(t, v1, map[string]string{"model.bin": strings.Repeat("v1 weights ", 100_000), "config/cfg.json": `{"v": 1}`})
	os.Symlink("config/cfg.json", filepath.Join(v1, "current.json"))
	v2 := t.TempDir()
	writeFiles(t, v2, map[string]string{"model.bin": strings.Repeat("v2 weights ", 120_000), "extra.bin": "new in v2"})
	push(t, admin, "lock-churn", v1, "--alias", "production")

	repo := lockRepo(t)
	in := runner{token: adminToken, dir: filepath.Join(repo, "src")} // from a subfolder: the lock goes to the root
	res := in.run(t, "lock", "add", "lock-churn@production")
	if res.code != 0 || !strings.Contains(res.stdout, "pinned lock-churn/1 ") || !strings.Contains(res.stderr, "hint: add .modelry/ to") {
		t.Fatalf("lock add: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	lock, err := os.ReadFile(filepath.Join(repo, "modelry.lock"))
	if err != nil || !strings.Contains(string(lock), "\nmodel lock-churn 1 sha256:") || !strings.Contains(string(lock), " models/lock-churn lock-churn@production\n") {
		t.Fatalf("modelry.lock = %q, %v", lock, err)
	}
	writeFiles(t, repo, map[string]string{".gitignore": ".modelry/\nmodels/\n"})
	if res := in.run(t, "lock", "add", "lock-churn@production"); strings.Contains(res.stderr, "hint") {
		t.Errorf("the .gitignore hint is shown although .gitignore has .modelry/: %q", res.stderr)
	}
	in.fails(t, 1, "1 of 1 pinned folder differs", "lock", "status") // not checked out yet
	out := in.ok(t, "checkout")
	if !strings.Contains(out, "checked out lock-churn/1 ") || !strings.Contains(out, "3 written, 0 removed, 0 unchanged") {
		t.Errorf("checkout output = %q", out)
	}
	dir := filepath.Join(repo, "models", "lock-churn")
	want1 := listTree(t, v1)
	sameFiles(t, "after the first checkout", want1, listTree(t, dir))
	lockGit(t, repo, "add", "-A")
	lockGit(t, repo, "commit", "-q", "-m", "pin churn v1")

	// A user's own file in the pinned folder, and a new version upstream.
	writeFiles(t, dir, map[string]string{"notes.txt": "mine"})
	push(t, admin, "lock-churn", v2, "--alias", "production")
	out = in.ok(t, "lock", "status")
	if !strings.Contains(out, "clean") || !strings.Contains(out, "lock-churn@production has moved to 2") || !strings.Contains(out, "extra     models/lock-churn/notes.txt  4 B") {
		t.Errorf("status after the alias moved = %q", out)
	}
	in.ok(t, "lock", "add", "lock-churn@production")
	in.fails(t, 1, "1 of 1 pinned folder differs", "lock", "status")
	out = in.ok(t, "checkout")
	if !strings.Contains(out, "checked out lock-churn/2 ") || !strings.Contains(out, "2 written, 2 removed, 0 unchanged") {
		t.Errorf("checkout of v2 output = %q", out)
	}
	sameFiles(t, "after checking out v2", listTree(t, v2), listTree(t, dir, "notes.txt"))
	lockGit(t, repo, "commit", "-q", "-am", "pin churn v2")

	// Back to the first commit's lock: v1 returns byte for byte.
	lockGit(t, repo, "checkout", "HEAD~1", "--", "modelry.lock")
	in.ok(t, "checkout")
	sameFiles(t, "after checking out the old lock", want1, listTree(t, dir, "notes.txt"))
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Errorf("the user's notes.txt = %q after checkout, want it left alone", b)
	}
	if b, _ := os.ReadFile(filepath.Join(repo, "src", "train.py")); string(b) != "print('train')\n" {
		t.Errorf("unrelated src/train.py = %q", b)
	}
	if out := in.ok(t, "lock", "status"); !strings.Contains(out, "clean") {
		t.Errorf("status after checkout = %q", out)
	}
	if out := in.ok(t, "checkout"); !strings.Contains(out, "0 written, 0 removed, 3 unchanged") {
		t.Errorf("a second checkout rewrote files: %q", out)
	}

	// Unpinned: checkout removes what it wrote and keeps the user's file.
	in.ok(t, "lock", "rm", "lock-churn")
	res = in.run(t, "lock", "status")
	if res.code != 1 || !strings.Contains(res.stdout, "models/lock-churn  unpinned") || !strings.Contains(res.stdout, "stale     models/lock-churn/model.bin") {
		t.Errorf("status of an unpinned folder: exit %d\n%s", res.code, res.stdout)
	}
	if out := in.ok(t, "checkout"); out != "cleaned models/lock-churn (no longer pinned): 3 removed\n" {
		t.Errorf("checkout after lock rm = %q", out)
	}
	sameFiles(t, "after lock rm and checkout", map[string]string{"notes.txt": "mine"}, listTree(t, dir))
	if out := in.ok(t, "lock", "status"); !strings.Contains(out, "NAME") || strings.Contains(out, "lock-churn") {
		t.Errorf("status with nothing pinned = %q", out)
	}
}

// TestCheckoutRefusesLocalChanges: a changed pinned file is reported by
// status and never overwritten without --force.
func TestCheckoutRefusesLocalChanges(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"model.bin": "pinned bytes", "labels.txt": "a\nb\n"})
	push(t, admin, "lock-mod", src)
	repo := lockRepo(t)
	in := runner{token: adminToken, dir: repo}
	in.ok(t, "lock", "add", "lock-mod")
	in.ok(t, "checkout")
	dir := filepath.Join(repo, "models", "lock-mod")

	writeFiles(t, dir, map[string]string{"model.bin": "my local edit"})
	os.Remove(filepath.Join(dir, "labels.txt"))
	res := in.run(t, "lock", "status")
	if res.code != 1 || !strings.Contains(res.stdout, "modified  models/lock-mod/model.bin  13 B (pinned 12 B): changed since checkout wrote it") ||
		!strings.Contains(res.stdout, "missing   models/lock-mod/labels.txt  (pinned 4 B)") {
		t.Errorf("status of a modified folder: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	var st struct {
		Clean   bool
		Entries []struct {
			Name, Status string
			Files        []struct{ Path, Status string }
		}
	}
	decode(t, in.run(t, "lock", "status", "-o", "json").stdout, &st)
	if st.Clean || len(st.Entries) != 1 || st.Entries[0].Status != "modified" || len(st.Entries[0].Files) != 2 {
		t.Errorf("status -o json = %+v", st)
	}

	in.fails(t, 1, "checkout would overwrite or remove 1 locally modified file, so it wrote nothing", "checkout")
	if b, _ := os.ReadFile(filepath.Join(dir, "model.bin")); string(b) != "my local edit" {
		t.Errorf("refused checkout changed model.bin to %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "labels.txt")); err == nil {
		t.Errorf("refused checkout wrote labels.txt")
	}
	in.ok(t, "checkout", "--force")
	sameFiles(t, "after checkout --force", listTree(t, src), listTree(t, dir))

	// A file checkout did not write, where a pinned file goes, is refused too.
	os.RemoveAll(filepath.Join(repo, ".modelry"))
	writeFiles(t, dir, map[string]string{"labels.txt": "someone else's"})
	msg := in.fails(t, 1, "checkout would overwrite", "checkout")
	if !strings.Contains(msg, "models/lock-mod/labels.txt (not written by checkout)") {
		t.Errorf("refusal does not name the file: %q", msg)
	}
}

// TestLockBadInput: a lock edited into nonsense, paths escaping the
// repository and a pinned digest the server no longer has are clear errors
// that write nothing.
func TestLockBadInput(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"w.bin": "weights"})
	_, digest, _ := push(t, admin, "lock-bad", src)
	repo := lockRepo(t)
	in := runner{token: adminToken, dir: repo}

	in.fails(t, 1, "no modelry.lock in "+repo, "checkout")
	in.fails(t, 1, "../outside is outside the repository", "lock", "add", "lock-bad", "--path", "../outside")
	in.fails(t, 1, `path ".git/x" is inside .git`, "lock", "add", "lock-bad", "--path", ".git/x")
	in.fails(t, 2, "lock add takes REF", "lock", "add")

	header := "format 1\n"
	for _, tt := range []struct{ name, lock, msg string }{
		{"nonsense", "format 1\nthis is not a lock\n", "modelry.lock:2: an entry has 6 fields"},
		{"no format line", "model lock-bad 1 " + digest + " models/x lock-bad\n", "modelry.lock:1: expected 'format 1'"},
		{"bad digest", header + "model lock-bad 1 sha256:abc models/x lock-bad\n", `modelry.lock:2: digest "sha256:abc" is not of the form`},
		{"escaping path", header + "model lock-bad 1 " + digest + " ../x lock-bad\n", `modelry.lock:2: path "../x" contains '..'`},
		{"absolute path", header + "model lock-bad 1 " + digest + " /tmp/x lock-bad\n", `modelry.lock:2: path "/tmp/x" is absolute`},
		{"duplicate", header + "model lock-bad 1 " + digest + " a lock-bad\nmodel lock-bad 1 " + digest + " b lock-bad\n", "modelry.lock:3: lock-bad is pinned twice (also line 2)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			writeFiles(t, repo, map[string]string{"modelry.lock": tt.lock})
			in.fails(t, 1, filepath.Join(repo, tt.msg), "checkout")
			in.fails(t, 1, filepath.Join(repo, tt.msg), "lock", "status")
		})
	}

	// A folder that leads out of the repository through a symbolic link.
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(repo, "models"))
	writeFiles(t, repo, map[string]string{"modelry.lock": header + "model lock-bad 1 " + digest + " models/lock-bad lock-bad\n"})
	in.fails(t, 1, "models/lock-bad leads out of the repository through a symbolic link", "checkout")
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("checkout wrote %d entries outside the repository", len(entries))
	}
	os.Remove(filepath.Join(repo, "models"))

	// The pinned model is deleted from the server: nothing is written.
	admin.ok(t, "delete", "--model", "lock-bad")
	msg := in.fails(t, 1, "lock-bad: the pinned version lock-bad/1 ("+digest+") is no longer on the server", "checkout")
	if !strings.Contains(msg, "modelry lock add lock-bad") {
		t.Errorf("error does not say how to fix it: %q", msg)
	}
	if _, err := os.Stat(filepath.Join(repo, "models")); err == nil {
		t.Errorf("checkout of a digest the server no longer has created models/")
	}
	res := in.run(t, "lock", "status")
	if res.code != 1 || !strings.Contains(res.stdout, "error") {
		t.Errorf("status with a vanished digest: exit %d\n%s", res.code, res.stdout)
	}
	// Checkout cannot restore a version the server no longer has: status
	// must not say it would, nor name the entry twice.
	if strings.Contains(res.stderr, "'modelry checkout' restores") || !strings.Contains(res.stderr, "1 of 1 pin could not be checked") {
		t.Errorf("status with a vanished digest says: %q", res.stderr)
	}
	if strings.Contains(res.stdout, "lock-bad: lock-bad:") {
		t.Errorf("status names the entry twice:\n%s", res.stdout)
	}
}
