package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// mlflowSearch is the search MLflow's search_model_versions("name = 'bench'")
// becomes: the name, prompts left out, newest first.
func mlflowSearch(limit int) registry.VersionSearch {
	return registry.VersionSearch{
		Where: []registry.VersionCond{
			{Field: registry.FieldModel, Op: registry.OpEq, Values: []string{"bench"}},
			{Field: registry.FieldTag, Key: "mlflow.prompt.is_prompt", Op: registry.OpNe, Values: []string{"true"}, IfMissing: true},
		},
		Order: []registry.VersionOrder{{Field: registry.FieldCreated, Desc: true}},
		Limit: limit,
	}
}

// seedMLflowBench stores model "bench" with n versions as MLflow clients
// create them: one placeholder file, an external source, no tags.
func seedMLflowBench(tb testing.TB, s *Store, n int) {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()
	err := s.Update(ctx, func(tx registry.WriteTx) error {
		if err := tx.CreateModel(ctx, registry.Model{Name: "bench", Kind: registry.KindModel, CreatedAt: start, UpdatedAt: start}); err != nil {
			return err
		}
		for i := 1; i <= n; i++ {
			uri := fmt.Sprintf("s3://bucket/bench/%d", i)
			files := []registry.File{{Path: "MLFLOW_SOURCE", Size: int64(len(uri)), Digest: fmt.Sprintf("sha256:%064x", i), Mode: 0o644}}
			v := registry.Version{Model: "bench", Number: int64(i), Digest: registry.ManifestDigest(files), Files: files,
				Source:    registry.Source{Run: &registry.RunSource{System: "mlflow", URI: uri}},
				CreatedAt: start.Add(time.Duration(i) * time.Millisecond), CreatedBy: "ci"}
			if err := tx.InsertVersion(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkSearchVersions10k compares, on 10,000 versions of one model, the
// store-side search with what the MLflow handler did before it: every live
// version read through ListVersions, 1,000 a page.
func BenchmarkSearchVersions10k(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "meta.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	seedMLflowBench(b, s, 10_000)
	b.Run("SearchVersions", func(b *testing.B) {
		for b.Loop() {
			err := s.View(ctx, func(tx registry.ReadTx) error {
				vs, err := tx.SearchVersions(ctx, mlflowSearch(10_001))
				if err == nil && len(vs) != 10_000 {
					err = fmt.Errorf("found %d versions", len(vs))
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListVersions", func(b *testing.B) {
		for b.Loop() {
			n := 0
			q := registry.VersionQuery{Page: registry.Page{Size: registry.MaxPageSize}}
			for {
				var next string
				err := s.View(ctx, func(tx registry.ReadTx) (err error) {
					var vs []registry.Version
					vs, next, err = tx.ListVersions(ctx, "bench", q)
					n += len(vs)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				if q.Page.Token = next; next == "" {
					break
				}
			}
			if n != 10_000 {
				b.Fatalf("listed %d versions", n)
			}
		}
	})
}
