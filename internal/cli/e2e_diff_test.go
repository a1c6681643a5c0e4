package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelry/modelry/client"
)

// sdkMeta is a modelry.json as the Python SDK writes it.
func sdkMeta(sklearn, ageType string) string {
	return `{"format": 1, "flavor": "sklearn", "serializer": "skops", "model_files": ["model.skops"],
 "python": "3.11.7", "libraries": {"sklearn": "` + sklearn + `", "numpy": "2.0.2"}, "options": {},
 "signature": {"inputs": {"type": "dataframe", "columns": {"age": "` + ageType + `", "spend": "float64"}}, "outputs": null},
 "input_example": null, "sdk": "modelry-python 0.1.0"}` + "\n"
}

func TestDiffTwoPushedVersions(t *testing.T) {
	repo := gitRepo(t)
	inRepo := runner{token: adminToken, dir: repo, env: gitEnv}
	model := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(model, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("model.skops", strings.Repeat("w", 2000))
	write("modelry.json", sdkMeta("1.5.2", "int64"))
	write("old.txt", "bye")
	push(t, inRepo, "diffed", model, "--metric", "accuracy=0.93", "--param", "C=1.0", "--label", "1.0")
	first := git(t, repo, "rev-parse", "HEAD")

	os.WriteFile(filepath.Join(repo, "train.py"), []byte("print('fit harder')\n"), 0o644)
	git(t, repo, "commit", "-q", "-am", "second")
	second := git(t, repo, "rev-parse", "HEAD")
	write("model.skops", strings.Repeat("w", 2500))
	write("modelry.json", sdkMeta("1.6.1", "float64"))
	write("data/new.json", "{}")
	os.Remove(filepath.Join(model, "old.txt"))
	push(t, inRepo, "diffed", model, "--metric", "accuracy=0.95", "--param", "C=0.5", "--label", "1.1")

	text := admin.ok(t, "diff", "diffed:1.0", "diffed/2")
	for _, want := range []string{
		"from:  diffed/1  1.0",
		"files: 1 added, 1 removed, 2 changed",
		"+  data/new.json",
		"-  old.txt",
		"~  model.skops    2.0 kB -> 2.5 kB (+500 B), sha256:",
		"~  accuracy  0.93 -> 0.95  (+0.02, +2.2%)",
		"~  C  1.0 -> 0.5",
		"~  git.commit  " + first + " -> " + second,
		"schema (modelry.json):",
		"~  inputs.columns.age  int64 -> float64",
		"~  libraries.sklearn   1.5.2 -> 1.6.1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("diff output lacks %q:\n%s", want, text)
		}
	}

	var d client.VersionDiff
	decode(t, admin.ok(t, "diff", "diffed/1", "diffed/2", "-o", "json"), &d)
	if d.Identical || len(d.Files.Added) != 1 || len(d.Files.Removed) != 1 || len(d.Files.Changed) != 2 ||
		d.Files.Changed[0].Path != "model.skops" || d.Files.Changed[0].NewSize != 2500 {
		t.Errorf("diff -o json files = %+v", d.Files)
	}
	if len(d.Metrics) != 1 || *d.Metrics[0].Delta != 0.02 {
		t.Errorf("diff -o json metrics = %s", jsonString(d.Metrics))
	}
	if len(d.Source) != 1 || d.Source[0] != (client.ValueChange{Key: "git.commit", Change: client.ChangeChanged, Old: first, New: second}) {
		t.Errorf("diff -o json source = %+v", d.Source)
	}
	if d.Schema == nil || len(d.Schema.Changes) != 2 || d.Schema.Skipped != "" {
		t.Errorf("diff -o json schema = %s", jsonString(d.Schema))
	}

	if out := admin.ok(t, "diff", "diffed/2", "diffed:1.1"); !strings.HasSuffix(out, "\nno differences (3 files)\n") {
		t.Errorf("a version against itself:\n%s", out)
	}
	admin.fails(t, 1, "NOT_FOUND: ", "diff", "diffed/1", "diffed/9")
	admin.fails(t, 2, "diff takes REF1 REF2", "diff", "diffed/1")
}
