package cli

import (
	"context"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
	"github.com/modelry/modelry/internal/lockfile"
)

func (a *app) checkoutCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "checkout [NAME...]",
		Short: "Write the files modelry.lock pins into their folders",
		Long: `Make each pinned folder hold exactly the files of the version modelry.lock
pins: every entry, or only the NAMEs given. Each version is fetched by its
digest (NAME@sha256:...), its file list is checked against that digest, and
every file is verified against its own digest while it is written to a
temporary file, then fsynced and renamed into place.

Files already right are not downloaded again. Files checkout wrote earlier
that are now stale (after 'git checkout' of an older modelry.lock, say) are
replaced, or removed when the pin no longer lists them; without NAMEs, so are
the files it wrote into folders no longer in the lock. Everything else on disk
is left alone.

A file checkout did not write, where it must write or remove one (a pinned
file you changed, a file of yours in the way), is never overwritten silently:
checkout lists such files and stops before writing anything. --force
overwrites them. A digest the server no longer has stops checkout the same
way, naming the entry.

A checkout that was killed leaves no file half written at a pinned path;
the next checkout removes the temporary files it left (.modelry-pull-*).
Two checkouts of one work tree run one after the other.

Checkout records what it wrote in .modelry/checkout.json next to
modelry.lock. That record describes this work tree only: add .modelry/ to
.gitignore.`,
		Example: `  # Restore everything modelry.lock pins
  modelry checkout

  # Go back to the models and data of an older commit
  git checkout v1.2 -- modelry.lock && modelry checkout

  # Only one entry, discarding local changes to its files
  modelry checkout churn --force`,
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			return a.checkout(cmd.Context(), args, force)
		}),
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite or remove locally modified files")
	return cmd
}

// folderPlan pairs a plan with the entry it restores; Entry.Name is empty
// for a folder checkout wrote that the lock no longer pins.
type folderPlan struct {
	entry lockfile.Entry
	plan  lockfile.Plan
}

func (a *app) checkout(ctx context.Context, names []string, force bool) error {
	p, err := a.openLock()
	if err != nil {
		return err
	}
	entries, err := selectEntries(p, names)
	if err != nil {
		return err
	}
	release, err := lockfile.LockWorkTree(p.root, func() {
		fmt.Fprintln(a.stderr, "waiting for another modelry checkout in this work tree to finish")
	})
	if err != nil {
		return err
	}
	defer release()
	if p.state, err = lockfile.LoadState(p.root); err != nil { // as the other checkout left it
		return err
	}
	c := a.client()
	var plans []folderPlan
	for _, e := range entries { // resolve everything before writing anything
		files, err := pinnedFiles(ctx, c, e)
		if err != nil {
			return err
		}
		plan, err := inspectFolder(ctx, p, e.Path, files)
		if err != nil {
			return err
		}
		plans = append(plans, folderPlan{entry: e, plan: plan})
	}
	for _, dir := range unpinnedFolders(p, names) {
		plan, err := inspectFolder(ctx, p, dir, nil)
		if err != nil {
			return err
		}
		plans = append(plans, folderPlan{plan: plan})
	}
	sparePinned(p, plans)
	if err := conflictError(plans, force); err != nil {
		return err
	}
	if len(plans) == 0 && !a.json() {
		_, err := fmt.Fprintf(a.stdout, "%s pins nothing; 'modelry lock add REF' pins a version\n", p.lockFile())
		return err
	}
	download := a.downloader(c)
	var done []map[string]any
	for _, fp := range plans {
		res, err := fp.plan.Apply(ctx, download)
		if err != nil {
			return fmt.Errorf("checkout %s: %w", fp.plan.Path, err)
		}
		if fp.entry.Name == "" {
			delete(p.state.Folders, fp.plan.Path)
		} else {
			p.state.Record(fp.entry, fp.plan.Pinned)
		}
		if err := p.state.Save(p.root); err != nil {
			return err
		}
		done = append(done, a.reportCheckout(fp, res))
	}
	if a.json() {
		return writeJSON(a.stdout, nonNilSlice(done))
	}
	return nil
}

