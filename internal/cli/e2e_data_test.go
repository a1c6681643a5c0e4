package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// graphJSON is the -o json shape of 'lineage' and 'used-by'.
type graphJSON struct {
	Root  string
	Nodes []struct {
		ID, Kind, Name, Digest, Label string
		Version                       int64
		Source                        struct{ Run *struct{ System, ID string } }
	}
	Edges []struct{ From, To, Role string }
}

// seedLineage pushes, under names starting with p: datasets p-sales (two
// versions, alias current at 1) and p-holdout, model p-base, and p-churn/1
// (trained on p-sales@current, evaluated on p-holdout, from p-base/1, run
// 8f2c1e) and p-churn/2 (trained on p-sales/2, from p-churn/1). It returns
// the digests by "name/number".
func seedLineage(t *testing.T, p string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	digests := map[string]string{}
	note := func(args ...string) {
		t.Helper()
		out := admin.ok(t, args...)
		m := pushedRe.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("modelry %s printed %q", strings.Join(args, " "), out)
		}
		digests[m[1]+"/"+m[2]] = m[3]
	}
	note("data", "push", p+"-sales", writeFile(t, dir, "sales.csv", "id,amount\n1,10\n"), "--label", "2024-q1", "--alias", "current")
	note("data", "push", p+"-sales", writeFile(t, dir, "sales.csv", "id,amount\n1,10\n2,20\n"))
	note("data", "push", p+"-holdout", writeFile(t, dir, "holdout.csv", "id,amount\n9,90\n"))
	note("push", p+"-base", writeFile(t, dir, "model.bin", "base weights"))
	note("push", p+"-churn", writeFile(t, dir, "model.bin", "churn weights 1"),
		"--dataset", "train="+p+"-sales@current", "--dataset", "eval="+p+"-holdout", "--parent", p+"-base/1", "--run", "8f2c1e")
	note("push", p+"-churn", writeFile(t, dir, "model.bin", "churn weights 2"),
		"--dataset", "train="+p+"-sales/2", "--parent", p+"-churn/1")
	return digests
}

func short(d string) string { return d[:len("sha256:")+12] }

func TestDatasetsPushPullListAliasTag(t *testing.T) {
	d := seedLineage(t, "dl")

	// data ls lists datasets only; models lists both with their kind.
	out := admin.ok(t, "data", "ls", "--prefix", "dl-")
	if !regexp.MustCompile(`(?m)^dl-holdout\s+dataset\s+1\s+1\s`).MatchString(out) || !strings.Contains(out, "dl-sales ") || strings.Contains(out, "dl-churn") {
		t.Errorf("data ls:\n%s", out)
	}
	out = admin.ok(t, "models", "--prefix", "dl-")
	for _, want := range []string{`(?m)^NAME\s+KIND\s+VERSIONS`, `(?m)^dl-churn\s+model\s+2\s+2\s`, `(?m)^dl-sales\s+dataset\s+2\s+2\s+current=1\s`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("models output does not match %s:\n%s", want, out)
		}
	}
	var models []struct{ Name, Kind string }
	decode(t, admin.ok(t, "ls", "--kind", "dataset", "--prefix", "dl-", "-o", "json"), &models)
	if len(models) != 2 || models[0].Name != "dl-holdout" || models[0].Kind != "dataset" {
		t.Errorf("ls --kind dataset -o json = %+v", models)
	}

	// versions, show, pull.
	var versions []struct {
		Version int64
		Label   string
	}
	decode(t, admin.ok(t, "data", "versions", "dl-sales", "-o", "json"), &versions)
	if len(versions) != 2 || versions[1].Label != "2024-q1" {
		t.Errorf("data versions -o json = %+v", versions)
	}
	out = admin.ok(t, "data", "show", "dl-sales:2024-q1")
	if !strings.HasPrefix(out, "dataset:      dl-sales\nversion:      1\n") {
		t.Errorf("data show:\n%s", out)
	}
	dest := filepath.Join(t.TempDir(), "pulled")
	out = admin.ok(t, "data", "pull", "dl-sales@current", "-d", dest)
	if !strings.HasPrefix(out, "pulled dl-sales/1 "+d["dl-sales/1"]+" into "+dest) {
		t.Errorf("data pull printed %q", out)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "sales.csv")); err != nil || string(b) != "id,amount\n1,10\n" {
		t.Errorf("pulled sales.csv = %q, %v", b, err)
	}

	// Aliases, history, rollback and tags, as for models.
	if out := admin.ok(t, "data", "alias", "set", "dl-sales", "current", "2", "--reason", "new month"); out != "dl-sales@current: 1 -> 2\n" {
		t.Errorf("data alias set printed %q", out)
	}
	if out := admin.ok(t, "data", "alias", "history", "dl-sales", "current"); !strings.Contains(out, "new month") {
		t.Errorf("data alias history:\n%s", out)
	}
	if out := admin.ok(t, "data", "rollback", "dl-sales", "current"); out != "dl-sales@current: 2 -> 1 (rolled back)\n" {
		t.Errorf("data rollback printed %q", out)
	}
	if out := admin.ok(t, "data", "tag", "dl-sales/2", "split=2024q2"); out != "tagged dl-sales/2: split=2024q2\n" {
		t.Errorf("data tag printed %q", out)
	}
	admin.ok(t, "data", "alias", "rm", "dl-sales", "current")
}

