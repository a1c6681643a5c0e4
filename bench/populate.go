//go:build linux

package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/blob/fs"
	"github.com/modelry/modelry/internal/storage/meta/sqlite"
)

// The stored versions all name one small blob: the metadata benchmark is
// about metadata, and the registry stores a blob once however many versions
// name it.
const (
	blobSize  = 4096
	aliasName = "production"
)

func modelName(i int) string { return fmt.Sprintf("model-%d", i) }

// manifest is the one-file manifest every benchmark version carries.
func manifest(digest string) []registry.File {
	return []registry.File{{Path: "model.bin", Size: blobSize, Digest: digest, Mode: 0o644}}
}

// populate opens the data folder the way `modelry server --data` lays it
// out (modelry.db and blobs/), stores one blob and creates cfg.versions
// versions over cfg.models models through the registry service, with the
// alias "production" on a random version of each model. Every version is
// its own durable transaction, as over the API. It returns the blob's
// digest and how long the creates took.
func (e *env) populate(ctx context.Context, data string) (string, time.Duration, error) {
	if err := os.MkdirAll(data, 0o755); err != nil {
		return "", 0, err
	}
	store, err := sqlite.Open(ctx, filepath.Join(data, "modelry.db"))
	if err != nil {
		return "", 0, err
	}
	defer store.Close()
	blobs, err := fs.Open(filepath.Join(data, "blobs"))
	if err != nil {
		return "", 0, err
	}
	defer blobs.Close() // before the server opens the same folder
	svc := registry.New(store, blobs)
	ctx = registry.WithPrincipal(ctx, registry.Principal{Name: "bench", Role: registry.RoleAdmin})

	blob := make([]byte, blobSize)
	_, _ = rand.NewChaCha8([32]byte{3}).Read(blob)
	sum := sha256.Sum256(blob)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if err := svc.PutBlob(ctx, digest, blobSize, bytes.NewReader(blob)); err != nil {
		return "", 0, err
	}
	start := time.Now()
	err = e.createAll(ctx, svc, digest)
	return digest, time.Since(start), err
}

// createAll creates the versions from cfg.populators goroutines, each
// taking whole models, and logs progress every ten seconds.
func (e *env) createAll(ctx context.Context, svc *registry.Service, digest string) error {
	models := make(chan int)
	var (
		done     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range e.cfg.populators {
		wg.Go(func() {
			for m := range models {
				if err := e.createModel(ctx, svc, m, digest, &done); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
				}
			}
		})
	}
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
feed:
	for m := range e.cfg.models {
		for {
			select {
			case models <- m:
				continue feed
			case <-tick.C:
				e.logf("populate: %d of %d versions", done.Load(), e.cfg.versions)
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(models)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// createModel creates the versions of model m, spreading cfg.versions as
// evenly as possible over the models.
func (e *env) createModel(ctx context.Context, svc *registry.Service, m int, digest string, done *atomic.Int64) error {
	count := e.cfg.versions / e.cfg.models
	if m < e.cfg.versions%e.cfg.models {
		count++
	}
	aliasAt := 1 + rand.IntN(count)
	for n := 1; n <= count; n++ {
		in := registry.NewVersion{
			Files:   manifest(digest),
			Metrics: map[string]float64{"accuracy": rand.Float64()},
			Params:  map[string]string{"lr": "0.001"},
		}
		if n == aliasAt {
			in.Aliases = []string{aliasName}
		}
		if _, err := svc.CreateVersion(ctx, modelName(m), in); err != nil {
			return fmt.Errorf("creating version %d of %s: %w", n, modelName(m), err)
		}
		done.Add(1)
	}
	return nil
}
