package mlflow

import (
	"net/http"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/tracking"
)

func (h *Handler) lifecycleRoutes() {
	h.handle("POST", "/experiments/update", h.updateExperiment)
	h.handle("POST", "/experiments/delete", h.experimentLifecycle(tracking.LifecycleDeleted))
	h.handle("POST", "/experiments/restore", h.experimentLifecycle(tracking.LifecycleActive))
	h.handle("POST", "/experiments/set-experiment-tag", h.setExperimentTag)
	h.handle("POST", "/runs/delete", h.runLifecycle(tracking.LifecycleDeleted))
	h.handle("POST", "/runs/restore", h.runLifecycle(tracking.LifecycleActive))
	h.handle("GET", "/artifacts/list", h.listRunArtifacts)
}

type experimentChange struct {
	ExperimentID string `json:"experiment_id"`
	NewName      string `json:"new_name"`
	Key          string `json:"key"`
	Value        string `json:"value"`
}

func (h *Handler) changeExperiment(w http.ResponseWriter, r *http.Request, fn func(*tracking.Experiment, experimentChange) error) error {
	var req experimentChange
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.ExperimentID == "" {
		return missing("experiment_id")
	}
	if _, err := h.trk.ChangeExperiment(r.Context(), req.ExperimentID, func(e *tracking.Experiment) error { return fn(e, req) }); err != nil {
		return err
	}
	return ok(w)
}

func (h *Handler) updateExperiment(w http.ResponseWriter, r *http.Request) error {
	return h.changeExperiment(w, r, func(e *tracking.Experiment, req experimentChange) error {
		if req.NewName == "" {
			return missing("new_name")
		}
		e.Name = req.NewName
		return nil
	})
}

func (h *Handler) experimentLifecycle(stage string) rpc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return h.changeExperiment(w, r, func(e *tracking.Experiment, _ experimentChange) error {
			if e.ID == "0" && stage == tracking.LifecycleDeleted {
				return invalid("Cannot delete the default experiment '0'.")
			}
			e.Lifecycle = stage
			return nil
		})
	}
}

func (h *Handler) setExperimentTag(w http.ResponseWriter, r *http.Request) error {
	return h.changeExperiment(w, r, func(e *tracking.Experiment, req experimentChange) error {
		if req.Key == "" {
			return missing("key")
		}
		if e.Tags == nil {
			e.Tags = map[string]string{}
		}
		e.Tags[req.Key] = req.Value
		return nil
	})
}

func (h *Handler) runLifecycle(stage string) rpc {
	return func(w http.ResponseWriter, r *http.Request) error {
		_, id, err := decodeRun(w, r)
		if err != nil {
			return err
		}
		if err := h.trk.SetRunLifecycle(r.Context(), id, stage); err != nil {
			return err
		}
		return ok(w)
	}
}

// listRunArtifacts lists one folder of a run's artifacts, with paths
// relative to the run's artifact root.
func (h *Handler) listRunArtifacts(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		RunID   string `json:"run_id"`
		RunUUID string `json:"run_uuid"`
		Path    string `json:"path"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id, err := runRequest{RunID: req.RunID, RunUUID: req.RunUUID}.id()
	if err != nil {
		return err
	}
	run, err := h.trk.GetRun(r.Context(), id)
	if err != nil {
		return err
	}
	sub, err := tracking.CleanPath(req.Path)
	if err != nil {
		return err
	}
	dir := artifactDir(run.ArtifactURI)
	if sub != "" {
		dir += "/" + sub
	}
	entries, err := h.trk.ListArtifacts(r.Context(), dir)
	if err != nil && !registry.Is(err, registry.KindNotFound) {
		return err
	}
	files := []fileInfoJSON{}
	for _, e := range entries {
		fi := fileInfoJSON{Path: e.Name, IsDir: e.IsDir}
		if sub != "" {
			fi.Path = sub + "/" + e.Name
		}
		if !e.IsDir {
			size := e.Size
			fi.FileSize = &size
		}
		files = append(files, fi)
	}
	return reply(w, map[string]any{"root_uri": run.ArtifactURI, "files": files})
}
