package client

import (
	"context"
	"testing"
)

func TestDiffRefsFetchesModelMeta(t *testing.T) {
	f, c := newFake(t)
	ctx := context.Background()
	pushTree := func(meta string) {
		t.Helper()
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"model.skops": "weights", MetaFile: meta})
		if _, _, err := c.Push(ctx, "m", []string{dir}, PushOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pushTree(sklearnMeta)
	pushTree(sklearnMeta)
	pushTree(`{"format": 1, "flavor": "xgboost"}`)

	d, err := c.DiffRefs(ctx, "m/1", "m/2")
	if err != nil || d.Schema == nil || len(d.Schema.Changes) != 0 || !d.Identical {
		t.Fatalf("same modelry.json: %+v, %v", d.Schema, err)
	}
	if len(f.gets) != 0 {
		t.Errorf("identical modelry.json files were downloaded: %v", f.gets)
	}

	d, err = c.DiffRefs(ctx, "m/2", "m/3")
	if err != nil || d.Schema == nil || d.Identical || len(d.Schema.Changes) == 0 || d.Schema.Changes[0].Key != "flavor" {
		t.Fatalf("other modelry.json: %+v, %v", d.Schema, err)
	}

	f.corrupt[metaFile(f.versions[2]).Digest] = true
	if _, err := c.DiffRefs(ctx, "m/2", "m/3"); !IsDigestMismatch(err) {
		t.Errorf("corrupt modelry.json: err = %v, want DIGEST_MISMATCH", err)
	}
	if _, err := c.DiffRefs(ctx, "m/2", "m/9"); !IsNotFound(err) {
		t.Errorf("unknown ref: err = %v, want NOT_FOUND", err)
	}
}
