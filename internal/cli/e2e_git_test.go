package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelry/modelry/client"
)

// gitRepo makes a real repository with one commit and an origin whose URL
// carries credentials, and returns its folder.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(dir, "train.py"), []byte("print('fit')\n"), 0o644)
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "first")
	git(t, dir, "remote", "add", "origin", "https://ci:tok3n@git.example.com/acme/churn.git")
	return dir
}

// git runs git in dir without the user's configuration.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Env = append(cleanEnv(), gitEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// gitEnv keeps system git configuration out of the CLI's git calls (HOME is
// already a scratch folder).
var gitEnv = []string{"GIT_CONFIG_NOSYSTEM=1"}

// modelFile writes a small model file outside any repository.
func modelFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "model.bin")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func pushedVersion(t *testing.T, r runner, args ...string) client.Version {
	t.Helper()
	var v client.Version
	decode(t, r.ok(t, append(append([]string{"push"}, args...), "-o", "json")...), &v)
	return v
}

func TestPushRecordsGitSource(t *testing.T) {
	repo := gitRepo(t)
	os.MkdirAll(filepath.Join(repo, "src"), 0o755)
	inRepo := runner{token: adminToken, dir: filepath.Join(repo, "src"), env: gitEnv}
	model := modelFile(t, "weights from git")

	v := pushedVersion(t, inRepo, "git-src", model)
	want := client.GitSource{Remote: "https://git.example.com/acme/churn.git", Commit: git(t, repo, "rev-parse", "HEAD"), Branch: "main"}
	if v.Source.Git == nil || *v.Source.Git != want {
		t.Fatalf("push in a clean repo recorded %+v, want %+v", v.Source.Git, want)
	}
	var shown client.Version
	decode(t, admin.ok(t, "show", "git-src/1", "-o", "json"), &shown)
	if shown.Source.Git == nil || *shown.Source.Git != want {
		t.Errorf("the server returned source.git %+v, want %+v", shown.Source.Git, want)
	}
	text := admin.ok(t, "show", "git-src/1")
	for _, line := range []string{"git commit:   " + want.Commit + " on branch main, clean\n", "git remote:   " + want.Remote + "\n"} {
		if !strings.Contains(text, line) {
			t.Errorf("show does not print %q:\n%s", line, text)
		}
	}

	// A dirty tree is recorded as such, with the digest of its diff.
	os.WriteFile(filepath.Join(repo, "train.py"), []byte("print('fit harder')\n"), 0o644)
	v = pushedVersion(t, inRepo, "git-src", model)
	if g := v.Source.Git; g == nil || !g.Dirty || !strings.HasPrefix(g.DiffDigest, "sha256:") || g.Commit != want.Commit {
		t.Errorf("push in a dirty repo recorded %+v, want dirty with a diff digest", g)
	}
	if text := admin.ok(t, "show", "git-src/2"); !strings.Contains(text, "with uncommitted changes (diff "+v.Source.Git.DiffDigest+")") {
		t.Errorf("show does not say the tree was dirty:\n%s", text)
	}

	// A run id given with --run is kept next to the git source.
	v = pushedVersion(t, inRepo, "git-src", model, "--run", "8f2c1e")
	if v.Source.Git == nil || v.Source.Git.Commit != want.Commit || v.Source.Run == nil || v.Source.Run.ID != "8f2c1e" {
		t.Errorf("push --run in a repo recorded git %+v and run %+v; want both", v.Source.Git, v.Source.Run)
	}

	// --no-git records nothing; outside a repository there is nothing to record.
	if v := pushedVersion(t, inRepo, "git-src", model, "--no-git"); v.Source.Git != nil {
		t.Errorf("--no-git recorded %+v", v.Source.Git)
	}
	outside := runner{token: adminToken, dir: t.TempDir(), env: append(gitEnv, "GIT_CEILING_DIRECTORIES="+os.TempDir())}
	if v := pushedVersion(t, outside, "git-src", model); v.Source.Git != nil {
		t.Errorf("push outside a repository recorded %+v", v.Source.Git)
	}
}

func TestPushRequireClean(t *testing.T) {
	repo := gitRepo(t)
	inRepo := runner{token: adminToken, dir: repo, env: gitEnv}
	model := modelFile(t, "weights that must not be uploaded "+t.Name())

	v := pushedVersion(t, inRepo, "git-clean", model, "--require-clean")
	if v.Source.Git == nil || v.Source.Git.Dirty {
		t.Fatalf("--require-clean in a clean tree: source %+v", v.Source.Git)
	}

	os.WriteFile(filepath.Join(repo, "train.py"), []byte("changed\n"), 0o644)
	for i := range 11 {
		os.WriteFile(filepath.Join(repo, fmt.Sprintf("new%02d.txt", i)), []byte("x"), 0o644)
	}
	stderr := inRepo.fails(t, 1, "--require-clean: the git work tree ", "push", "git-dirty", model, "--require-clean")
	for _, want := range []string{"has uncommitted changes", "(M train.py, ?? new00.txt", "?? new08.txt", "and 2 more", "commit or stash them"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("refusal %q does not mention %q", stderr, want)
		}
	}
	if strings.Contains(stderr, "new09.txt") {
		t.Errorf("refusal lists more than 10 paths: %q", stderr)
	}
	admin.fails(t, 1, "NOT_FOUND: ", "show", "git-dirty")
	var versions []client.Version
	decode(t, admin.ok(t, "versions", "git-clean", "-o", "json"), &versions)
	if len(versions) != 1 {
		t.Errorf("git-clean has %d versions after the refused push, want 1", len(versions))
	}

	inRepo.fails(t, 2, "--require-clean needs the git source", "push", "git-dirty", model, "--require-clean", "--no-git")
	outside := runner{token: adminToken, dir: t.TempDir(), env: append(gitEnv, "GIT_CEILING_DIRECTORIES="+os.TempDir())}
	outside.fails(t, 1, "--require-clean: the working directory is not inside a git work tree", "push", "git-dirty", model, "--require-clean")
}
