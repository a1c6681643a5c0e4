package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
	"github.com/modelry/modelry/internal/lockfile"
)

func (a *app) lockCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lock",
		Short: "Pin models and datasets by digest in modelry.lock",
		Long: `modelry.lock is a small text file at the root of your git work tree (or in
the current folder outside git) that pins models and datasets by digest, one
line each: kind, name, version number, digest, the folder the files go to and
the reference you pinned. Commit it with your code: 'modelry checkout' then
writes exactly the pinned files, and checking out an old commit and running
'modelry checkout' brings back that commit's models and data byte for byte.

Commands look for modelry.lock in the current folder and its parents, up to
the root of the git work tree.`,
		Example: `  modelry lock add churn@production
  modelry lock add sales/3 --path data/train
  modelry checkout
  modelry lock status`,
	}
	cmd.AddCommand(a.lockAddCmd(), a.lockRmCmd(), a.lockLsCmd(), a.lockStatusCmd())
	return cmd
}

func (a *app) lockAddCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "add REF",
		Short: "Pin the version REF names",
		Long: `Resolve REF on the server and pin that version by its digest in modelry.lock,
creating the file if needed. Its files go to --path (relative to the current
folder; it must be inside the repository), else to the folder the name is
already pinned to, else to models/NAME or data/NAME (for datasets) next to
modelry.lock. Pinning a name again replaces its line: run it again to move a
pin on, e.g. when churn@production has moved. 'modelry checkout' then writes
the files.

` + refGrammar,
		Example: `  modelry lock add churn@production
  modelry lock add churn/7 --path serving/churn
  modelry lock add sales:2024-q4`,
		Args: exactArgs(1, "REF"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			return a.lockAdd(cmd.Context(), args[0], dir)
		}),
	}
	cmd.Flags().StringVar(&dir, "path", "", "folder for the files (default models/NAME or data/NAME)")
	return cmd
}

func (a *app) lockAdd(ctx context.Context, ref, dir string) error {
	p, _, err := findProject()
	if err != nil {
		return err
	}
	c := a.client()
	v, err := c.Resolve(ctx, ref)
	if err != nil {
		return err
	}
	kind, err := c.ModelKind(ctx, v.Model)
	if err != nil {
		return err
	}
	e := lockfile.Entry{Kind: kind, Name: v.Model, Version: v.Version, Digest: v.Digest, Ref: ref}
	switch old, pinned := p.lock.Find(v.Model); {
	case dir != "":
		if e.Path, err = lockfile.RelPath(p.root, p.cwd, dir); err != nil {
			return err
		}
	case pinned:
		e.Path = old.Path
	case kind == lockfile.KindDataset:
		e.Path = "data/" + v.Model
	default:
		e.Path = "models/" + v.Model
	}
	if _, err := lockfile.Dir(p.root, e.Path); err != nil {
		return err
	}
	old, err := p.lock.Put(e)
	if err != nil {
		return err
	}
	if err := lockfile.Write(p.lockFile(), p.lock); err != nil {
		return err
	}
	if a.json() {
		return writeJSON(a.stdout, e)
	}
	was := ""
	if old != nil && old.Digest != e.Digest {
		was = fmt.Sprintf(" (was %s/%d)", old.Name, old.Version)
	}
	fmt.Fprintf(a.stdout, "pinned %s %s into %s in %s%s; 'modelry checkout %s' writes the files\n",
		v.Ref(), shortDigest(v.Digest), e.Path, p.lockFile(), was, v.Model)
	a.gitignoreHint(p.root)
	return nil
}

// gitignoreHint tells, once per lock add, that .modelry/ should be ignored
// when the repository's .gitignore does not say so.
func (a *app) gitignoreHint(root string) {
	if _, err := os.Lstat(filepath.Join(root, ".git")); err != nil {
		return
	}
	f, err := os.Open(filepath.Join(root, ".gitignore"))
	if err == nil {
		defer f.Close()
		for s := bufio.NewScanner(f); s.Scan(); {
			switch strings.TrimSpace(s.Text()) {
			case ".modelry", ".modelry/", "/.modelry", "/.modelry/":
				return
			}
		}
	}
	fmt.Fprintf(a.stderr, "hint: add .modelry/ to %s: it holds checkout's record of this work tree, not project files\n",
		filepath.Join(root, ".gitignore"))
}

