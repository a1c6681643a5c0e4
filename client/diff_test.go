package client

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func f64(f float64) *float64 { return &f }

func baseVersion() Version {
	return Version{
		Model: "churn", Version: 1, Label: "1.0", Digest: "sha256:aaa", Description: "baseline",
		Metrics: map[string]float64{"accuracy": 0.93, "loss": 0.3},
		Params:  map[string]string{"C": "1.0"},
		Tags:    map[string]string{"team": "growth"},
		Source:  Source{Git: &GitSource{Remote: "https://git/x", Commit: "c1", Branch: "main"}},
		Lineage: Lineage{
			Datasets: []DatasetUse{{Role: "train", VersionPointer: VersionPointer{Ref: "sales@current", Name: "sales", Version: 3, Digest: "sha256:s3"}}},
			Parent:   &VersionPointer{Name: "base", Version: 1, Digest: "sha256:b1"},
		},
		Files: []File{
			{Path: "model.bin", Size: 100, Digest: "sha256:m1", Mode: 0o644},
			{Path: "serve.sh", Size: 10, Digest: "sha256:s", Mode: 0o644},
			{Path: "current", Target: "model.bin", Mode: 0o777},
			{Path: "old.txt", Size: 5, Digest: "sha256:o", Mode: 0o644},
			{Path: "same.json", Size: 2, Digest: "sha256:j", Mode: 0o644},
		},
	}
}

func TestDiffIdentical(t *testing.T) {
	v := baseVersion()
	d := Diff(v, v)
	if !d.Identical || d.Files.Unchanged != 5 {
		t.Errorf("a version against itself: identical %v, unchanged %d", d.Identical, d.Files.Unchanged)
	}
	b, _ := json.Marshal(d)
	for _, key := range []string{`"added":[]`, `"removed":[]`, `"changed":[]`, `"metrics":[]`, `"params":[]`, `"tags":[]`, `"metadata":[]`, `"lineage":[]`, `"source":[]`, `"schema":null`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON of an empty diff lacks %s: %s", key, b)
		}
	}
}

