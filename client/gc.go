package client

import (
	"context"
	"net/http"
	"time"
)

// GCOptions tune a garbage collection.
type GCOptions struct {
	// DryRun reports what would be deleted and deletes nothing.
	DryRun bool `json:"dry_run"`
	// Grace is a duration such as "1h", "30m" or "0": blobs written or
	// touched this recently are kept, since they may belong to a push in
	// flight. Empty means the server's default, one hour.
	Grace string `json:"grace,omitempty"`
}

// GCReport is what a garbage collection found and did. Counts are of blobs;
// a chunked file's recipe counts once, and its chunks as blobs.
type GCReport struct {
	DryRun         bool      `json:"dry_run"`
	Grace          string    `json:"grace"`
	StartedAt      time.Time `json:"started_at"`
	FinishedAt     time.Time `json:"finished_at"`
	BlobsScanned   int64     `json:"blobs_scanned"`
	BytesScanned   int64     `json:"bytes_scanned"`
	BlobsLive      int64     `json:"blobs_live"`
	BytesLive      int64     `json:"bytes_live"`
	BlobsYoung     int64     `json:"blobs_young"`
	BytesYoung     int64     `json:"bytes_young"`
	BlobsDeleted   int64     `json:"blobs_deleted"` // in a dry run: would be
	BytesDeleted   int64     `json:"bytes_deleted"`
	RecipesDeleted int64     `json:"recipes_deleted"`
	ErrorCount     int64     `json:"error_count"`
	Errors         []string  `json:"errors"`
}

// CollectGarbage deletes the blobs that no live version, dataset or MLflow
// artifact references and that are older than the grace period (admin).
// The server keeps serving meanwhile.
func (c *Client) CollectGarbage(ctx context.Context, opt GCOptions) (GCReport, error) {
	var rep GCReport
	err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/gc", json: opt, want: []int{http.StatusOK}}, &rep)
	return rep, err
}
