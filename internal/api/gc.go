package api

import (
	"net/http"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

type gcRequest struct {
	DryRun bool   `json:"dry_run"`
	Grace  string `json:"grace"` // a Go duration such as "1h" or "0"; empty means the default
}

// gcReport is the REST shape of registry.GCReport.
type gcReport struct {
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
	BlobsDeleted   int64     `json:"blobs_deleted"`
	BytesDeleted   int64     `json:"bytes_deleted"`
	RecipesDeleted int64     `json:"recipes_deleted"`
	ErrorCount     int64     `json:"error_count"`
	Errors         []string  `json:"errors"`
}

// collectGarbage runs one garbage collection and answers with its report.
func (h *Handler) collectGarbage(w http.ResponseWriter, r *http.Request) error {
	var req gcRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	opt := registry.GCOptions{DryRun: req.DryRun, Grace: registry.DefaultGCGrace}
	if req.Grace != "" {
		d, err := time.ParseDuration(req.Grace)
		if err != nil {
			return registry.E(registry.KindInvalid, "grace %q is not a duration; give a number with a unit, such as 1h, 30m or 0", req.Grace)
		}
		opt.Grace = d
	}
	rep, err := h.svc.CollectGarbage(r.Context(), opt)
	if err != nil {
		return err
	}
	errs := rep.Errors
	if errs == nil {
		errs = []string{}
	}
	return writeJSON(w, http.StatusOK, gcReport{
		DryRun: rep.DryRun, Grace: rep.Grace.String(), StartedAt: rep.StartedAt, FinishedAt: rep.FinishedAt,
		BlobsScanned: rep.Scanned, BytesScanned: rep.ScannedBytes, BlobsLive: rep.Live, BytesLive: rep.LiveBytes,
		BlobsYoung: rep.Young, BytesYoung: rep.YoungBytes, BlobsDeleted: rep.Deleted, BytesDeleted: rep.DeletedBytes,
		RecipesDeleted: rep.RecipesDeleted, ErrorCount: rep.ErrorCount, Errors: errs,
	})
}