func TestLineageAndUsedBy(t *testing.T) {
	d := seedLineage(t, "ln")

	out := admin.ok(t, "show", "ln-churn/1")
	for _, want := range []string{
		"run:          mlflow 8f2c1e",
		"dataset:      ln-sales/1 " + short(d["ln-sales/1"]) + " (as ln-sales@current)",
		"dataset:      ln-holdout/1 " + short(d["ln-holdout/1"]) + " (as ln-holdout)",
		"parent:       ln-base/1 " + short(d["ln-base/1"]) + " (as ln-base/1)",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("show ln-churn/1 lacks %q:\n%s", want, out)
		}
	}

	want := strings.Join([]string{
		"ln-churn/2 [model, " + short(d["ln-churn/2"]) + "]",
		"├── train: ln-sales/2 [dataset, " + short(d["ln-sales/2"]) + "]",
		"└── parent: ln-churn/1 [model, " + short(d["ln-churn/1"]) + ", run 8f2c1e]",
		"    ├── train: ln-sales/1 [dataset, label 2024-q1, " + short(d["ln-sales/1"]) + "]",
		"    ├── eval: ln-holdout/1 [dataset, " + short(d["ln-holdout/1"]) + "]",
		"    └── parent: ln-base/1 [model, " + short(d["ln-base/1"]) + "]",
	}, "\n") + "\n"
	if out := admin.ok(t, "lineage", "ln-churn"); out != want {
		t.Errorf("lineage ln-churn:\n%s\nwant:\n%s", out, want)
	}
	want = strings.Join([]string{
		"ln-sales/2 [dataset, " + short(d["ln-sales/2"]) + "]",
		"└── as train in ln-churn/2 [model, " + short(d["ln-churn/2"]) + "]",
		"",
		"ln-sales/1 [dataset, label 2024-q1, " + short(d["ln-sales/1"]) + "]",
		"└── as train in ln-churn/1 [model, " + short(d["ln-churn/1"]) + ", run 8f2c1e]",
		"    └── as parent of ln-churn/2 (shown above)",
	}, "\n") + "\n"
	if out := admin.ok(t, "used-by", "ln-sales"); out != want {
		t.Errorf("used-by ln-sales:\n%s\nwant:\n%s", out, want)
	}
	if out := admin.ok(t, "used-by", "ln-churn/2"); !strings.HasSuffix(out, "  (not used by any live version)\n") {
		t.Errorf("used-by of an unused version:\n%s", out)
	}

	var g graphJSON
	decode(t, admin.ok(t, "lineage", "ln-churn/2", "--depth", "1", "-o", "json"), &g)
	if g.Root != "ln-churn/2" || len(g.Nodes) != 3 || len(g.Edges) != 2 || g.Edges[1].From != "ln-churn/1" || g.Edges[1].Role != "parent" {
		t.Errorf("lineage --depth 1 -o json = %+v", g)
	}
	decode(t, admin.ok(t, "used-by", "ln-base/1", "-o", "json"), &g)
	if g.Root != "ln-base/1" || len(g.Nodes) != 3 || g.Nodes[1].Source.Run == nil || g.Nodes[1].Source.Run.ID != "8f2c1e" {
		t.Errorf("used-by ln-base/1 -o json = %+v", g)
	}

	checkDot(t, admin.ok(t, "lineage", "ln-churn", "-o", "dot"), "lineage",
		[]string{"ln-churn/2", "ln-sales/2", "ln-churn/1", "ln-sales/1", "ln-holdout/1", "ln-base/1"},
		[]string{"ln-sales/2->ln-churn/2:train", "ln-churn/1->ln-churn/2:parent", "ln-sales/1->ln-churn/1:train",
			"ln-holdout/1->ln-churn/1:eval", "ln-base/1->ln-churn/1:parent"})
	checkDot(t, admin.ok(t, "used-by", "ln-holdout/1", "-o", "dot"), "used-by",
		[]string{"ln-holdout/1", "ln-churn/1", "ln-churn/2"},
		[]string{"ln-holdout/1->ln-churn/1:eval", "ln-churn/1->ln-churn/2:parent"})
}

var (
	dotNodeRe = regexp.MustCompile(`^  "([^"]+)" \[label="[^"]*"(, [a-z]+=[a-z0-9]+)*\];$`)
	dotEdgeRe = regexp.MustCompile(`^  "([^"]+)" -> "([^"]+)" \[label="([^"]+)"(, style=dashed)?\];$`)
)

