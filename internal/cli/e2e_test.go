package cli_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// makeTree writes a model directory: a subfolder, an executable file, a
// symlink inside the tree and a file big enough to take several buffers.
func makeTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"model.bin":        strings.Repeat("weights!", 300_000), // 2.4 MB
		"config/cfg.json":  `{"layers": 3}`,
		"config/labels.tx": "setosa\nversicolor\n",
		"serve.sh":         "#!/bin/sh\necho serve\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(dir, "serve.sh"), 0o755)
	if err := os.Symlink("config/cfg.json", filepath.Join(dir, "current.json")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sameTree fails unless two directories hold the same files, bytes, modes
// and links.
func sameTree(t *testing.T, want, got string) {
	t.Helper()
	describe := func(root string) map[string]string {
		m := map[string]string{}
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == root {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			info, _ := os.Lstat(p)
			switch {
			case info.Mode()&fs.ModeSymlink != 0:
				target, _ := os.Readlink(p)
				m[rel] = "link -> " + target
			case info.Mode().IsRegular():
				b, _ := os.ReadFile(p)
				m[rel] = info.Mode().Perm().String() + " " + string(b)
			}
			return nil
		})
		return m
	}
	w, g := describe(want), describe(got)
	if len(w) != len(g) {
		t.Errorf("pulled tree has %d entries, pushed %d", len(g), len(w))
	}
	for name, d := range w {
		if g[name] != d {
			t.Errorf("%s differs after the round trip: got %.60q, want %.60q", name, g[name], d)
		}
	}
}

var pushedRe = regexp.MustCompile(`^pushed (\S+)/(\d+) (sha256:[0-9a-f]{64}) \((\d+) files?(, \d+ links?)?, ([0-9.]+ [kMG]?B), ([0-9.]+ [kMG]?B) uploaded\)\n$`)

// push runs 'modelry push' and returns the parsed line.
func push(t *testing.T, r runner, args ...string) (number, digest, uploaded string) {
	t.Helper()
	out := r.ok(t, append([]string{"push"}, args...)...)
	m := pushedRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("push output %q does not read 'pushed NAME/N sha256:... (N files, SIZE, SIZE uploaded)'", out)
	}
	return m[2], m[3], m[7]
}

func TestPushPullDirectoryRoundTrip(t *testing.T) {
	src := makeTree(t)
	num, digest, uploaded := push(t, admin, "rt-dir", src)
	if num != "1" || uploaded != "2.4 MB" {
		t.Errorf("first push: version %s, uploaded %s; want 1 and 2.4 MB", num, uploaded)
	}
	dest := filepath.Join(t.TempDir(), "out")
	out := admin.ok(t, "pull", "rt-dir/1", "--dest", dest)
	if !strings.HasPrefix(out, "pulled rt-dir/1 "+digest+" into "+dest) {
		t.Errorf("pull output = %q", out)
	}
	sameTree(t, src, dest)

	num2, digest2, uploaded2 := push(t, admin, "rt-dir", src)
	if num2 != "2" || digest2 != digest || uploaded2 != "0 B" {
		t.Errorf("re-push: version %s digest %s uploaded %s; want 2, the same digest, 0 B", num2, digest2, uploaded2)
	}
	// The same bytes under another model are not uploaded either.
	var pushed struct {
		Model   string `json:"model"`
		Version int64  `json:"version"`
		Push    struct {
			Files, Links  int
			UploadedBytes int64 `json:"uploaded_bytes"`
		} `json:"push"`
	}
	decode(t, admin.ok(t, "push", "rt-dir-copy", src, "-o", "json"), &pushed)
	if p := pushed.Push; pushed.Model != "rt-dir-copy" || pushed.Version != 1 || p.Files != 4 || p.Links != 1 || p.UploadedBytes != 0 {
		t.Errorf("push -o json of stored files to another model = %+v, want 4 files, 1 link, 0 bytes uploaded", pushed)
	}
}

func TestPushPullSingleFileDefaultDest(t *testing.T) {
	src := filepath.Join(t.TempDir(), "weights.onnx")
	os.WriteFile(src, []byte("onnx bytes"), 0o600)
	push(t, admin, "rt-file", src)
	work := t.TempDir()
	runner{token: adminToken, dir: work}.ok(t, "pull", "rt-file")
	got, err := os.ReadFile(filepath.Join(work, "rt-file", "weights.onnx"))
	if err != nil || string(got) != "onnx bytes" {
		t.Fatalf("pull into ./rt-file: %q, %v", got, err)
	}
	if info, _ := os.Stat(filepath.Join(work, "rt-file", "weights.onnx")); info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", info.Mode().Perm())
	}
}

