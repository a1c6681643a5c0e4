// Package gitsource records which code a version was made from: the git
// remote, commit, branch and uncommitted changes of the work tree that
// contains a directory. It runs the git binary (no shell, no prompts) and
// never changes the repository. It does not talk to a server; the CLI puts
// its result into the version's source.
//
// This package is the reference for every client that records a git source
// (the Python SDK computes the same values the same way). All commands run
// with the work tree's top-level folder as their working directory
// (git -C TOP), found with `git rev-parse --show-toplevel`, so that paths
// never depend on the sub-folder the user stands in:
//
//   - remote: `git remote get-url origin`; when there is no origin, the
//     first name of `git remote` in byte order, through `git remote get-url`.
//     A URL with a scheme ("https://user:token@host/x") loses its userinfo,
//     everything of the authority up to its last "@" ("https://host/x");
//     scp-like addresses ("git@host:org/x.git") and local paths are kept as
//     they are, having no credentials. Empty when there is no remote.
//   - commit: `git rev-parse -q --verify HEAD` (the value of `git rev-parse
//     HEAD`); empty in a repository with no commits yet.
//   - branch: `git symbolic-ref --short -q HEAD`; empty on a detached HEAD.
//     In a repository with no commits it is the unborn branch's name.
//   - dirty: `git status --porcelain --untracked-files=normal` prints
//     anything (ignored files do not count).
//   - diff_digest, only when dirty: "sha256:" + hex(sha256(D)), where D is
//     the output of `git diff HEAD --binary --no-color --no-ext-diff`
//     followed, for each path P of `git ls-files --others --exclude-standard
//     -z` in byte order, by the bytes "untracked " + P + "\n" +
//     hex(sha256(contents of P)) + "\n". The contents of a symbolic link are
//     its target as readlink returns it; an entry that is a folder (an
//     untracked nested repository, listed as "sub/") has empty contents. In a
//     repository with no commits there is no HEAD to diff against: the empty
//     tree takes its place: `git diff EMPTY --binary --no-color
//     --no-ext-diff` where EMPTY is what `git hash-object -t tree --stdin`
//     prints for empty input (the repository's empty-tree id, SHA-1 or
//     SHA-256). Paths and git's output are taken as raw bytes: P is exactly
//     what -z prints (relative to the top level, unquoted), and sorting
//     compares bytes.
//
// Outside a work tree (including inside a .git folder or a bare repository),
// or when git is not installed, there is no git source and no error. Every
// command runs with GIT_TERMINAL_PROMPT=0 and LC_ALL=C, and status with
// --no-optional-locks so that it never writes the index.
package gitsource

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modelry/modelry/internal/registry"
)

// State is the git source of a work tree plus what a caller needs to explain
// it: the top-level folder and the changed paths.
type State struct {
	Source registry.GitSource
	// Root is the work tree's top-level folder.
	Root string
	// Changes are the lines of `git status --porcelain`, "XY PATH" (e.g.
	// " M train.py", "?? notes.txt"), in git's order; empty when clean.
	Changes []string
}

// Capture returns the git state of the work tree containing dir ("" means
// the current directory), or nil when dir is not inside a work tree or git is
// not installed. Any other failure of git is an error.
func Capture(ctx context.Context, dir string) (*State, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, nil
	}
	if dir == "" {
		dir = "."
	}
	top, err := toplevel(ctx, dir)
	if top == "" || err != nil {
		return nil, err
	}
	g := git{dir: top}
	st := &State{Root: top}
	if st.Source.Remote, err = g.remote(ctx); err != nil {
		return nil, err
	}
	if st.Source.Commit, err = g.optional(ctx, "rev-parse", "-q", "--verify", "HEAD"); err != nil {
		return nil, err
	}
	if st.Source.Branch, err = g.optional(ctx, "symbolic-ref", "--short", "-q", "HEAD"); err != nil {
		return nil, err
	}
	if st.Changes, err = g.changes(ctx); err != nil {
		return nil, err
	}
	if len(st.Changes) > 0 {
		st.Source.Dirty = true
		if st.Source.DiffDigest, err = g.diffDigest(ctx, st.Source.Commit != ""); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// toplevel returns the top-level folder of the work tree containing dir, or
// "" when there is none.
func toplevel(ctx context.Context, dir string) (string, error) {
	g := git{dir: dir}
	inside, err := g.output(ctx, "rev-parse", "--is-inside-work-tree")
	var ge *gitError
	if errors.As(err, &ge) && ge.notRepository() {
		return "", nil
	}
	if err != nil || strings.TrimSpace(string(inside)) != "true" {
		return "", err // inside a .git folder or a bare repository: no work tree
	}
	top, err := g.output(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(top), "\n"), nil
}

// remote is origin's URL, else the first remote's, without credentials.
func (g git) remote(ctx context.Context) (string, error) {
	url, err := g.optional(ctx, "remote", "get-url", "origin")
	if err != nil || url != "" {
		return StripCredentials(url), err
	}
	names, err := g.output(ctx, "remote")
	if err != nil {
		return "", err
	}
	list := strings.Fields(string(names))
	if len(list) == 0 {
		return "", nil
	}
	slices.Sort(list)
	out, err := g.output(ctx, "remote", "get-url", list[0])
	return StripCredentials(strings.TrimRight(string(out), "\n")), err
}

// StripCredentials removes the userinfo of a URL with a scheme
// ("https://user:token@host/x" -> "https://host/x"). Other forms, scp-like
// "user@host:path" and local paths, carry no credentials and come back as
// they are.
func StripCredentials(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	authority, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	return scheme + "://" + authority + path
}

// changes returns the `git status --porcelain` entries, one per changed path.
func (g git) changes(ctx context.Context) ([]string, error) {
	out, err := g.output(ctx, "--no-optional-locks", "status", "--porcelain", "-z", "--untracked-files=normal")
	if err != nil {
		return nil, err
	}
	var changes []string
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if len(f) < 4 {
			continue
		}
		changes = append(changes, f)
		if f[0] == 'R' || f[0] == 'C' {
			i++ // a rename or copy is followed by its original path
		}
	}
	return changes, nil
}