func TestDiffSections(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(v *Version)
		check func(t *testing.T, d VersionDiff)
	}{
		{"files", func(v *Version) {
			v.Files = []File{
				{Path: "model.bin", Size: 120, Digest: "sha256:m2", Mode: 0o644},
				{Path: "serve.sh", Size: 10, Digest: "sha256:s", Mode: 0o755},
				{Path: "current", Target: "serve.sh", Mode: 0o777},
				{Path: "same.json", Size: 2, Digest: "sha256:j", Mode: 0o644},
				{Path: "a/new.txt", Size: 7, Digest: "sha256:n", Mode: 0o644},
			}
		}, func(t *testing.T, d VersionDiff) {
			want := FilesDiff{
				Added:   []FileChange{{Path: "a/new.txt", NewSize: 7, NewDigest: "sha256:n", NewMode: 0o644}},
				Removed: []FileChange{{Path: "old.txt", OldSize: 5, OldDigest: "sha256:o", OldMode: 0o644}},
				Changed: []FileChange{
					{Path: "current", OldMode: 0o777, NewMode: 0o777, OldTarget: "model.bin", NewTarget: "serve.sh"},
					{Path: "model.bin", OldSize: 100, NewSize: 120, OldDigest: "sha256:m1", NewDigest: "sha256:m2", OldMode: 0o644, NewMode: 0o644},
					{Path: "serve.sh", OldSize: 10, NewSize: 10, OldDigest: "sha256:s", NewDigest: "sha256:s", OldMode: 0o644, NewMode: 0o755},
				},
				Unchanged: 1,
			}
			if !reflect.DeepEqual(d.Files, want) {
				t.Errorf("files:\n got %+v\nwant %+v", d.Files, want)
			}
		}},
		{"metrics", func(v *Version) {
			v.Metrics = map[string]float64{"accuracy": 0.95, "f1": 0.9}
		}, func(t *testing.T, d VersionDiff) {
			want := []MetricChange{
				{Name: "accuracy", Change: ChangeChanged, Old: f64(0.93), New: f64(0.95), Delta: f64(0.02)},
				{Name: "f1", Change: ChangeAdded, New: f64(0.9)},
				{Name: "loss", Change: ChangeRemoved, Old: f64(0.3)},
			}
			if !reflect.DeepEqual(d.Metrics, want) {
				t.Errorf("metrics:\n got %s\nwant %s", jsonOf(d.Metrics), jsonOf(want))
			}
		}},
		{"params tags label description", func(v *Version) {
			v.Params = map[string]string{"C": "2.0", "lr": "0.01"}
			v.Tags = map[string]string{}
			v.Label, v.Description = "", "tuned"
		}, func(t *testing.T, d VersionDiff) {
			wantParams := []ValueChange{{"C", ChangeChanged, "1.0", "2.0"}, {"lr", ChangeAdded, "", "0.01"}}
			wantTags := []ValueChange{{"team", ChangeRemoved, "growth", ""}}
			wantMeta := []ValueChange{{"description", ChangeChanged, "baseline", "tuned"}, {"label", ChangeRemoved, "1.0", ""}}
			if !reflect.DeepEqual(d.Params, wantParams) || !reflect.DeepEqual(d.Tags, wantTags) || !reflect.DeepEqual(d.Metadata, wantMeta) {
				t.Errorf("params %+v tags %+v metadata %+v", d.Params, d.Tags, d.Metadata)
			}
		}},
		{"lineage", func(v *Version) {
			v.Lineage = Lineage{Datasets: []DatasetUse{
				{Role: "train", VersionPointer: VersionPointer{Ref: "sales/4", Name: "sales", Version: 4, Digest: "sha256:s4"}},
				{Role: "eval", VersionPointer: VersionPointer{Ref: "holdout/2", Name: "holdout", Version: 2, Digest: "sha256:h2"}},
			}}
		}, func(t *testing.T, d VersionDiff) {
			got := []string{}
			for _, c := range d.Lineage {
				got = append(got, c.Role+" "+c.Change)
			}
			if want := "eval added|train changed|parent removed"; strings.Join(got, "|") != want {
				t.Errorf("lineage = %q, want %q", got, want)
			}
			if c := d.Lineage[1]; c.Old.Version != 3 || c.New.Version != 4 {
				t.Errorf("train change = %+v", c)
			}
		}},
		{"same dataset version under another ref", func(v *Version) {
			v.Lineage.Datasets[0].Ref = "sales/3"
		}, func(t *testing.T, d VersionDiff) {
			if len(d.Lineage) != 0 || !d.Identical {
				t.Errorf("a ref spelled differently is not a lineage change: %+v", d.Lineage)
			}
		}},
		{"source", func(v *Version) {
			v.Source = Source{
				Git: &GitSource{Remote: "https://git/x", Commit: "c2", Branch: "main", Dirty: true, DiffDigest: "sha256:d"},
				Run: &RunSource{System: "mlflow", ID: "r1"},
			}
		}, func(t *testing.T, d VersionDiff) {
			want := []ValueChange{
				{"git.commit", ChangeChanged, "c1", "c2"},
				{"git.diff_digest", ChangeAdded, "", "sha256:d"},
				{"git.dirty", ChangeChanged, "false", "true"},
				{"run.id", ChangeAdded, "", "r1"},
				{"run.system", ChangeAdded, "", "mlflow"},
			}
			if !reflect.DeepEqual(d.Source, want) {
				t.Errorf("source:\n got %+v\nwant %+v", d.Source, want)
			}
		}},
		{"no git source on one side", func(v *Version) { v.Source.Git = nil }, func(t *testing.T, d VersionDiff) {
			if len(d.Source) != 4 || d.Source[0].Key != "git.branch" || d.Source[0].Change != ChangeRemoved {
				t.Errorf("source = %+v, want branch, commit, dirty and remote removed", d.Source)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := baseVersion(), baseVersion()
			to.Version = 2
			tt.edit(&to)
			d := Diff(from, to)
			if d.From.Ref != "churn/1" || d.To.Ref != "churn/2" {
				t.Errorf("from %+v to %+v", d.From, d.To)
			}
			tt.check(t, d)
		})
	}
}