// sparePinned drops from the plans of folders no longer pinned the files
// that are where a current pin puts its files: a pin moved into a folder
// inside the old one, or around it, may list the very file the old pin left
// there, and cleaning must not remove what the other plan keeps or writes.
// Without NAMEs every entry has a plan; with NAMEs, the folders of the
// entries not asked for are left alone as a whole.
func sparePinned(p *project, plans []folderPlan) {
	pinned, planned := map[string]bool{}, map[string]bool{}
	for _, fp := range plans {
		if fp.entry.Name == "" {
			continue
		}
		planned[fp.entry.Name] = true
		for _, f := range fp.plan.Pinned {
			pinned[path.Join(fp.plan.Path, f.Path)] = true
		}
	}
	for i, fp := range plans {
		if fp.entry.Name != "" {
			continue
		}
		plans[i].plan.Files = slices.DeleteFunc(fp.plan.Files, func(f lockfile.FileStatus) bool {
			where := path.Join(fp.plan.Path, f.Path)
			return pinned[where] || slices.ContainsFunc(p.lock.Entries, func(e lockfile.Entry) bool {
				return !planned[e.Name] && strings.HasPrefix(where, e.Path+"/")
			})
		})
	}
}

// reportCheckout prints one folder's result (text) and returns it for -o json.
func (a *app) reportCheckout(fp folderPlan, res lockfile.Result) map[string]any {
	if !a.json() {
		if fp.entry.Name == "" {
			fmt.Fprintf(a.stdout, "cleaned %s (no longer pinned): %d removed\n", fp.plan.Path, res.Removed)
		} else {
			fmt.Fprintf(a.stdout, "checked out %s/%d %s into %s: %d written, %d removed, %d unchanged\n",
				fp.entry.Name, fp.entry.Version, shortDigest(fp.entry.Digest), fp.entry.Path, res.Written, res.Removed, res.Kept)
		}
	}
	return map[string]any{"name": fp.entry.Name, "version": fp.entry.Version, "digest": fp.entry.Digest,
		"path": fp.plan.Path, "written": res.Written, "removed": res.Removed, "unchanged": res.Kept}
}

// downloader writes files with the client's verified, atomic download.
func (a *app) downloader(c *client.Client) lockfile.Downloader {
	return func(ctx context.Context, dir string, files []lockfile.File) error {
		cf := make([]client.File, len(files))
		for i, f := range files {
			cf[i] = client.File{Path: f.Path, Size: f.Size, Digest: f.Digest, Mode: f.Mode, Target: f.Target}
		}
		_, err := c.DownloadFiles(ctx, dir, cf, client.PullOptions{Progress: progressFor(a.stdout, a.stderr)})
		return err
	}
}

// conflictError lists the files checkout may not touch, unless force.
func conflictError(plans []folderPlan, force bool) error {
	if force {
		return nil
	}
	var list []string
	for _, fp := range plans {
		for _, f := range fp.plan.Conflicts() {
			list = append(list, fmt.Sprintf("%s (%s)", path.Join(fp.plan.Path, f.Path), f.Note))
		}
	}
	if len(list) == 0 {
		return nil
	}
	n := len(list)
	if n > 10 {
		list = append(list[:10], fmt.Sprintf("and %d more", n-10))
	}
	return fmt.Errorf("checkout would overwrite or remove %d locally modified file%s, so it wrote nothing; move them away, or run 'modelry checkout --force' to discard them: %s",
		n, plural(n), strings.Join(list, ", "))
}