// diffDigest hashes the uncommitted changes: the diff of the work tree
// against HEAD (or the empty tree), then each untracked file.
func (g git) diffDigest(ctx context.Context, hasHead bool) (string, error) {
	base := "HEAD"
	if !hasHead {
		empty, err := g.output(ctx, "hash-object", "-t", "tree", "--stdin") // stdin is empty
		if err != nil {
			return "", err
		}
		base = strings.TrimSpace(string(empty))
	}
	h := sha256.New()
	if err := g.stream(ctx, h, "diff", base, "--binary", "--no-color", "--no-ext-diff"); err != nil {
		return "", err
	}
	list, err := g.output(ctx, "ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return "", err
	}
	paths := strings.Split(strings.TrimSuffix(string(list), "\x00"), "\x00")
	slices.Sort(paths)
	for _, p := range paths {
		if p == "" {
			continue
		}
		sum, err := contentDigest(filepath.Join(g.dir, filepath.FromSlash(p)))
		if err != nil {
			return "", fmt.Errorf("hash untracked file %s: %w", p, err)
		}
		fmt.Fprintf(h, "untracked %s\n%s\n", p, sum)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// contentDigest is the hex SHA-256 of a file's bytes, of a link's target, or
// of nothing for a folder.
func contentDigest(path string) (string, error) {
	h := sha256.New()
	info, err := os.Lstat(path)
	switch {
	case err != nil:
		return "", err
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		io.WriteString(h, target)
	case info.Mode().IsRegular():
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// git runs git commands in one folder.
type git struct{ dir string }

// gitError is a git command that exited with an error status.
type gitError struct {
	args   []string
	code   int
	stderr string
}

func (e *gitError) Error() string {
	msg := strings.Join(strings.Fields(e.stderr), " ")
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", e.code)
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.args, " "), msg)
}

func (e *gitError) notRepository() bool {
	return strings.Contains(e.stderr, "not a git repository")
}

func (g git) command(ctx context.Context, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", g.dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "LANGUAGE=C")
	return cmd
}

// stream runs git with its standard output written to w.
func (g git) stream(ctx context.Context, w io.Writer, args ...string) error {
	var stderr bytes.Buffer
	cmd := g.command(ctx, args)
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return &gitError{args: args, code: ee.ExitCode(), stderr: stderr.String()}
		}
		return fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return ctx.Err()
}

// output runs git and returns its standard output.
func (g git) output(ctx context.Context, args ...string) ([]byte, error) {
	var out bytes.Buffer
	err := g.stream(ctx, &out, args...)
	return out.Bytes(), err
}

// optional runs a git command that exits with status 1 or 2 when the thing
// asked for does not exist (no HEAD yet, a detached HEAD, no such remote),
// and returns its one line of output, or "" when it does not exist.
func (g git) optional(ctx context.Context, args ...string) (string, error) {
	out, err := g.output(ctx, args...)
	var ge *gitError
	if errors.As(err, &ge) && (ge.code == 1 || ge.code == 2) {
		return "", nil
	}
	return strings.TrimRight(string(out), "\n"), err
}