func TestRoundDelta(t *testing.T) {
	for _, tt := range []struct{ o, n, want float64 }{
		{0.93, 0.95, 0.02}, {-math.MaxFloat64, math.MaxFloat64, math.Inf(1)}, {0.1, 0.3, 0.2}, {1, 3, 2}, {0.5, 0.25, -0.25}, {1e-9, 2e-9, 1e-9}, {100, 99.5, -0.5},
	} {
		if got := roundDelta(tt.o, tt.n); got != tt.want {
			t.Errorf("roundDelta(%v, %v) = %v, want %v", tt.o, tt.n, got, tt.want)
		}
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

const sklearnMeta = `{
  "format": 1, "flavor": "sklearn", "serializer": "skops", "model_files": ["model.skops"],
  "python": "3.11.7", "libraries": {"sklearn": "1.5.0", "skops": "0.10.0", "numpy": "2.0.0"},
  "options": {}, "input_example": "input_example.json", "sdk": "modelry-python 0.1.0",
  "signature": {
    "inputs": {"type": "dataframe", "columns": {"age": "int64", "plan": "object", "spend": "float64"}},
    "outputs": {"type": "tensor", "dtype": "int64", "shape": [-1]}
  }
}`

func TestDiffSchema(t *testing.T) {
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal([]byte(sklearnMeta), &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	sig := func(m map[string]any) map[string]any { return m["signature"].(map[string]any) }
	tests := []struct {
		name string
		to   []byte
		want []string // "key change old -> new"
		skip string
	}{
		{"same", []byte(sklearnMeta), nil, ""},
		{"flavor and libraries", edit(func(m map[string]any) {
			m["flavor"], m["serializer"] = "xgboost", "xgboost-ubj"
			m["libraries"] = map[string]any{"xgboost": "2.1.0", "numpy": "2.1.0"}
			m["options"] = map[string]any{"class": "xgboost.XGBClassifier"}
		}), []string{
			"flavor changed sklearn -> xgboost",
			"libraries.numpy changed 2.0.0 -> 2.1.0",
			"libraries.sklearn removed 1.5.0 -> ",
			"libraries.skops removed 0.10.0 -> ",
			"libraries.xgboost added  -> 2.1.0",
			`options.class added  -> "xgboost.XGBClassifier"`,
			"serializer changed skops -> xgboost-ubj",
		}, ""},
		{"columns and shapes", edit(func(m map[string]any) {
			sig(m)["inputs"] = map[string]any{"type": "dataframe", "columns": map[string]any{"age": "float64", "spend": "float64", "region": "object"}}
			sig(m)["outputs"] = map[string]any{"type": "tensor", "dtype": "float32", "shape": []any{-1, 2}}
		}), []string{
			"inputs.columns.age changed int64 -> float64",
			"inputs.columns.plan removed object -> ",
			"inputs.columns.region added  -> object",
			"outputs.dtype changed int64 -> float32",
			"outputs.shape changed [-1] -> [-1, 2]",
		}, ""},
		{"type change and nested fields", edit(func(m map[string]any) {
			sig(m)["inputs"] = map[string]any{"type": "dict", "fields": map[string]any{
				"ids": map[string]any{"type": "tensor", "dtype": "int64", "shape": []any{-1, 8}},
			}}
			sig(m)["outputs"] = nil
		}), []string{
			"inputs changed dataframe (3 columns) -> dict (1 field)",
			"outputs removed tensor int64 [-1] -> ",
		}, ""},
		{"no signature", edit(func(m map[string]any) { m["signature"] = nil; m["input_example"] = nil }), []string{
			"input_example removed input_example.json -> ",
			"inputs removed dataframe (3 columns) -> ",
			"outputs removed tensor int64 [-1] -> ",
		}, ""},
		{"not JSON", []byte("weights"), nil, "the to version's modelry.json is not the SDK's metadata"},
		{"unknown format", []byte(`{"format": 2, "flavor": "x"}`), nil, "the to version's modelry.json has an unknown format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DiffSchema([]byte(sklearnMeta), tt.to)
			var got []string
			for _, c := range d.Changes {
				got = append(got, c.Key+" "+c.Change+" "+c.Old+" -> "+c.New)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if !strings.HasPrefix(d.Skipped, tt.skip) || (tt.skip == "") != (d.Skipped == "") {
				t.Errorf("skipped = %q, want %q", d.Skipped, tt.skip)
			}
		})
	}
	d := DiffSchema([]byte(`{"format": 1}`), []byte(sklearnMeta))
	if !strings.HasPrefix(d.Skipped, "the from version's") {
		t.Errorf("bad from file: skipped = %q", d.Skipped)
	}
}

func TestDiffSchemaFields(t *testing.T) {
	a := ModelMeta{Format: 1, Flavor: "numpy", Signature: &Signature{Inputs: &Schema{Type: "dict", Fields: map[string]*Schema{
		"x": {Type: "tensor", DType: "float32", Shape: []int64{-1, 4}},
		"y": {Type: "list", Length: ptrInt(3)},
	}}}}
	b := ModelMeta{Format: 1, Flavor: "numpy", Signature: &Signature{Inputs: &Schema{Type: "dict", Fields: map[string]*Schema{
		"x": {Type: "tensor", DType: "float32", Shape: []int64{-1, 5}},
		"y": {Type: "list", Length: ptrInt(4)},
		"z": {Type: "str"},
	}}}}
	got := DiffModelMeta(a, b)
	want := []ValueChange{
		{"inputs.fields.x.shape", ChangeChanged, "[-1, 4]", "[-1, 5]"},
		{"inputs.fields.y.length", ChangeChanged, "3", "4"},
		{"inputs.fields.z", ChangeAdded, "", "str"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DiffModelMeta:\n got %+v\nwant %+v", got, want)
	}
}

func ptrInt(n int64) *int64 { return &n }
