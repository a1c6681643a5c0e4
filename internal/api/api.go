// Package api is Modelry's REST adapter: it maps /api/v1 requests onto the
// registry service and its answers and errors back onto HTTP. Handlers are
// thin (decode, call the service, encode), one file per resource; the error
// to status table lives in errors.go; the contract is api/openapi.yaml.
//
// Nothing here holds domain rules: names, references, roles and manifests are
// checked by internal/registry.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	spec "github.com/modelry/modelry/api"
	"github.com/modelry/modelry/internal/api/mlflow"
	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/tracking"
)

// Options configure the handler.
type Options struct {
	Logger *slog.Logger
	// NoAuth makes every request act as an admin named "anonymous"; for
	// local development only.
	NoAuth  bool
	Metrics *Metrics
	// Tracking serves MLflow experiments, runs and proxied artifacts; nil
	// leaves only the MLflow model-registry calls.
	Tracking *tracking.Service
}

// Handler serves the REST API, health checks and metrics.
type Handler struct {
	svc      *registry.Service
	log      *slog.Logger
	noAuth   bool
	metrics  *Metrics
	mux      *http.ServeMux
	patterns []string
	tracking *tracking.Service
}

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// New returns the HTTP handler of the server.
func New(svc *registry.Service, opts Options) *Handler {
	h := &Handler{svc: svc, log: opts.Logger, noAuth: opts.NoAuth, metrics: opts.Metrics, mux: http.NewServeMux(), tracking: opts.Tracking}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.metrics == nil {
		h.metrics = NewMetrics(svc)
	}
	h.routes()
	return h
}

func (h *Handler) routes() {
	h.public("GET /healthz", h.healthz)
	h.public("GET /readyz", h.readyz)
	h.patterns = append(h.patterns, "GET /metrics")
	h.mux.Handle("GET /metrics", h.metrics.Handler())
	h.public("GET /api/v1/openapi.yaml", serveSpec)
	h.route("GET /api/v1/whoami", h.whoami)

	h.route("GET /api/v1/models", h.listModels)
	h.route("POST /api/v1/models", h.createModel)
	h.route("GET /api/v1/models/{model}", h.getModel)
	h.route("PATCH /api/v1/models/{model}", h.updateModel)
	h.route("DELETE /api/v1/models/{model}", h.deleteModel)

	h.route("GET /api/v1/models/{model}/versions", h.listVersions)
	h.route("POST /api/v1/models/{model}/versions", h.createVersion)
	h.route("GET /api/v1/models/{model}/versions/{version}", h.getVersion)
	h.route("PATCH /api/v1/models/{model}/versions/{version}", h.updateVersion)
	h.route("DELETE /api/v1/models/{model}/versions/{version}", h.deleteVersion)
	h.route("GET /api/v1/models/{model}/versions/{version}/files/{path...}", h.getFile)
	h.route("GET /api/v1/resolve", h.resolve)
	h.route("GET /api/v1/lineage", h.lineage)
	h.route("GET /api/v1/used-by", h.usedBy)

	h.route("GET /api/v1/models/{model}/aliases", h.listAliases)
	h.route("GET /api/v1/models/{model}/aliases/{alias}", h.getAlias)
	h.route("PUT /api/v1/models/{model}/aliases/{alias}", h.setAlias)
	h.route("DELETE /api/v1/models/{model}/aliases/{alias}", h.removeAlias)
	h.route("GET /api/v1/models/{model}/aliases/{alias}/history", h.aliasHistory)
	h.route("POST /api/v1/models/{model}/aliases/{alias}/rollback", h.rollback)

	h.route("POST /api/v1/blobs/missing", h.missingBlobs)
	h.route("POST /api/v1/blobs", h.ingestBlob)
	h.route("HEAD /api/v1/blobs/{digest}", h.headBlob)
	h.route("GET /api/v1/blobs/{digest}", h.getBlob)
	h.route("PUT /api/v1/blobs/{digest}", h.putBlob)
	h.route("PUT /api/v1/blobs/{digest}/recipe", h.putRecipe)
	h.route("POST /api/v1/chunks/locate", h.locateChunks)

	h.route("POST /api/v1/gc", h.collectGarbage)

	h.route("GET /api/v1/events", h.listEvents)
	h.route("GET /api/v1/tokens", h.listTokens)
	h.route("POST /api/v1/tokens", h.createToken)
	h.route("DELETE /api/v1/tokens/{id}", h.revokeToken)

	h.mlflowRoutes()
	h.public("/", h.notFound)
}

// mlflowRoutes mounts the MLflow-compatible API (internal/api/mlflow) and
// MLflow's /health. It writes its own MLflow-shaped errors.
func (h *Handler) mlflowRoutes() {
	ml := mlflow.New(h.svc, h.tracking, h.principalContext, h.log)
	serve := func(w http.ResponseWriter, r *http.Request) error {
		ml.ServeHTTP(w, r)
		return nil
	}
	// Not in h.patterns: MLflow's own documentation is the contract of
	// these paths, not openapi.yaml.
	for _, prefix := range mlflow.Prefixes {
		h.mux.Handle(prefix, h.instrument(prefix, serve))
	}
	h.public("GET /health", func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err := w.Write([]byte("OK"))
		return err
	})
}

// route registers an authenticated endpoint.
func (h *Handler) route(pattern string, fn handlerFunc) {
	h.patterns = append(h.patterns, pattern)
	h.mux.Handle(pattern, h.instrument(pattern, h.authenticate(fn)))
}

// public registers an endpoint that needs no token.
func (h *Handler) public(pattern string, fn handlerFunc) {
	h.patterns = append(h.patterns, pattern)
	h.mux.Handle(pattern, h.instrument(pattern, fn))
}

// Routes lists the registered patterns, such as "GET /api/v1/models".
func (h *Handler) Routes() []string { return append([]string(nil), h.patterns...) }

// ServeHTTP routes a request; each route carries its own instrumentation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// authenticate puts the caller's principal in the request context. A request
// without credentials goes on anonymous (the service refuses what needs a
// role); wrong credentials are refused here.
func (h *Handler) authenticate(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx, err := h.principalContext(r)
		if err != nil {
			return err
		}
		return next(w, r.WithContext(ctx))
	}
}

// principalContext returns the request's context carrying its caller.
func (h *Handler) principalContext(r *http.Request) (context.Context, error) {
	if h.noAuth {
		return registry.WithPrincipal(r.Context(), registry.Principal{Name: "anonymous", Role: registry.RoleAdmin}), nil
	}
	secret, ok := credentials(r)
	if !ok {
		return r.Context(), nil
	}
	p, err := h.svc.Authenticate(r.Context(), secret)
	if err != nil {
		return nil, err
	}
	setActor(r, p.Name)
	return registry.WithPrincipal(r.Context(), p), nil
}

// credentials reads "Authorization: Bearer <token>", or Basic auth whose
// password is the token (what MLflow clients and curl -u send).
func credentials(r *http.Request) (string, bool) {
	auth := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(auth, "Bearer "); ok && tok != "" {
		return strings.TrimSpace(tok), true
	}
	if _, pass, ok := r.BasicAuth(); ok && pass != "" {
		return pass, true
	}
	return "", false
}

func serveSpec(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	_, err := w.Write(spec.OpenAPI)
	return err
}

// notFound answers requests no route matched: 405 with an Allow header when
// the path exists under other methods, 404 otherwise.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := h.mux.Handler(probe); pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return registry.E(kindMethodNotAllowed, "%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))
	}
	return registry.E(kindEndpointNotFound, "no endpoint %s %s; see /api/v1/openapi.yaml", r.Method, r.URL.Path)
}