func (a *app) lockRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Unpin a model or dataset",
		Long: `Remove NAME's line from modelry.lock. Its files stay on disk; the next
'modelry checkout' removes the ones it wrote there (and leaves your own).`,
		Example: `  modelry lock rm churn`,
		Args:    exactArgs(1, "NAME"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			p, err := a.openLock()
			if err != nil {
				return err
			}
			e, ok := p.lock.Find(args[0])
			if !ok {
				return fmt.Errorf("%s is not pinned in %s; 'modelry lock ls' lists the pins", args[0], p.lockFile())
			}
			p.lock.Remove(e.Name)
			if err := lockfile.Write(p.lockFile(), p.lock); err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, e)
			}
			_, err = fmt.Fprintf(a.stdout, "unpinned %s (was %s/%d in %s)\n", e.Name, e.Name, e.Version, e.Path)
			return err
		}),
	}
}

func (a *app) lockLsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List the pins of modelry.lock",
		Long: `List what modelry.lock pins: name, kind, version number, digest, folder and
the reference that was pinned. -o json prints a JSON array of entries (kind,
name, version, digest, path, ref).`,
		Example: `  modelry lock ls
  modelry lock ls -o json`,
		Args: noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			p, err := a.openLock()
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, nonNilSlice(p.lock.Entries))
			}
			t := newTable(a.stdout, "NAME", "KIND", "VERSION", "DIGEST", "PATH", "REF")
			for _, e := range p.lock.Entries {
				t.row(e.Name, e.Kind, strconv.FormatInt(e.Version, 10), shortDigest(e.Digest), e.Path, e.Ref)
			}
			return t.flush()
		}),
	}
}

func (a *app) lockStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status [NAME...]",
		Short: "Show how the pinned folders differ from modelry.lock",
		Long: `Compare every pinned folder (or the NAMEs given) with the version its entry
pins, file by file, and say for each entry:

  clean     every pinned file is there with its pinned content
  modified  some files differ; each is listed with its size:
              modified  changed by you (checkout will not overwrite it
                        without --force), or yours and in the way
              missing   not there
              stale     written by checkout for an earlier pin; checkout
                        replaces or removes it
  missing   none of the pinned files is there (not checked out yet)
  error     the pinned digest is no longer on the server

Files in a pinned folder that the pin does not list and checkout did not
write are shown as extra; they do not count as a difference. When the
entry's reference now names another version (churn@production moved on),
status says so; 'modelry lock add REF' pins the new one.

Exit status: 0 when every folder matches the lock, 1 when one differs or
could not be checked (like 'git diff --exit-code'), 2 for usage mistakes.
-o json prints {"lock", "clean", "entries": [{..., "status", "files",
"ref_now"}]}.`,
		Example: `  modelry lock status
  modelry lock status churn -o json`,
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			return a.lockStatus(cmd.Context(), args)
		}),
	}
}

// entryStatus is one entry's line of 'lock status'.
type entryStatus struct {
	lockfile.Entry
	Status string                `json:"status"`
	Files  []lockfile.FileStatus `json:"files"` // all but the clean ones
	RefNow *refNow               `json:"ref_now,omitempty"`
	Error  string                `json:"error,omitempty"`
}

// refNow is where the entry's reference points today.
type refNow struct {
	Version int64  `json:"version,omitempty"`
	Digest  string `json:"digest,omitempty"`
	Moved   bool   `json:"moved"`
	Error   string `json:"error,omitempty"`
}