func TestPushMetadataAndListingsJSON(t *testing.T) {
	src := makeTree(t)
	push(t, admin, "meta", src, "--label", "1.0", "--alias", "staging", "--alias", "candidate",
		"--metric", "accuracy=0.97", "--metric", "loss=0.1", "--param", "lr=0.01", "--tag", "team=vision",
		"--description", "first cut")

	var versions []map[string]any
	decode(t, admin.ok(t, "versions", "meta", "-o", "json"), &versions)
	if len(versions) != 1 {
		t.Fatalf("versions -o json: %d entries, want 1", len(versions))
	}
	v := versions[0]
	for _, key := range []string{"model", "version", "label", "digest", "aliases", "metrics", "params", "tags", "created_at", "files"} {
		if _, ok := v[key]; !ok {
			t.Errorf("version JSON lacks %q: %v", key, v)
		}
	}
	checks := map[string]any{
		"model": "meta", "version": 1.0, "label": "1.0", "description": "first cut",
		"metrics": map[string]any{"accuracy": 0.97, "loss": 0.1}, "params": map[string]any{"lr": "0.01"},
		"tags": map[string]any{"team": "vision"}, "aliases": []any{"candidate", "staging"},
	}
	for key, want := range checks {
		if got := jsonString(v[key]); got != jsonString(want) {
			t.Errorf("%s = %s, want %s", key, got, jsonString(want))
		}
	}
	if files := v["files"].([]any); len(files) != 5 {
		t.Errorf("files: %d entries, want 5 (4 files and a link)", len(files))
	}

	var shown map[string]any
	decode(t, admin.ok(t, "show", "meta@staging", "-o", "json"), &shown)
	if shown["digest"] != v["digest"] || shown["label"] != "1.0" {
		t.Errorf("show meta@staging = %v", shown)
	}
	decode(t, admin.ok(t, "show", "models:/meta@candidate", "-o", "json"), &shown)
	if shown["version"] != 1.0 {
		t.Errorf("show models:/meta@candidate: version %v", shown["version"])
	}

	var models []map[string]any
	decode(t, admin.ok(t, "models", "--prefix", "meta", "-o", "json"), &models)
	if len(models) != 1 || models[0]["name"] != "meta" || jsonString(models[0]["aliases"]) != `{"candidate":1,"staging":1}` {
		t.Errorf("models --prefix meta -o json = %v", models)
	}
	text := admin.ok(t, "versions", "meta")
	if !strings.HasPrefix(text, "VERSION ") || !strings.Contains(text, "candidate,staging") {
		t.Errorf("versions text output:\n%s", text)
	}
}

func TestAliasSetHistoryRollback(t *testing.T) {
	src := makeTree(t)
	for range 3 {
		push(t, admin, "al", src)
	}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"alias", "set", "al", "production", "1"}, "al@production: - -> 1\n"},
		{[]string{"alias", "set", "al", "production", "2", "--reason", "better", "--expect", "1"}, "al@production: 1 -> 2\n"},
		{[]string{"alias", "set", "al", "production", "al/3"}, "al@production: 2 -> 3\n"},
		{[]string{"alias", "set", "al", "staging", "@production"}, "al@staging: - -> 3\n"},
		{[]string{"rollback", "al", "production", "--reason", "regression"}, "al@production: 3 -> 2 (rolled back)\n"},
	}
	for _, s := range steps {
		if out := admin.ok(t, s.args...); out != s.want {
			t.Errorf("modelry %s: %q, want %q", strings.Join(s.args, " "), out, s.want)
		}
	}
	admin.fails(t, 1, "FAILED_PRECONDITION: ", "alias", "set", "al", "production", "1", "--expect", "3")
	admin.fails(t, 2, `VERSION "one" is not a number or a reference`, "alias", "set", "al", "production", "one")

	var moves []map[string]any
	decode(t, admin.ok(t, "alias", "history", "al", "production", "-o", "json"), &moves)
	var got []string
	for _, m := range moves {
		got = append(got, jsonString(m["from"])+"->"+jsonString(m["to"])+":"+m["reason"].(string))
	}
	if want := "3->2:regression 2->3: 1->2:better 0->1:"; strings.Join(got, " ") != want {
		t.Errorf("history = %q, want %q", strings.Join(got, " "), want)
	}
	at := moves[2]["at"].(string) // when production moved 1 -> 2
	out := admin.ok(t, "alias", "history", "al", "production", "--at", at)
	if !strings.HasPrefix(out, "at "+at+", al@production pointed at version 2") {
		t.Errorf("history --at %s:\n%s", at, out)
	}
	if out := admin.ok(t, "alias", "ls", "al"); !regexp.MustCompile(`(?m)^production\s+2\s`).MatchString(out) {
		t.Errorf("alias ls:\n%s", out)
	}
	admin.ok(t, "alias", "rm", "al", "production")
	admin.fails(t, 1, "NOT_FOUND: ", "show", "al@production")
}