// checkDot parses dot output line by line: a digraph named name, exactly
// the nodes and edges wanted, each declared once, every edge between
// declared nodes. When Graphviz is installed, dot must accept it too.
func checkDot(t *testing.T, out, name string, nodes, edges []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != `digraph "`+name+`" {` || lines[len(lines)-1] != "}" {
		t.Fatalf("dot output is not one digraph %q:\n%s", name, out)
	}
	var gotNodes, gotEdges []string
	for _, l := range lines[1 : len(lines)-1] {
		if m := dotNodeRe.FindStringSubmatch(l); m != nil {
			gotNodes = append(gotNodes, m[1])
		} else if m := dotEdgeRe.FindStringSubmatch(l); m != nil {
			if !slices.Contains(gotNodes, m[1]) || !slices.Contains(gotNodes, m[2]) {
				t.Errorf("dot edge before its nodes: %s", l)
			}
			gotEdges = append(gotEdges, m[1]+"->"+m[2]+":"+m[3])
		} else if !strings.HasPrefix(l, "  rankdir=") && !strings.HasPrefix(l, "  node [") && !strings.HasPrefix(l, "  edge [") {
			t.Errorf("unexpected dot line %q", l)
		}
	}
	if !slices.Equal(gotNodes, nodes) || !slices.Equal(gotEdges, edges) {
		t.Errorf("dot graph:\n nodes %q\n edges %q\nwant\n nodes %q\n edges %q", gotNodes, gotEdges, nodes, edges)
	}
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Log("Graphviz dot not installed; checked the structure only")
		return
	}
	cmd := exec.Command(dot, "-Tsvg")
	cmd.Stdin = strings.NewReader(out)
	if svg, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(svg), "<svg") {
		t.Errorf("dot -Tsvg refused the output: %v\n%s", err, svg)
	}
}

func TestDatasetAndLineageErrors(t *testing.T) {
	seedLineage(t, "le")
	f := writeFile(t, t.TempDir(), "f.bin", "bytes")
	tests := []struct {
		name   string
		args   []string
		code   int
		prefix string
	}{
		{"model push to a dataset", []string{"push", "le-sales", f}, 1, `KIND_MISMATCH: "le-sales" is a dataset, not a model; names are one kind or the other: push to "le-sales" with 'modelry data push'`},
		{"dataset push to a model", []string{"data", "push", "le-churn", f}, 1, `KIND_MISMATCH: "le-churn" is a model, not a dataset; names are one kind or the other: push to "le-churn" with 'modelry push'`},
		{"dataset that is a model", []string{"push", "le-x", f, "--dataset", "train=le-base/1"}, 1, `KIND_MISMATCH: dataset train=le-base/1: "le-base" is a model, not a dataset`},
		{"unknown dataset", []string{"push", "le-x", f, "--dataset", "train=le-nope"}, 1, `NOT_FOUND: dataset train=le-nope: dataset "le-nope" not found`},
		{"unknown dataset version", []string{"push", "le-x", f, "--dataset", "eval=le-sales/9"}, 1, `NOT_FOUND: dataset eval=le-sales/9: dataset "le-sales" has no version 9`},
		{"bad role", []string{"push", "le-x", f, "--dataset", "1st=le-sales/1"}, 1, `INVALID_ARGUMENT: dataset role "1st" must start with a letter`},
		{"parent of the other kind", []string{"push", "le-x", f, "--parent", "le-sales/1"}, 1, `KIND_MISMATCH: parent le-sales/1: "le-sales" is a dataset, not a model`},
		{"unknown lineage ref", []string{"lineage", "le-nope/1"}, 1, `NOT_FOUND: model "le-nope" not found`},
		{"depth out of range", []string{"used-by", "le-sales", "--depth", "101"}, 2, "--depth 101 is out of range; give 1 to 100 steps"},
		{"depth zero", []string{"lineage", "le-churn", "--depth", "0"}, 2, "--depth 0 is out of range; give 1 to 100 steps"},
		{"dataset without =", []string{"push", "le-x", f, "--dataset", "le-sales"}, 2, `--dataset "le-sales" is not ROLE=REF`},
		{"dot on a listing", []string{"models", "-o", "dot"}, 2, `--output must be text or json, not "dot"`},
		{"yaml on lineage", []string{"lineage", "le-churn", "-o", "yaml"}, 2, `--output must be text, json or dot, not "yaml"`},
		{"data ls of models", []string{"data", "ls", "--kind", "model"}, 2, "data ls lists only datasets"},
		{"lineage arity", []string{"lineage"}, 2, "lineage takes REF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			admin.fails(t, tt.code, tt.prefix, tt.args...)
		})
	}
	if out := admin.ok(t, "models", "--prefix", "le-x"); strings.Contains(out, "le-x") {
		t.Errorf("a refused push created its model:\n%s", out)
	}
}