func (a *app) lockStatus(ctx context.Context, names []string) error {
	p, err := a.openLock()
	if err != nil {
		return err
	}
	entries, err := selectEntries(p, names)
	if err != nil {
		return err
	}
	c := a.client()
	var out []entryStatus
	for _, e := range entries {
		s, err := entryState(ctx, c, p, e)
		if err != nil {
			return err
		}
		out = append(out, s)
	}
	for _, dir := range unpinnedFolders(p, names) {
		plan, err := inspectFolder(ctx, p, dir, nil)
		if err != nil {
			return err
		}
		s := entryStatus{Entry: lockfile.Entry{Name: p.state.Folders[dir].Name, Path: dir}, Status: "unpinned"}
		s.Files = differing(plan.Files)
		if len(s.Files) > 0 {
			out = append(out, s)
		}
	}
	differ, broken := 0, 0
	for _, s := range out {
		switch s.Status {
		case "clean":
		case "error":
			broken++
		default:
			differ++
		}
	}
	if a.json() {
		err = writeJSON(a.stdout, map[string]any{"lock": p.lockFile(), "clean": differ == 0, "entries": nonNilSlice(out)})
	} else {
		err = a.printStatus(out)
	}
	if err != nil || differ+broken == 0 {
		return err
	}
	verb := "differ"
	if differ == 1 {
		verb = "differs"
	}
	msg := fmt.Sprintf("%d of %d pinned folder%s %s from %s; 'modelry checkout' restores them", differ, len(out), plural(len(out)), verb, lockfile.FileName)
	switch {
	case broken > 0 && differ == 0:
		msg = fmt.Sprintf("%d of %d pin%s could not be checked (the reason is shown above), so checkout cannot restore %s", broken, len(out), plural(len(out)), pronoun(broken))
	case broken > 0:
		msg += fmt.Sprintf("; %d more could not be checked (the reason is shown above)", broken)
	}
	return errors.New(msg)
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// entryState inspects one entry's folder and where its reference points now.
func entryState(ctx context.Context, c *client.Client, p *project, e lockfile.Entry) (entryStatus, error) {
	s := entryStatus{Entry: e, Files: []lockfile.FileStatus{}}
	files, err := pinnedFiles(ctx, c, e)
	if err != nil {
		var ce *client.Error
		if !errors.As(err, &ce) {
			return s, err // the server is unreachable: nothing to show
		}
		s.Status, s.Error = "error", err.Error()
		return s, nil
	}
	plan, err := inspectFolder(ctx, p, e.Path, files)
	if err != nil {
		return s, err
	}
	s.Files = differing(plan.Files)
	s.Status = "clean"
	missing := 0
	for _, f := range s.Files {
		if f.Differs() {
			s.Status = "modified"
		}
		if f.Status == lockfile.StatusMissing {
			missing++
		}
	}
	if missing == len(files) {
		s.Status = "missing"
	}
	if v, err := c.Resolve(ctx, e.Ref); err != nil {
		s.RefNow = &refNow{Error: err.Error()}
	} else {
		s.RefNow = &refNow{Version: v.Version, Digest: v.Digest, Moved: v.Digest != e.Digest}
	}
	return s, nil
}

// differing drops the files that are as pinned.
func differing(files []lockfile.FileStatus) []lockfile.FileStatus {
	out := []lockfile.FileStatus{}
	for _, f := range files {
		if f.Status != lockfile.StatusOK {
			out = append(out, f)
		}
	}
	return out
}

func (a *app) printStatus(out []entryStatus) error {
	w := a.stdout
	t := newTable(w, "NAME", "PINNED", "PATH", "STATUS")
	for _, s := range out {
		pinned := "-"
		if s.Version > 0 {
			pinned = fmt.Sprintf("%s/%d %s", s.Name, s.Version, shortDigest(s.Digest))
		}
		t.row(s.Name, pinned, s.Path, s.Status)
	}
	if err := t.flush(); err != nil {
		return err
	}
	var details strings.Builder
	for _, s := range out {
		for _, f := range s.Files {
			size := humanBytes(f.Size)
			switch {
			case f.Status == lockfile.StatusMissing:
				size = "(pinned " + humanBytes(f.PinnedSize) + ")"
			case f.Pinned && f.Size != f.PinnedSize:
				size += " (pinned " + humanBytes(f.PinnedSize) + ")"
			}
			line := fmt.Sprintf("  %-8s  %s  %s", f.Status, path.Join(s.Path, f.Path), size)
			if f.Note != "" {
				line += ": " + f.Note
			}
			fmt.Fprintln(&details, line)
		}
		switch r := s.RefNow; {
		case s.Error != "":
			fmt.Fprintf(&details, "  %s\n", s.Error) // it starts with the name
		case r != nil && r.Error != "":
			fmt.Fprintf(&details, "  %s no longer resolves: %s\n", s.Ref, r.Error)
		case r != nil && r.Moved:
			fmt.Fprintf(&details, "  %s has moved to %d (%s); 'modelry lock add %s' pins it\n", s.Ref, r.Version, shortDigest(r.Digest), s.Ref)
		}
	}
	if details.Len() == 0 {
		return nil
	}
	_, err := fmt.Fprint(w, "\n"+details.String())
	return err
}
