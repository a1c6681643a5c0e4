package registry

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Garbage collection deletes the blobs nothing references any more, while
// uploads, downloads and pushes go on.
//
// # What is live
//
// A blob is live when it is a file of a live (not deleted) version of any
// model or dataset, or when another subsystem names it (a BlobReferrer,
// such as the MLflow artifact index), or when it is a part of a live or kept
// recipe (BlobInfo.Parts: a file stored as ranges of chunk blobs keeps its
// chunks). A deleted version's files are live only through another version.
// A blob written or touched less than the grace period before the
// collection started is kept whatever references it: it may belong to a
// push still in flight.
//
// # Why it is safe online
//
// The invariant: no committed reference (a version's file, an artifact
// index entry) ever names a deleted blob. Every writer that adds a
// reference to stored blobs follows one rule, and so does the collector:
//
//   - A writer, under the shared reference lock, checks each blob is
//     stored and touches it (renews its ModTime), then commits the
//     reference, then releases the lock (CreateVersion, ReferenceBlobs).
//   - The collector (1) takes the exclusive lock for a moment, notes the
//     start time and starts a set of touched digests, which every touch
//     through the registry adds to from then on; (2) reads every reference
//     (one snapshot of the metadata, then each referrer) and walks the
//     blobs, picking as candidates those neither referenced nor younger
//     than start minus grace; (3) deletes them in batches, each under the
//     exclusive lock, skipping any candidate in the touched set.
//
// Take a reference R to blob b, and the instant the writer touches b. If
// the touch comes before (1), the writer held the shared lock from the
// touch to the commit, so R committed before (1), and the reads of (2),
// which start after (1), see R: b is not a candidate. If the touch comes
// after (1), it is in the touched set, and it happens under the shared
// lock: either before the batch that checks b (b is kept) or after b was
// deleted (the touch finds b gone and the writer refuses to commit R,
// KindMissingBlobs). In no order does R commit naming a deleted blob, and
// no clock is involved. Parts follow their recipe: a recipe kept at its
// check keeps its parts, and batches check recipes before other blobs. A
// writer that stores a recipe follows the same rule for its parts.
//
// (3) also keeps a candidate whose ModTime changed since the walk: touches
// that did not go through this process (a re-upload of the same bytes,
// another server replica) are seen that way.
//
// The grace period is for the clients, not for the invariant: a client
// told by MissingBlobs that a blob is present (which touches it) does not
// upload it, and its version commits only if the blob is still there; the
// grace period makes sure it is when the client comes back within it.
//
// The lock is the process's own: with several server replicas on one
// store, only the touches and the grace period protect pushes served by
// the other replicas, so keep the grace period longer than any push.

// DefaultGCGrace is the grace period transports use when the caller gives none.
const DefaultGCGrace = time.Hour

// EventGCCompleted is logged after every collection that may delete.
const EventGCCompleted = "gc.completed"

// gcBatch is how many candidates one hold of the exclusive lock checks and
// deletes; pushes wait at most that long.
const gcBatch = 256

// maxGCErrors caps the error messages a report carries.
const maxGCErrors = 20

// GCOptions tune CollectGarbage.
type GCOptions struct {
	DryRun bool          // report what would be deleted, delete nothing
	Grace  time.Duration // spare blobs written or touched this recently; 0 spares none
}

// GCReport is what a collection found and did. Counts are of blobs; a
// recipe (a file stored as parts) counts once, and its parts as blobs.
// Bytes are bytes stored: a recipe adds none of its own, since its bytes
// are its parts' (and counting both would count them twice).
type GCReport struct {
	DryRun     bool
	Grace      time.Duration
	StartedAt  time.Time
	FinishedAt time.Time

	Scanned, ScannedBytes int64 // every stored blob
	Live, LiveBytes       int64 // referenced, or a part of a kept recipe
	Young, YoungBytes     int64 // unreferenced but within the grace period or touched since the scan
	Deleted, DeletedBytes int64 // deleted (in a dry run: would be)
	RecipesDeleted        int64 // of Deleted, files stored as recipes
	Errors                []string
	ErrorCount            int64
}

// gcState is the collector's share of the Service.
type gcState struct {
	// refs orders references against deletions: writers hold it shared
	// from checking blobs to committing; the collector exclusively.
	refs      sync.RWMutex
	running   sync.Mutex // one collection at a time
	referrers []BlobReferrer

	touchMu sync.Mutex
	touched map[string]struct{} // digests touched since (1); nil when no collection runs

	deletedBlobs atomic.Int64 // since the process started, for metrics
	deletedBytes atomic.Int64
}

