package cli_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeFiles makes a directory holding the given files.
// tempFiles writes files into a new temporary folder and returns it.
func tempFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	return dir
}

func sha256Digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// httpStatus sends one request as the admin and returns the status.
func httpStatus(t *testing.T, method, path, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, serverURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func blobStored(t *testing.T, digest string) bool {
	t.Helper()
	switch code := httpStatus(t, "HEAD", "/api/v1/blobs/"+digest, ""); code {
	case http.StatusOK:
		return true
	case http.StatusNotFound:
		return false
	default:
		t.Fatalf("HEAD blob %s: status %d", digest, code)
		return false
	}
}

var (
	gcDryRunRe = regexp.MustCompile(`^Dry run: nothing was deleted\.\nwould delete \d+ blobs?, reclaiming [0-9.]+ [kMG]?B\n` +
		`kept \d+ in use \([0-9.]+ [kMG]?B\) and \d+ unused but written or touched within the grace period of 0s \([0-9.]+ [kMG]?B\)\n` +
		`scanned \d+ blobs? \([0-9.]+ [kMG]?B\) in [0-9.]+m?s\n$`)
	gcRunRe = regexp.MustCompile(`^deleted \d+ blobs?, reclaimed [0-9.]+ [kMG]?B\nkept \d+ in use `)
)

// Push two versions sharing a file, delete the first, collect: only the
// first version's own file goes; the second pulls intact and an MLflow run
// artifact survives.
func TestGarbageCollection(t *testing.T) {
	shared := strings.Repeat("shared layer ", 20_000)
	v1Only, v2Only := strings.Repeat("old head ", 30_000), strings.Repeat("new head ", 30_000)
	v1 := tempFiles(t, map[string]string{"base.bin": shared, "head.bin": v1Only})
	v2 := tempFiles(t, map[string]string{"base.bin": shared, "head.bin": v2Only, "notes.txt": "fine-tuned"})
	push(t, admin, "gc-e2e", v1)
	push(t, admin, "gc-e2e", v2)
	artifact := "pickled run output, logged through MLflow"
	if code := httpStatus(t, "PUT", "/api/2.0/mlflow-artifacts/artifacts/0/gc-run/artifacts/model.pkl", artifact); code != http.StatusOK {
		t.Fatalf("MLflow artifact upload: status %d", code)
	}
	admin.ok(t, "delete", "gc-e2e/1")

	writer := strings.TrimSpace(admin.ok(t, "token", "create", "--name", "gc-e2e-writer", "--role", "writer"))
	runner{token: writer}.fails(t, 1, "PERMISSION_DENIED: ", "gc", "--dry-run")
	admin.fails(t, 2, `--grace "soon" is not a duration`, "gc", "--grace", "soon")

	if out := admin.ok(t, "gc", "--dry-run", "--grace", "0"); !gcDryRunRe.MatchString(out) {
		t.Errorf("gc --dry-run output:\n%s", out)
	}
	if !blobStored(t, sha256Digest(v1Only)) {
		t.Fatal("a dry run deleted a blob")
	}
	// The default grace period spares what was just uploaded.
	var rep struct {
		DryRun       bool  `json:"dry_run"`
		BlobsDeleted int64 `json:"blobs_deleted"`
		BytesDeleted int64 `json:"bytes_deleted"`
		BlobsYoung   int64 `json:"blobs_young"`
	}
	decode(t, admin.ok(t, "gc", "-o", "json"), &rep)
	if rep.BlobsYoung == 0 || !blobStored(t, sha256Digest(v1Only)) {
		t.Fatalf("gc with the default grace period: %+v", rep)
	}

	decode(t, admin.ok(t, "gc", "--grace", "0", "-o", "json"), &rep)
	if rep.DryRun || rep.BlobsDeleted < 1 || rep.BytesDeleted < int64(len(v1Only)) {
		t.Errorf("gc report %+v; want v1's own file among what was deleted", rep)
	}
	if blobStored(t, sha256Digest(v1Only)) {
		t.Error("the deleted version's own file survived gc --grace 0")
	}
	for name, content := range map[string]string{"shared": shared, "v2's own": v2Only, "MLflow artifact": artifact} {
		if !blobStored(t, sha256Digest(content)) {
			t.Errorf("the %s file was collected", name)
		}
	}
	dest := filepath.Join(t.TempDir(), "v2")
	admin.ok(t, "pull", "gc-e2e/2", "--dest", dest)
	sameTree(t, v2, dest)
	if code := httpStatus(t, "GET", "/api/2.0/mlflow-artifacts/artifacts/0/gc-run/artifacts/model.pkl", ""); code != http.StatusOK {
		t.Errorf("MLflow artifact after gc: status %d", code)
	}
	if out := admin.ok(t, "gc", "--grace", "0"); !gcRunRe.MatchString(out) {
		t.Errorf("gc output:\n%s", out)
	}
}
