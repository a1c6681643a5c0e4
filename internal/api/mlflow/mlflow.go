// Package mlflow serves MLflow's REST API (/api/2.0/mlflow, /ajax-api/2.0/mlflow,
// /api/2.0/mlflow-artifacts) on top of Modelry's registry, so that existing
// mlflow client code works against a Modelry server unchanged.
//
// One truth: an MLflow registered model is a Modelry model, and an MLflow
// model version is a Modelry version with the same number, aliases and tags.
// MLflow-only version fields live in reserved version tags (stage, run
// link); the run and source URI live in the version's Source.Run.
//
// This package translates the wire format only: domain rules stay in
// internal/registry and internal/tracking. Errors become MLflow's
// {"error_code", "message"} bodies through the one table in errors.go.
package mlflow

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/tracking"
)

// Authenticator puts the caller's principal into the request context, or
// refuses wrong credentials. A request without credentials passes through.
type Authenticator func(r *http.Request) (context.Context, error)

// Handler serves the MLflow-compatible routes.
type Handler struct {
	reg  *registry.Service
	trk  *tracking.Service
	auth Authenticator
	log  *slog.Logger
	mux  *http.ServeMux
}

// Prefixes are the path prefixes this handler owns.
var Prefixes = []string{"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/", "/api/2.0/mlflow-artifacts/"}

// New returns the handler. trk may be nil, which disables tracking and
// artifacts (they answer ENDPOINT_NOT_FOUND).
func New(reg *registry.Service, trk *tracking.Service, auth Authenticator, log *slog.Logger) *Handler {
	h := &Handler{reg: reg, trk: trk, auth: auth, log: log, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.registryRoutes()
	if trk != nil {
		h.trackingRoutes()
		h.artifactRoutes()
		h.webhookRoutes()
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, mlErr(codeEndpointNotFound, "No API endpoint "+r.Method+" "+r.URL.Path))
	})
	return h
}

// rpc is a handler that returns its error instead of writing it.
type rpc func(w http.ResponseWriter, r *http.Request) error

// handle registers an RPC under /api/2.0/mlflow and /ajax-api/2.0/mlflow.
func (h *Handler) handle(method, path string, fn rpc) {
	for _, prefix := range []string{"/api/2.0/mlflow", "/ajax-api/2.0/mlflow"} {
		h.mux.Handle(method+" "+prefix+path, h.wrap(fn))
	}
}

// wrap authenticates the request and writes fn's error in MLflow's format.
func (h *Handler) wrap(fn rpc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.auth != nil {
			ctx, err := h.auth(r)
			if err != nil {
				writeError(w, err)
				return
			}
			r = r.WithContext(ctx)
		}
		rw := &trackedWriter{ResponseWriter: w}
		if err := fn(rw, r); err != nil {
			if !rw.wrote {
				writeError(rw, err)
			}
			if _, status, _ := codeOf(err); status >= 500 {
				h.log.Error("mlflow request failed", "path", r.URL.Path, "error", err)
			}
		}
	})
}

// ServeHTTP routes a request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// trackedWriter remembers whether a response was started.
type trackedWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *trackedWriter) WriteHeader(status int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *trackedWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the inner writer.
func (w *trackedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
