package cli_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckoutKeepsFilesOfAFolderMovedInside moves pins between a folder
// and a folder inside it. Checkout cleans the folder no longer pinned, and
// must not remove from it the files that a current pin lists at the same
// place: after a successful checkout every pinned file is there.
func TestCheckoutKeepsFilesOfAFolderMovedInside(t *testing.T) {
	inner := t.TempDir()
	writeFiles(t, inner, map[string]string{"b.txt": "shared\n"})
	outer := t.TempDir()
	writeFiles(t, outer, map[string]string{"a.txt": "outer\n", "sub/b.txt": "shared\n"})
	push(t, admin, "move-inner", inner)
	push(t, admin, "move-outer", outer)

	for _, tt := range []struct{ name, firstName, firstPath, thenName, thenPath string }{
		{"into the enclosing folder", "move-inner", "m/sub", "move-outer", "m"},
		{"into a folder inside", "move-outer", "m", "move-inner", "m/sub"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			repo := lockRepo(t)
			in := runner{token: adminToken, dir: repo}
			in.ok(t, "lock", "add", tt.firstName, "--path", tt.firstPath)
			in.ok(t, "checkout")
			in.ok(t, "lock", "rm", tt.firstName)
			in.ok(t, "lock", "add", tt.thenName, "--path", tt.thenPath)
			in.ok(t, "checkout")
			want := map[string]string{"b.txt": "shared\n"}
			if tt.thenName == "move-outer" {
				want = map[string]string{"a.txt": "outer\n", "sub/b.txt": "shared\n"}
			}
			sameFiles(t, "after moving the pin", want, listTree(t, filepath.Join(repo, filepath.FromSlash(tt.thenPath))))
			in.ok(t, "lock", "status")
		})
	}
}

// TestCheckoutRemovesInterruptedDownloads: a checkout killed mid-download
// leaves its temporary file (.modelry-pull-*) beside the pinned files. The
// next checkout must not leave it there for good, as an "extra" file of
// hundreds of megabytes that status reports forever.
func TestCheckoutRemovesInterruptedDownloads(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"w.bin": "weights"})
	push(t, admin, "interrupted", src)
	repo := lockRepo(t)
	in := runner{token: adminToken, dir: repo}
	in.ok(t, "lock", "add", "interrupted", "--path", "m")
	writeFiles(t, repo, map[string]string{"m/.modelry-pull-123456": "half a download", "m/notes.txt": "mine"})
	in.ok(t, "checkout")
	want := map[string]string{"w.bin": "weights", "notes.txt": "mine"}
	sameFiles(t, "after checkout", want, listTree(t, filepath.Join(repo, "m")))
	if out := in.ok(t, "lock", "status"); strings.Contains(out, "modelry-pull") {
		t.Errorf("status still shows the interrupted download:\n%s", out)
	}
}
