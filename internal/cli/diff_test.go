package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelry/modelry/client"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current output")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func dg(c string) string { return "sha256:" + strings.Repeat(c, 64) }

func diffFrom() client.Version {
	return client.Version{
		Model: "churn", Version: 3, Label: "1.0", Digest: dg("a"), Description: "baseline model",
		Metrics: map[string]float64{"accuracy": 0.93, "loss": 0.31, "auc": 0.9},
		Params:  map[string]string{"C": "1.0", "penalty": "l2"},
		Tags:    map[string]string{"team": "growth", "stage": "candidate"},
		Source:  client.Source{Git: &client.GitSource{Remote: "https://github.com/acme/churn.git", Commit: strings.Repeat("1", 40), Branch: "main"}},
		Lineage: client.Lineage{
			Datasets: []client.DatasetUse{
				{Role: "train", VersionPointer: client.VersionPointer{Ref: "sales/3", Name: "sales", Version: 3, Digest: dg("3")}},
				{Role: "eval", VersionPointer: client.VersionPointer{Ref: "holdout/1", Name: "holdout", Version: 1, Digest: dg("4")}},
			},
			Parent: &client.VersionPointer{Ref: "base/1", Name: "base", Version: 1, Digest: dg("5")},
		},
		Files: []client.File{
			{Path: "model.skops", Size: 2_400_000, Digest: dg("b"), Mode: 0o644},
			{Path: "modelry.json", Size: 420, Digest: dg("c"), Mode: 0o644},
			{Path: "serve.sh", Size: 120, Digest: dg("d"), Mode: 0o644},
			{Path: "current", Target: "model.skops", Mode: 0o777},
			{Path: "notes/old.txt", Size: 15, Digest: dg("e"), Mode: 0o644},
			{Path: "vocab.txt", Size: 5_000, Digest: dg("f"), Mode: 0o644},
		},
	}
}

func diffTo() client.Version {
	return client.Version{
		Model: "churn", Version: 4, Label: "1.1", Digest: dg("9"), Description: "more trees, less regularization",
		Metrics: map[string]float64{"accuracy": 0.95, "loss": 0.25, "f1": 0.88},
		Params:  map[string]string{"C": "0.5", "penalty": "l2", "max_iter": "200"},
		Tags:    map[string]string{"team": "growth"},
		Source: client.Source{
			Git: &client.GitSource{Remote: "https://github.com/acme/churn.git", Commit: strings.Repeat("2", 40), Branch: "main", Dirty: true, DiffDigest: dg("7")},
			Run: &client.RunSource{System: "mlflow", ID: "9f8e7d"},
		},
		Lineage: client.Lineage{
			Datasets: []client.DatasetUse{
				{Role: "train", VersionPointer: client.VersionPointer{Ref: "sales@current", Name: "sales", Version: 4, Digest: dg("6")}},
			},
			Parent: &client.VersionPointer{Ref: "base/1", Name: "base", Version: 1, Digest: dg("5")},
		},
		Files: []client.File{
			{Path: "model.skops", Size: 2_650_000, Digest: dg("8"), Mode: 0o644},
			{Path: "modelry.json", Size: 433, Digest: dg("0"), Mode: 0o644},
			{Path: "serve.sh", Size: 120, Digest: dg("d"), Mode: 0o755},
			{Path: "current", Target: "modelry.json", Mode: 0o777},
			{Path: "data/threshold.json", Size: 31, Digest: dg("1"), Mode: 0o644},
			{Path: "vocab.txt", Size: 5_000, Digest: dg("f"), Mode: 0o644},
		},
	}
}

const metaFrom = `{"format": 1, "flavor": "sklearn", "serializer": "skops", "model_files": ["model.skops"],
 "python": "3.11.7", "libraries": {"sklearn": "1.5.2", "skops": "0.10.0", "numpy": "2.0.2"}, "options": {},
 "signature": {"inputs": {"type": "dataframe", "columns": {"age": "int64", "plan": "object", "spend": "float64"}},
               "outputs": {"type": "tensor", "dtype": "int64", "shape": [-1]}},
 "input_example": "input_example.json", "sdk": "modelry-python 0.1.0"}`

const metaTo = `{"format": 1, "flavor": "sklearn", "serializer": "skops", "model_files": ["model.skops"],
 "python": "3.11.9", "libraries": {"sklearn": "1.6.1", "skops": "0.10.0", "numpy": "2.0.2"}, "options": {},
 "signature": {"inputs": {"type": "dataframe", "columns": {"age": "float64", "spend": "float64", "region": "object"}},
               "outputs": {"type": "tensor", "dtype": "float64", "shape": [-1, 2]}},
 "input_example": "input_example.json", "sdk": "modelry-python 0.1.0"}`

func TestDiffText(t *testing.T) {
	full := client.Diff(diffFrom(), diffTo())
	full.Schema = client.DiffSchema([]byte(metaFrom), []byte(metaTo))

	same := client.Diff(diffFrom(), diffFrom())
	same.Schema = &client.SchemaDiff{Changes: []client.ValueChange{}}

	// Only metadata differs: the files section says they are all unchanged.
	retagged := diffFrom()
	retagged.Version, retagged.Tags = 5, map[string]string{"team": "growth", "reviewed": "yes please"}
	metaOnly := client.Diff(diffFrom(), retagged)
	metaOnly.Schema = client.DiffSchema([]byte(metaFrom), []byte("not json"))

	// File kinds change, one file keeps its size, the other model has no git source.
	other := diffFrom()
	other.Model, other.Version, other.Label, other.Source, other.Lineage = "churn-small", 1, "", client.Source{}, client.Lineage{}
	other.Files = []client.File{
		{Path: "model.skops", Target: "weights/model.skops", Mode: 0o777},
		{Path: "weights/model.skops", Size: 2_400_000, Digest: dg("2"), Mode: 0o644},
		{Path: "current", Size: 11, Digest: dg("3"), Mode: 0o644},
		{Path: "modelry.json", Size: 420, Digest: dg("c"), Mode: 0o644},
		{Path: "serve.sh", Size: 120, Digest: dg("d"), Mode: 0o644},
		{Path: "notes/old.txt", Size: 15, Digest: dg("0"), Mode: 0o644},
		{Path: "vocab.txt", Size: 5_000, Digest: dg("f"), Mode: 0o644},
	}
	kinds := client.Diff(diffFrom(), other)

	for _, tt := range []struct {
		name string
		d    client.VersionDiff
	}{{"full", full}, {"identical", same}, {"metadata-only", metaOnly}, {"file-kinds", kinds}} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeDiff(&buf, tt.d); err != nil {
				t.Fatal(err)
			}
			golden(t, "diff/"+tt.name+".txt", buf.Bytes())
		})
	}
	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		if err := writeJSON(&buf, full); err != nil {
			t.Fatal(err)
		}
		golden(t, "diff/full.json", buf.Bytes())
	})
}
