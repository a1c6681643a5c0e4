package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
	"github.com/modelry/modelry/internal/gitsource"
)

// maxListedChanges is how many changed paths a --require-clean refusal names.
const maxListedChanges = 10

// gitFlags are the flags of 'modelry push' about the code's provenance.
type gitFlags struct {
	requireClean, noGit bool
}

func (g *gitFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&g.requireClean, "require-clean", false, "refuse to push when the git work tree has uncommitted changes")
	cmd.Flags().BoolVar(&g.noGit, "no-git", false, "do not record the git commit, branch and remote of the working directory")
}

// source returns the git part of a push's source from the working directory:
// its commit, branch, remote and uncommitted-diff digest, or nil outside a
// git work tree. With --require-clean, a dirty tree (or no work tree at
// all) is an error and nothing is pushed.
func (g gitFlags) source(ctx context.Context, cmd *cobra.Command) (*client.GitSource, error) {
	if g.noGit {
		if g.requireClean {
			return nil, usageErr(cmd, "--require-clean needs the git source that --no-git turns off; give one of them")
		}
		return nil, nil
	}
	st, err := gitsource.Capture(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("%w (push with --no-git to skip recording the code's git source)", err)
	}
	if st == nil {
		if g.requireClean {
			return nil, fmt.Errorf("--require-clean: the working directory is not inside a git work tree (or git is not installed), so its code cannot be recorded")
		}
		return nil, nil
	}
	if g.requireClean && st.Source.Dirty {
		return nil, dirtyError(st)
	}
	gs := client.GitSource(st.Source)
	return &gs, nil
}

// dirtyError names the first changed paths of a work tree that
// --require-clean refuses.
func dirtyError(st *gitsource.State) error {
	shown := make([]string, 0, maxListedChanges)
	for _, c := range st.Changes[:min(len(st.Changes), maxListedChanges)] {
		shown = append(shown, strings.TrimSpace(c)) // " M a.py" -> "M a.py"
	}
	list := strings.Join(shown, ", ")
	if more := len(st.Changes) - len(shown); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	return fmt.Errorf("--require-clean: the git work tree %s has uncommitted changes (%s); commit or stash them, or push without --require-clean",
		st.Root, list)
}

// printGitSource prints a version's git source for 'modelry show':
//
//	git commit:   3f2a... on branch main, with uncommitted changes (diff sha256:...)
//	git remote:   https://github.com/acme/churn.git
func printGitSource(w io.Writer, g *client.GitSource) {
	fmt.Fprintf(w, "git commit:   %s\n", describeGit(g))
	if g.Remote != "" {
		fmt.Fprintf(w, "git remote:   %s\n", g.Remote)
	}
}

// describeGit renders commit, branch and dirtiness in one phrase.
func describeGit(g *client.GitSource) string {
	s := g.Commit
	if s == "" {
		s = "(no commit yet)"
	}
	if g.Branch != "" {
		s += " on branch " + g.Branch
	} else if g.Commit != "" {
		s += " (detached HEAD)"
	}
	if g.Dirty {
		s += ", with uncommitted changes"
		if g.DiffDigest != "" {
			s += " (diff " + g.DiffDigest + ")"
		}
	} else {
		s += ", clean"
	}
	return s
}
