package mlflow

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/tracking"
)

const artifactsPrefix = "/api/2.0/mlflow-artifacts"

func (h *Handler) artifactRoutes() {
	a := func(method, p string, fn rpc) { h.mux.Handle(method+" "+artifactsPrefix+p, h.wrap(fn)) }
	a("PUT", "/artifacts/{path...}", h.putArtifact)
	a("GET", "/artifacts/{path...}", h.getArtifact)
	a("GET", "/artifacts", h.listArtifacts)
	a("DELETE", "/artifacts/{path...}", h.deleteArtifact)
	notSupported := func(w http.ResponseWriter, r *http.Request) error {
		return mlErr(codeNotImplemented, "Multipart upload is not supported for the current artifact repository")
	}
	a("POST", "/mpu/create/{path...}", notSupported)
	a("POST", "/mpu/complete/{path...}", notSupported)
	a("POST", "/mpu/abort/{path...}", notSupported)
}

func (h *Handler) putArtifact(w http.ResponseWriter, r *http.Request) error {
	p, err := tracking.CleanPath(r.PathValue("path"))
	if err != nil || p == "" {
		return invalid("Invalid path")
	}
	if strings.HasPrefix(p, versionPrefix) {
		return invalid("Artifacts under %s are registry versions and cannot be written", versionPrefix)
	}
	size := r.ContentLength
	if size < 0 { // chunked: the blob store needs the size up front
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return invalid("reading the upload failed: %v", err)
		}
		size, r.Body = int64(len(b)), io.NopCloser(bytes.NewReader(b))
	}
	if err := h.trk.PutArtifact(r.Context(), p, size, r.Body); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handler) getArtifact(w http.ResponseWriter, r *http.Request) error {
	p, err := tracking.CleanPath(r.PathValue("path"))
	if err != nil {
		return err
	}
	var rc io.ReadSeekCloser
	if strings.HasPrefix(p, versionPrefix) {
		rc, err = h.openVersionFile(r, p)
	} else {
		rc, _, err = h.trk.OpenArtifact(r.Context(), p)
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	ct := mime.TypeByExtension(path.Ext(p))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", "attachment; filename="+path.Base(p))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, rc)
	return nil
}

// versionPath splits _modelry/models/<name>/versions/<n>[/<file>].
func versionPath(p string) (registry.Ref, string, bool) {
	parts := strings.SplitN(strings.TrimPrefix(p, versionPrefix), "/", 4)
	if len(parts) < 3 || parts[1] != "versions" {
		return registry.Ref{}, "", false
	}
	n, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return registry.Ref{}, "", false
	}
	file := ""
	if len(parts) == 4 {
		file = parts[3]
	}
	return registry.Ref{Model: parts[0], Number: n}, file, true
}

func (h *Handler) openVersionFile(r *http.Request, p string) (io.ReadSeekCloser, error) {
	ref, file, ok := versionPath(p)
	if !ok {
		return nil, notFound("Artifact '%s' not found", p)
	}
	v, err := h.reg.Resolve(r.Context(), ref)
	if err != nil {
		return nil, err
	}
	for _, f := range v.Files {
		if f.Path == file && !f.IsLink() {
			rc, _, err := h.reg.OpenBlob(r.Context(), f.Digest)
			return rc, err
		}
	}
	return nil, notFound("Artifact '%s' not found", p)
}

type fileInfoJSON struct {
	Path     string `json:"path"`
	IsDir    bool   `json:"is_dir"`
	FileSize *int64 `json:"file_size,omitempty"`
}

func (h *Handler) listArtifacts(w http.ResponseWriter, r *http.Request) error {
	p, err := tracking.CleanPath(r.URL.Query().Get("path"))
	if err != nil {
		return err
	}
	var entries []tracking.Entry
	if strings.HasPrefix(p, versionPrefix) {
		entries, err = h.listVersionDir(r, p)
	} else {
		entries, err = h.trk.ListArtifacts(r.Context(), p)
	}
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return ok(w)
	}
	files := make([]fileInfoJSON, 0, len(entries))
	for _, e := range entries {
		fi := fileInfoJSON{Path: e.Name, IsDir: e.IsDir}
		if !e.IsDir {
			size := e.Size
			fi.FileSize = &size
		}
		files = append(files, fi)
	}
	return reply(w, map[string]any{"files": files})
}

// listVersionDir lists a folder of a registry version's manifest.
func (h *Handler) listVersionDir(r *http.Request, p string) ([]tracking.Entry, error) {
	ref, dir, ok := versionPath(p)
	if !ok {
		return nil, nil
	}
	v, err := h.reg.Resolve(r.Context(), ref)
	if registry.Is(err, registry.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []tracking.Entry
	for _, f := range v.Files {
		rel := f.Path
		if dir != "" {
			var ok bool
			if rel, ok = strings.CutPrefix(f.Path, dir+"/"); !ok {
				continue
			}
		}
		name, _, isDir := strings.Cut(rel, "/")
		if !seen[name] {
			seen[name] = true
			out = append(out, tracking.Entry{Name: name, IsDir: isDir, Size: f.Size})
		}
	}
	return out, nil
}

func (h *Handler) deleteArtifact(w http.ResponseWriter, r *http.Request) error {
	if err := h.trk.DeleteArtifacts(r.Context(), r.PathValue("path")); err != nil {
		return err
	}
	return ok(w)
}
