package mlflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/modelry/modelry/internal/registry"
)

// versionPrefix is the artifact folder under which every registry version's
// files are served, straight from its manifest: get-download-uri answers
// mlflow-artifacts:/_modelry/models/<name>/versions/<n>, so what the MLflow
// client downloads is exactly what `modelry pull` gives.
const versionPrefix = "_modelry/models/"

// downloadURI is where the MLflow client downloads a version from: its own
// manifest, except for a version whose files live outside Modelry (an
// s3:// or other external source, kept as a placeholder manifest), which
// the client reads from the source itself, as with an MLflow server.
func downloadURI(v registry.Version) string {
	if run := v.Source.Run; run != nil && len(v.Files) == 1 && isPlaceholder(v.Files[0], run.URI) {
		return run.URI
	}
	return "mlflow-artifacts:/" + versionPrefix + v.Model + "/versions/" + strconv.FormatInt(v.Number, 10)
}

// placeholderName is the one file of a version whose MLflow source has no
// artifacts in Modelry (an s3:// URI, a run without files): a Modelry
// version needs at least one file. The source URI itself is in the
// version's metadata (Source.Run.URI).
const placeholderName = "MLFLOW_SOURCE"

// placeholderText is what the placeholder file holds. It is the same for
// every such version, so registering one stores no new blob (a new file and
// its fsyncs per version cost more than the version itself).
const placeholderText = "The files of this model version are not stored in Modelry.\n" +
	"Its MLflow source URI is in the version's metadata: modelry show <model>/<version>.\n"

// placeholder is the manifest entry of a source without artifacts.
var placeholder = fileOf(placeholderText)

func fileOf(content string) registry.File {
	sum := sha256.Sum256([]byte(content))
	return registry.File{Path: placeholderName, Size: int64(len(content)), Digest: "sha256:" + hex.EncodeToString(sum[:]), Mode: 0o644}
}

// isPlaceholder reports whether f is the placeholder file of a version
// with source src; versions created before the placeholder was shared
// held the URI itself ("<src>\n").
func isPlaceholder(f registry.File, src string) bool {
	return f == placeholder || f == fileOf(src+"\n")
}

// source is what a create-model-version source resolves to.
type source struct {
	files []registry.File
	runID string
}

// resolveSource finds the files of a version source: runs:/<run>/<path>,
// mlflow-artifacts:/<path>, models:/<logged model id>, or
// models:/<name>/<version> (a copy). Other sources get a placeholder.
func (h *Handler) resolveSource(ctx context.Context, src, runID, modelID string) (source, error) {
	if strings.Contains(src, "\x00") || strings.Contains("/"+src+"/", "/../") {
		return source{}, invalid("Invalid model version source: '%s'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present.", src)
	}
	out := source{runID: runID}
	dir, err := h.sourceDir(ctx, src, modelID, &out)
	if err != nil {
		return source{}, err
	}
	if dir != "" && h.trk != nil {
		files, err := h.trk.Files(ctx, dir)
		if err != nil {
			return source{}, err
		}
		out.files = files
	}
	if len(out.files) == 0 {
		if err := h.usePlaceholder(ctx, &out); err != nil {
			return source{}, err
		}
	}
	return out, nil
}

// sourceDir returns the artifact folder of src ("" when it has none); for a
// copy it fills the files directly.
func (h *Handler) sourceDir(ctx context.Context, src, modelID string, out *source) (string, error) {
	switch {
	case strings.HasPrefix(src, "mlflow-artifacts:"):
		return strings.Trim(strings.TrimPrefix(src, "mlflow-artifacts:"), "/"), nil
	case strings.HasPrefix(src, "runs:/") && h.trk != nil:
		rest := strings.TrimPrefix(src, "runs:/")
		id, sub, _ := strings.Cut(rest, "/")
		if out.runID == "" {
			out.runID = id
		}
		run, err := h.trk.GetRun(ctx, id)
		if registry.Is(err, registry.KindNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return artifactDir(run.ArtifactURI) + "/" + strings.Trim(sub, "/"), nil
	case strings.HasPrefix(src, "models:/m-") && h.trk != nil:
		if modelID == "" {
			modelID = strings.Trim(strings.TrimPrefix(src, "models:/"), "/")
		}
		lm, err := h.trk.GetLoggedModel(ctx, modelID)
		if err != nil {
			return "", err
		}
		if out.runID == "" {
			out.runID = lm.SourceRunID
		}
		return artifactDir(lm.ArtifactURI), nil
	case strings.HasPrefix(src, "models:/"):
		ref, err := registry.ParseRef(src)
		if err != nil {
			return "", invalid("Invalid model version source: '%s'", src)
		}
		v, err := h.reg.Resolve(ctx, ref)
		if err != nil {
			return "", err
		}
		out.files = v.Files
	}
	return "", nil
}

// artifactDir turns mlflow-artifacts:/<p> into the index path <p>.
func artifactDir(uri string) string {
	return strings.Trim(strings.TrimPrefix(uri, "mlflow-artifacts:"), "/")
}

// usePlaceholder stores the placeholder's blob (when it is already stored,
// this only touches it) and makes it the source's one file.
func (h *Handler) usePlaceholder(ctx context.Context, out *source) error {
	if err := h.reg.PutBlob(ctx, placeholder.Digest, placeholder.Size, strings.NewReader(placeholderText)); err != nil {
		return err
	}
	out.files = []registry.File{placeholder}
	return nil
}
