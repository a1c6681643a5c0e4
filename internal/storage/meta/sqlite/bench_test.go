//go:build unix

package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// The benchmark database: benchModels models of benchVersions versions each
// (100,000 in all), each model with aliases production and staging. It is
// built once per test binary, in one transaction, and shared.
const (
	benchModels   = 1000
	benchVersions = 100
)

var bench struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// cpuTime is the CPU time this process has used, user and system. Reported
// per operation it is a steadier measure than wall time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds throughput and CPU time per operation to b's results.
func report(b *testing.B, cpuStart time.Duration, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
	b.ReportMetric(float64((cpuTime()-cpuStart).Microseconds())/float64(b.N), "cpu-µs/op")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

func benchModel(i int) string { return fmt.Sprintf("model-%04d", i) }

func benchVersion(model string, n int64) registry.Version {
	files := []registry.File{
		{Path: "MLmodel", Size: 412, Digest: fmt.Sprintf("sha256:%064x", n), Mode: 0o644},
		{Path: "model.safetensors", Size: 438_000_000, Digest: fmt.Sprintf("sha256:%064x", n+1), Mode: 0o644},
		{Path: "requirements.txt", Size: 97, Digest: fmt.Sprintf("sha256:%064x", n+2), Mode: 0o644},
	}
	return registry.Version{
		Model: model, Number: n, Label: fmt.Sprintf("1.%d", n),
		Digest:      registry.ManifestDigest(files),
		Description: "nightly retrain",
		Metrics:     map[string]float64{"accuracy": 0.91, "f1": 0.88},
		Params:      map[string]string{"lr": "0.001", "epochs": "20"},
		Tags:        map[string]string{"dataset": "2025-06", "stage": "candidate"},
		Source:      registry.Source{Git: &registry.GitSource{Commit: "4f2a9c1", Branch: "main"}},
		Files:       files, Size: registry.ManifestSize(files),
		CreatedBy: "ci", CreatedAt: time.Now(),
	}
}

// benchStore opens the shared benchmark database, building it the first time.
func benchStore(b *testing.B) *Store {
	b.Helper()
	bench.once.Do(func() {
		start := time.Now()
		bench.dir, bench.err = os.MkdirTemp("", "modelry-bench-")
		if bench.err == nil {
			bench.path = filepath.Join(bench.dir, "meta.db")
			bench.err = buildBenchDB(context.Background(), bench.path)
		}
		b.Logf("built %d versions in %v", benchModels*benchVersions, time.Since(start).Round(time.Millisecond))
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	s, err := Open(b.Context(), bench.path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func buildBenchDB(ctx context.Context, path string) error {
	s, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Update(ctx, func(tx registry.WriteTx) error {
		for i := range benchModels {
			m := registry.Model{Name: benchModel(i), CreatedAt: time.Now(), UpdatedAt: time.Now(),
				LastNumber: benchVersions, VersionCount: benchVersions}
			if err := tx.CreateModel(ctx, m); err != nil {
				return err
			}
			for n := int64(1); n <= benchVersions; n++ {
				if err := tx.InsertVersion(ctx, benchVersion(m.Name, n)); err != nil {
					return err
				}
			}
			for alias, n := range map[string]int64{"production": benchVersions - 10, "staging": benchVersions} {
				if err := tx.PutAlias(ctx, registry.Alias{Model: m.Name, Name: alias, Version: n, UpdatedAt: time.Now()}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// BenchmarkFindVersionByAlias resolves name@production, each in its own
// View, as GET /models/{name}@production does.
func BenchmarkFindVersionByAlias(b *testing.B) {
	s := benchStore(b)
	resolve := func(i int) error {
		return s.View(b.Context(), func(tx registry.ReadTx) error {
			v, err := tx.FindVersion(b.Context(), registry.Ref{Model: benchModel(i % benchModels), Alias: "production"})
			if err == nil && v.Number != benchVersions-10 {
				err = fmt.Errorf("resolved to version %d", v.Number)
			}
			return err
		})
	}
	b.Run("serial", func(b *testing.B) {
		cpu := cpuTime()
		i := 0
		for b.Loop() {
			if err := resolve(i); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
		report(b, cpu, "lookups/s")
	})
	b.Run("parallel", func(b *testing.B) {
		var next atomic.Int64
		cpu := cpuTime()
		b.SetParallelism(4) // more callers than read connections, like a busy server
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := resolve(int(next.Add(7))); err != nil {
					b.Error(err)
					return
				}
			}
		})
		report(b, cpu, "lookups/s")
	})
}

// BenchmarkInsertVersion creates versions durably as the registry does: one
// Update that reads the model, inserts the version, bumps the model's
// counters and appends the event, then commits with fsync.
func BenchmarkInsertVersion(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	cpu := cpuTime()
	i := 0
	for b.Loop() {
		if err := insertNextVersion(ctx, s, benchModel(i%benchModels)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	report(b, cpu, "creates/s")
}

// BenchmarkInsertVersionConcurrent is BenchmarkInsertVersion from c
// goroutines at once, each on its own models, as concurrent pushes are:
// Updates that wait while another commits share the next commit.
func BenchmarkInsertVersionConcurrent(b *testing.B) {
	for _, c := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			s := benchStore(b)
			ctx := b.Context()
			cpu := cpuTime()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := range c {
				wg.Go(func() {
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						if err := insertNextVersion(ctx, s, benchModel(w+c*int(i%int64(benchModels/c)))); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			report(b, cpu, "creates/s")
		})
	}
}

// insertNextVersion is what a version create writes, in one Update.
func insertNextVersion(ctx context.Context, s *Store, name string) error {
	return s.Update(ctx, func(tx registry.WriteTx) error {
		m, err := tx.GetModel(ctx, name)
		if err != nil {
			return err
		}
		m.LastNumber++
		m.VersionCount++
		m.UpdatedAt = time.Now()
		if err := tx.InsertVersion(ctx, benchVersion(name, m.LastNumber)); err != nil {
			return err
		}
		if err := tx.UpdateModel(ctx, m); err != nil {
			return err
		}
		_, err = tx.AppendEvent(ctx, registry.Event{Type: registry.EventVersionCreated, Actor: "ci",
			Model: name, Version: m.LastNumber, At: m.UpdatedAt})
		return err
	})
}