// pinnedFiles fetches the version an entry pins, by digest, and checks that
// its file list is the one the digest names.
func pinnedFiles(ctx context.Context, c *client.Client, e lockfile.Entry) ([]lockfile.File, error) {
	v, err := c.Resolve(ctx, e.DigestRef())
	if client.IsNotFound(err) {
		return nil, fmt.Errorf("%s: the pinned version %s/%d (%s) is no longer on the server (%w); pin one that exists with 'modelry lock add %s'",
			e.Name, e.Name, e.Version, e.Digest, err, e.Ref)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Name, err)
	}
	if v.Model != e.Name || v.Digest != e.Digest {
		return nil, fmt.Errorf("%s: the server answered %s %s for %s", e.Name, v.Ref(), v.Digest, e.DigestRef())
	}
	files := make([]lockfile.File, len(v.Files))
	for i, f := range v.Files {
		files[i] = lockfile.File{Path: f.Path, Size: f.Size, Digest: f.Digest, Mode: f.Mode, Target: f.Target}
	}
	if err := lockfile.VerifyManifest(e.Digest, files); err != nil {
		return nil, fmt.Errorf("%s: %w", e.Name, err)
	}
	return files, nil
}

// inspectFolder compares one pinned folder with its pinned files and with
// what checkout last wrote there.
func inspectFolder(ctx context.Context, p *project, dir string, pinned []lockfile.File) (lockfile.Plan, error) {
	abs, err := lockfile.Dir(p.root, dir)
	if err != nil {
		return lockfile.Plan{}, err
	}
	files, err := lockfile.Inspect(ctx, abs, pinned, p.state.Folders[dir].Files)
	if err != nil {
		return lockfile.Plan{}, err
	}
	return lockfile.Plan{Path: dir, Dir: abs, Pinned: pinned, Files: files}, nil
}

// unpinnedFolders are the folders checkout wrote that no entry pins any
// more: all of them, or with names, those that belonged to one of them.
func unpinnedFolders(p *project, names []string) []string {
	var dirs []string
	for dir, st := range p.state.Folders {
		if e, ok := p.lock.Find(st.Name); ok && e.Path == dir {
			continue
		}
		if slices.ContainsFunc(p.lock.Entries, func(e lockfile.Entry) bool { return e.Path == dir }) {
			continue
		}
		if len(names) == 0 || slices.Contains(names, st.Name) {
			dirs = append(dirs, dir)
		}
	}
	slices.Sort(dirs)
	return dirs
}

// selectEntries returns the entries named, or all of them.
func selectEntries(p *project, names []string) ([]lockfile.Entry, error) {
	if len(names) == 0 {
		return p.lock.Entries, nil
	}
	var out []lockfile.Entry
	for _, n := range names {
		if slices.ContainsFunc(out, func(e lockfile.Entry) bool { return e.Name == n }) {
			continue
		}
		e, ok := p.lock.Find(n)
		if !ok {
			return nil, fmt.Errorf("%s is not pinned in %s; 'modelry lock ls' lists the pins", n, p.lockFile())
		}
		out = append(out, e)
	}
	return out, nil
}

// project is the lock of the repository around the current folder, with
// checkout's record.
type project struct {
	root  string
	cwd   string
	lock  *lockfile.Lock
	state *lockfile.State
}

func (p *project) lockFile() string { return p.root + string(os.PathSeparator) + lockfile.FileName }

// findProject locates the lock's folder and loads what exists there.
func findProject() (*project, bool, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, false, err
	}
	root, err := lockfile.FindRoot(cwd)
	if err != nil {
		return nil, false, err
	}
	p := &project{root: root, cwd: cwd, lock: &lockfile.Lock{}}
	l, err := lockfile.Read(p.lockFile())
	exists := err == nil
	switch {
	case err == nil:
		p.lock = l
	case !lockfile.IsNotExist(err):
		return nil, false, err
	}
	if p.state, err = lockfile.LoadState(root); err != nil {
		return nil, false, err
	}
	return p, exists, nil
}

// openLock is findProject for commands that need an existing lock.
func (a *app) openLock() (*project, error) {
	p, exists, err := findProject()
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("no %s in %s (searched up to the git work tree's root); pin something first with 'modelry lock add REF'", lockfile.FileName, p.root)
	}
	return p, nil
}