func TestTagAndDelete(t *testing.T) {
	src := makeTree(t)
	push(t, admin, "td", src)
	push(t, admin, "td", src, "--label", "2.0")
	if out := admin.ok(t, "tag", "td:2.0", "stage=candidate", "owner=ana"); out != "tagged td/2: owner=ana stage=candidate\n" {
		t.Errorf("tag output %q", out)
	}
	if out := admin.ok(t, "tag", "td/2", "--rm", "owner"); out != "tagged td/2: stage=candidate\n" {
		t.Errorf("tag --rm output %q", out)
	}
	var tagged []map[string]any
	decode(t, admin.ok(t, "versions", "td", "--tag", "stage=candidate", "-o", "json"), &tagged)
	if len(tagged) != 1 || tagged[0]["version"] != 2.0 {
		t.Errorf("versions --tag stage=candidate = %v", tagged)
	}

	if out := admin.ok(t, "delete", "td/2"); !strings.HasPrefix(out, "deleted td/2 sha256:") {
		t.Errorf("delete output %q", out)
	}
	admin.fails(t, 1, "NOT_FOUND: ", "show", "td/2")
	if num, _, _ := push(t, admin, "td", src); num != "3" {
		t.Errorf("push after deleting version 2 got number %s, want 3 (numbers are never reused)", num)
	}
	admin.fails(t, 2, `"td" names no version`, "delete", "td")
	admin.ok(t, "delete", "--model", "td")
	admin.fails(t, 1, "NOT_FOUND: ", "versions", "td")
}

func TestTokensAndLogin(t *testing.T) {
	push(t, admin, "tok", makeTree(t))
	secret := strings.TrimSpace(admin.ok(t, "token", "create", "--name", "dashboards", "--role", "reader"))
	if len(secret) < 16 || strings.ContainsAny(secret, " \n") {
		t.Fatalf("token create printed %q, want the secret alone", secret)
	}
	reader := runner{token: secret}
	if out := reader.ok(t, "whoami"); !strings.HasPrefix(out, "dashboards (reader)") {
		t.Errorf("whoami as reader: %q", out)
	}
	reader.ok(t, "pull", "tok", "--dest", t.TempDir())
	reader.fails(t, 1, "PERMISSION_DENIED: ", "push", "tok", makeTree(t))

	var tokens []map[string]any
	decode(t, admin.ok(t, "token", "ls", "-o", "json"), &tokens)
	var id string
	for _, tk := range tokens {
		if tk["name"] == "dashboards" {
			id, _ = tk["id"].(string)
		}
		if _, leaked := tk["token"]; leaked {
			t.Errorf("token ls shows a secret: %v", tk)
		}
	}

	// login reads the token from stdin, checks it and saves it for this server.
	login := runner{stdin: secret + "\n"}
	if out := login.ok(t, "login"); !strings.HasPrefix(out, "logged in to "+serverURL+" as dashboards (reader)") {
		t.Errorf("login output %q", out)
	}
	cfg := filepath.Join(homeDir, ".config", "modelry", "config.json")
	t.Cleanup(func() { os.Remove(cfg) })
	if info, err := os.Stat(cfg); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("config file %s: %v, mode %v; want mode 0600", cfg, err, info.Mode().Perm())
	}
	if out := (runner{noURL: true}).ok(t, "whoami"); out != "dashboards (reader) at "+serverURL+"\n" {
		t.Errorf("whoami with the saved server and token: %q", out)
	}
	(runner{stdin: "wrong-token\n"}).fails(t, 1, "UNAUTHENTICATED: ", "login")

	if id == "" {
		t.Fatal("token ls did not list the dashboards token")
	}
	admin.ok(t, "token", "revoke", id)
	reader.fails(t, 1, "UNAUTHENTICATED: ", "whoami")
}

func TestEvents(t *testing.T) {
	push(t, admin, "ev", makeTree(t), "--alias", "production")
	var events []map[string]any
	decode(t, admin.ok(t, "events", "--model", "ev", "-o", "json"), &events)
	var types []string
	for _, e := range events {
		types = append(types, e["type"].(string))
		if e["actor"] == "" {
			t.Errorf("event without actor: %v", e)
		}
	}
	for _, want := range []string{"version.created", "alias.set"} {
		if !strings.Contains(strings.Join(types, " "), want) {
			t.Errorf("events of ev: %v, want a %s", types, want)
		}
	}
	last := jsonString(events[len(events)-1]["seq"])
	decode(t, admin.ok(t, "events", "--model", "ev", "--after", last, "-o", "json"), &events)
	if len(events) != 0 {
		t.Errorf("events --after %s: %v, want none", last, events)
	}
}

func decode(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("output is not JSON (%v):\n%s", err, s)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
