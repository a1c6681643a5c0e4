package mlflow

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/modelry/modelry/internal/registry"
)

var (
	aliasPattern    = regexp.MustCompile(`^[\w\-]*$`)
	versionLikeName = regexp.MustCompile(`^[vV]\d+$`)
)

// checkAlias applies MLflow's alias rules before Modelry's own.
func checkAlias(alias string) error {
	switch {
	case alias == "":
		return missing("alias")
	case !aliasPattern.MatchString(alias) || len(alias) > 255:
		return invalid("Invalid alias name: '%s'. Names may only contain alphanumerics, underscores (_), and dashes (-).", alias)
	case strings.EqualFold(alias, "latest"):
		return invalid("'latest' alias name (case insensitive) is reserved.")
	case versionLikeName.MatchString(alias):
		return invalid("Version alias name '%s' is reserved.", alias)
	}
	return nil
}

// decodeAlias reads an alias request and checks that it names a model and
// an alias.
func decodeAlias(w http.ResponseWriter, r *http.Request) (modelRequest, error) {
	var req modelRequest
	if err := decode(w, r, &req); err != nil {
		return req, err
	}
	if req.Name == "" {
		return req, missing("name")
	}
	if req.Alias == "" {
		return req, missing("alias")
	}
	return req, nil
}

func (h *Handler) setAlias(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeAlias(w, r)
	if err != nil {
		return err
	}
	if err := checkAlias(req.Alias); err != nil {
		return err
	}
	n, err := parseVersion(req.Version)
	if err != nil {
		return err
	}
	if _, err := h.version(r, req.Name, n); err != nil {
		return err
	}
	if _, err := h.reg.SetAlias(r.Context(), req.Name, req.Alias, n, registry.AliasOptions{Reason: "mlflow"}); err != nil {
		return modelErr(req.Name, err)
	}
	return ok(w)
}

func (h *Handler) deleteAlias(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeAlias(w, r)
	if err != nil {
		return err
	}
	m, err := h.reg.GetModel(r.Context(), req.Name)
	if err != nil {
		return modelErr(req.Name, err)
	}
	if _, set := m.Aliases[req.Alias]; !set {
		return ok(w) // MLflow: deleting an unset alias is a no-op
	}
	if _, err := h.reg.RemoveAlias(r.Context(), req.Name, req.Alias, registry.AliasOptions{Reason: "mlflow"}); err != nil {
		return modelErr(req.Name, err)
	}
	return ok(w)
}

func (h *Handler) getAlias(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeAlias(w, r)
	if err != nil {
		return err
	}
	ref := registry.Ref{Model: req.Name, Alias: req.Alias}
	latest := strings.EqualFold(req.Alias, "latest")
	if latest {
		ref.Alias = ""
	}
	v, err := h.reg.Resolve(r.Context(), ref)
	if err != nil {
		if _, merr := h.reg.GetModel(r.Context(), req.Name); merr != nil {
			return modelErr(req.Name, merr)
		}
		if registry.Is(err, registry.KindNotFound) {
			if latest {
				return notFound("Latest version not found for model %s.", req.Name)
			}
			return invalid("Registered model alias %s not found.", req.Alias)
		}
		return err
	}
	return reply(w, map[string]any{"model_version": toModelVersion(v)})
}