// WithBlobReferrers adds subsystems whose blob references garbage
// collection must keep, such as the MLflow artifact index.
func WithBlobReferrers(rs ...BlobReferrer) Option {
	return func(s *Service) { s.gc.referrers = append(s.gc.referrers, rs...) }
}

// holdReferences takes the shared reference lock and returns its release.
func (s *Service) holdReferences() func() {
	s.gc.refs.RLock()
	return s.gc.refs.RUnlock
}

// noteTouch records, while a collection runs, that a blob was touched.
func (g *gcState) noteTouch(digest string) {
	g.touchMu.Lock()
	if g.touched != nil {
		g.touched[digest] = struct{}{}
	}
	g.touchMu.Unlock()
}

func (g *gcState) wasTouched(digest string) bool {
	g.touchMu.Lock()
	defer g.touchMu.Unlock()
	_, ok := g.touched[digest]
	return ok
}

// track starts (a fresh set) or stops (nil) recording touches.
func (g *gcState) track(on bool) {
	g.touchMu.Lock()
	g.touched = nil
	if on {
		g.touched = map[string]struct{}{}
	}
	g.touchMu.Unlock()
}

// GCTotals returns the blobs and bytes collections deleted since the
// process started.
func (s *Service) GCTotals() (blobs, bytes int64) {
	return s.gc.deletedBlobs.Load(), s.gc.deletedBytes.Load()
}

// CollectGarbage deletes the blobs no live version or referrer needs and
// that are older than the grace period, while the registry keeps serving
// (the argument is at the top of this file). Admins only. One collection
// runs at a time; a second is refused with KindPrecondition. Errors deleting
// single blobs are counted in the report, not returned.
func (s *Service) CollectGarbage(ctx context.Context, opt GCOptions) (GCReport, error) {
	p, err := require(ctx, RoleAdmin)
	if err != nil {
		return GCReport{}, err
	}
	if opt.Grace < 0 {
		return GCReport{}, E(KindInvalid, "grace period %s is negative; give 0 or more, such as 1h", opt.Grace)
	}
	walker, canWalk := s.blobs.(BlobWalker)
	toucher, canTouch := s.blobs.(BlobToucher)
	if !canWalk || !canTouch {
		return GCReport{}, E(KindPrecondition, "this blob store cannot list or touch its blobs, so garbage collection cannot run on it")
	}
	if !s.gc.running.TryLock() {
		return GCReport{}, E(KindPrecondition, "a garbage collection is already running; wait for it to finish")
	}
	defer s.gc.running.Unlock()

	s.gc.refs.Lock() // (1): no reference is between its check and its commit
	start := s.clock()
	s.gc.track(true)
	s.gc.refs.Unlock()
	defer s.gc.track(false)
	c := &collection{s: s, toucher: toucher, cutoff: start.Add(-opt.Grace),
		rep: GCReport{DryRun: opt.DryRun, Grace: opt.Grace, StartedAt: start}}
	if err := c.mark(ctx); err != nil {
		return GCReport{}, err
	}
	if err := c.scan(ctx, walker); err != nil {
		return GCReport{}, err
	}
	if opt.DryRun {
		c.countCandidates()
		c.rep.FinishedAt = s.clock()
		return c.rep, nil
	}
	err = c.sweep(ctx)
	// Counted even when stopped midway: those blobs are gone all the same.
	s.gc.deletedBlobs.Add(c.rep.Deleted)
	s.gc.deletedBytes.Add(c.rep.DeletedBytes)
	if err != nil {
		return c.rep, err
	}
	c.rep.FinishedAt = s.clock()
	err = s.store.Update(ctx, func(tx WriteTx) error {
		return s.appendEvent(ctx, tx, p, EventGCCompleted, "", 0, c.rep.eventData())
	})
	return c.rep, err
}

func (r GCReport) eventData() map[string]any {
	return map[string]any{
		"grace": r.Grace.String(), "scanned": r.Scanned, "live": r.Live, "young": r.Young,
		"deleted": r.Deleted, "bytes_deleted": r.DeletedBytes, "recipes_deleted": r.RecipesDeleted,
		"errors": r.ErrorCount,
	}
}

// collection is one run of CollectGarbage.
type collection struct {
	s       *Service
	toucher BlobToucher
	cutoff  time.Time // blobs with a ModTime before it may go

	live    map[string]struct{}  // referenced digests
	cands   map[string]candidate // unreferenced blobs older than cutoff
	protect []string             // parts of kept blobs, still to take out of cands
	rep     GCReport
}

type candidate struct {
	size  int64
	mod   time.Time
	parts []string
}

