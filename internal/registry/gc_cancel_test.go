package registry_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/blob/fs"
	"github.com/modelry/modelry/internal/storage/storetest"
)

// cancellingStore ends the collection's context at its first Delete.
type cancellingStore struct {
	*fs.Store
	cancel context.CancelFunc
}

func (c cancellingStore) Delete(ctx context.Context, digest string) error {
	c.cancel()
	return c.Store.Delete(ctx, digest)
}

// TestGCStoppedMidwayCountsWhatItDeleted: a collection whose context ends
// after its first batch still counts that batch in the process totals
// (the metrics) and in its report.
func TestGCStoppedMidwayCountsWhatItDeleted(t *testing.T) {
	st := storetest.Open(t)
	ctx, cancel := context.WithCancel(registry.WithPrincipal(context.Background(), registry.Principal{Name: "root", Role: registry.RoleAdmin}))
	defer cancel()
	svc := registry.New(st.Meta, cancellingStore{Store: st.Blobs, cancel: cancel})
	const n = 300 // more than one batch
	for i := range n {
		c := fmt.Sprintf("garbage %d", i)
		if err := svc.PutBlob(ctx, sha(c), int64(len(c)), strings.NewReader(c)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(10 * time.Millisecond)
	rep, err := svc.CollectGarbage(ctx, registry.GCOptions{Grace: 0})
	if err == nil {
		t.Fatal("a collection whose context ended reported no error")
	}
	count, _ := st.Blobs.Usage()
	if gone := n - count; rep.Deleted != gone {
		t.Errorf("report says %d deleted; %d are gone", rep.Deleted, gone)
	}
	if blobs, _ := svc.GCTotals(); blobs != rep.Deleted || blobs == 0 {
		t.Errorf("process totals count %d deleted blobs; the collection deleted %d", blobs, rep.Deleted)
	}
}
