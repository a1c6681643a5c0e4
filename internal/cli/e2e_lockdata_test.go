package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLockPinsDatasets: a dataset is pinned with kind dataset into data/NAME and checked out.
func TestLockPinsDatasets(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"sales.csv": "day,amount\n1,10\n"})
	admin.ok(t, "data", "push", "lock-sales", filepath.Join(src, "sales.csv"), "--alias", "current")
	repo := lockRepo(t)
	in := runner{token: adminToken, dir: repo}
	in.ok(t, "lock", "add", "lock-sales@current")
	lock, _ := os.ReadFile(filepath.Join(repo, "modelry.lock"))
	if !strings.Contains(string(lock), "\ndataset lock-sales 1 sha256:") || !strings.Contains(string(lock), " data/lock-sales lock-sales@current\n") {
		t.Fatalf("modelry.lock = %s", lock)
	}
	in.ok(t, "checkout")
	if got, _ := os.ReadFile(filepath.Join(repo, "data", "lock-sales", "sales.csv")); string(got) != "day,amount\n1,10\n" {
		t.Errorf("checked out sales.csv = %q", got)
	}
	var ls []struct{ Kind, Name, Path string }
	decode(t, in.ok(t, "lock", "ls", "-o", "json"), &ls)
	if len(ls) != 1 || ls[0].Kind != "dataset" || ls[0].Path != "data/lock-sales" {
		t.Errorf("lock ls -o json = %+v", ls)
	}
}