// mark reads every reference: the live versions' files in one snapshot,
// then each referrer's.
func (c *collection) mark(ctx context.Context) error {
	c.live = map[string]struct{}{}
	add := func(d string) error {
		c.live[d] = struct{}{}
		return nil
	}
	if err := c.s.store.View(ctx, func(tx ReadTx) error { return tx.ReferencedDigests(ctx, add) }); err != nil {
		return err
	}
	for _, r := range c.s.gc.referrers {
		if err := r.ReferencedDigests(ctx, add); err != nil {
			return err
		}
	}
	return nil
}

// scan walks the blobs, counting the live and the young and keeping the
// rest as candidates; then it takes the parts of kept recipes out.
func (c *collection) scan(ctx context.Context, walker BlobWalker) error {
	c.cands = map[string]candidate{}
	err := walker.Walk(ctx, func(b BlobInfo) error {
		if b.Parts != nil {
			b.Size = 0 // a recipe's bytes are its parts'; count them once
		}
		c.rep.Scanned++
		c.rep.ScannedBytes += b.Size
		_, live := c.live[b.Digest]
		switch {
		case live:
			c.rep.Live++
			c.rep.LiveBytes += b.Size
		case !b.ModTime.Before(c.cutoff):
			c.rep.Young++
			c.rep.YoungBytes += b.Size
		default:
			c.cands[b.Digest] = candidate{size: b.Size, mod: b.ModTime, parts: b.Parts}
			return nil
		}
		c.protect = append(c.protect, b.Parts...)
		return nil
	})
	if err != nil {
		return err
	}
	c.protectParts()
	return nil
}

// protectParts takes the pending parts out of the candidates, and their
// own parts in turn: they are live through a kept recipe.
func (c *collection) protectParts() {
	for len(c.protect) > 0 {
		d := c.protect[len(c.protect)-1]
		c.protect = c.protect[:len(c.protect)-1]
		cand, ok := c.cands[d]
		if !ok {
			continue
		}
		delete(c.cands, d)
		c.rep.Live++
		c.rep.LiveBytes += cand.size
		c.protect = append(c.protect, cand.parts...)
	}
}

// order lists the candidates recipes first, each group in digest order, so
// a recipe kept at its check protects its parts before they are checked.
func (c *collection) order() []string {
	ds := make([]string, 0, len(c.cands))
	for d := range c.cands {
		ds = append(ds, d)
	}
	slices.SortFunc(ds, func(a, b string) int {
		ra, rb := len(c.cands[a].parts) > 0, len(c.cands[b].parts) > 0
		if ra != rb {
			if ra {
				return -1
			}
			return 1
		}
		return cmpString(a, b)
	})
	return ds
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// countCandidates reports every candidate as deleted, for a dry run.
func (c *collection) countCandidates() {
	for _, cand := range c.cands {
		c.counted(cand)
	}
}

func (c *collection) counted(cand candidate) {
	c.rep.Deleted++
	c.rep.DeletedBytes += cand.size
	if len(cand.parts) > 0 {
		c.rep.RecipesDeleted++
	}
}

// sweep deletes the candidates in batches, each under the exclusive lock.
func (c *collection) sweep(ctx context.Context) error {
	ds := c.order()
	for i := 0; i < len(ds); i += gcBatch {
		if err := ctx.Err(); err != nil {
			return Wrap(KindUnavailable, err, "garbage collection stopped after deleting %d blobs", c.rep.Deleted)
		}
		c.sweepBatch(ctx, ds[i:min(i+gcBatch, len(ds))])
	}
	return nil
}

// sweepBatch deletes each candidate not touched since (1) and whose ModTime
// has not changed since the walk; one touched is about to be referenced, and
// is kept with its parts.
func (c *collection) sweepBatch(ctx context.Context, batch []string) {
	c.s.gc.refs.Lock()
	defer c.s.gc.refs.Unlock()
	for _, d := range batch {
		cand, ok := c.cands[d]
		if !ok {
			continue // a part of a recipe kept earlier in the sweep
		}
		delete(c.cands, d)
		mod, err := c.toucher.ModTime(ctx, d)
		switch {
		case Is(err, KindNotFound):
			continue // deleted by someone else meanwhile
		case err != nil:
			c.fail(d, err)
			continue
		case c.s.gc.wasTouched(d) || !mod.Equal(cand.mod) || !mod.Before(c.cutoff):
			c.rep.Young++
			c.rep.YoungBytes += cand.size
			c.protect = append(c.protect, cand.parts...)
			c.protectParts()
			continue
		}
		if err := c.s.blobs.Delete(ctx, d); err != nil {
			c.fail(d, err)
			continue
		}
		c.counted(cand)
	}
}

func (c *collection) fail(digest string, err error) {
	c.rep.ErrorCount++
	if len(c.rep.Errors) < maxGCErrors {
		c.rep.Errors = append(c.rep.Errors, fmt.Sprintf("blob %s: %v", digest, err))
	}
}
