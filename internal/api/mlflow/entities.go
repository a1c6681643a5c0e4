package mlflow

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// Reserved version tags holding MLflow-only fields. They are ordinary
// Modelry tags (the CLI shows them) but MLflow sees them as fields.
const (
	stageTag   = "mlflow.current_stage"
	runLinkTag = "mlflow.run_link"
	promptTag  = "mlflow.prompt.is_prompt"
)

// Stages, in MLflow's canonical spelling.
var stages = []string{"None", "Staging", "Production", "Archived"}

type aliasJSON struct {
	Alias   string `json:"alias"`
	Version string `json:"version"`
}

type registeredModelJSON struct {
	Name                 string             `json:"name"`
	CreationTimestamp    int64              `json:"creation_timestamp"`
	LastUpdatedTimestamp int64              `json:"last_updated_timestamp"`
	UserID               string             `json:"user_id,omitempty"`
	Description          string             `json:"description,omitempty"`
	LatestVersions       []modelVersionJSON `json:"latest_versions,omitempty"`
	Tags                 []keyValue         `json:"tags,omitempty"`
	Aliases              []aliasJSON        `json:"aliases,omitempty"`
}

type modelVersionJSON struct {
	Name                 string     `json:"name"`
	Version              string     `json:"version"`
	CreationTimestamp    int64      `json:"creation_timestamp"`
	LastUpdatedTimestamp int64      `json:"last_updated_timestamp"`
	UserID               string     `json:"user_id,omitempty"`
	CurrentStage         string     `json:"current_stage"`
	Description          string     `json:"description"`
	Source               string     `json:"source"`
	RunID                string     `json:"run_id,omitempty"`
	Status               string     `json:"status"`
	Tags                 []keyValue `json:"tags,omitempty"`
	RunLink              string     `json:"run_link,omitempty"`
	Aliases              []string   `json:"aliases,omitempty"`
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// wireTags lists tags sorted by key, leaving out the reserved ones.
func wireTags(m map[string]string) []keyValue {
	var kvs []keyValue
	for k, v := range m {
		if k == stageTag || k == runLinkTag {
			continue
		}
		kvs = append(kvs, keyValue{Key: k, Value: v})
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].Key < kvs[j].Key })
	return kvs
}

func toRegisteredModel(m registry.Model, latest []registry.Version) registeredModelJSON {
	out := registeredModelJSON{
		Name: m.Name, CreationTimestamp: ms(m.CreatedAt), LastUpdatedTimestamp: ms(m.UpdatedAt),
		UserID: m.CreatedBy, Description: m.Description, Tags: wireTags(m.Tags),
	}
	for _, v := range latest {
		out.LatestVersions = append(out.LatestVersions, toModelVersion(v))
	}
	for a, n := range m.Aliases {
		out.Aliases = append(out.Aliases, aliasJSON{Alias: a, Version: strconv.FormatInt(n, 10)})
	}
	sort.Slice(out.Aliases, func(i, j int) bool { return out.Aliases[i].Alias < out.Aliases[j].Alias })
	return out
}

func toModelVersion(v registry.Version) modelVersionJSON {
	out := modelVersionJSON{
		Name: v.Model, Version: strconv.FormatInt(v.Number, 10),
		CreationTimestamp: ms(v.CreatedAt), LastUpdatedTimestamp: ms(v.CreatedAt),
		UserID: v.CreatedBy, CurrentStage: stageOf(v), Description: v.Description,
		Status: "READY", Tags: wireTags(v.Tags), RunLink: v.Tags[runLinkTag],
	}
	if run := v.Source.Run; run != nil {
		out.Source, out.RunID = run.URI, run.ID
	}
	if len(v.Aliases) > 0 {
		out.Aliases = append([]string(nil), v.Aliases...)
		sort.Strings(out.Aliases)
	}
	return out
}

func stageOf(v registry.Version) string {
	if s := v.Tags[stageTag]; s != "" {
		return s
	}
	return "None"
}

// canonicalStage accepts a stage name in any case.
func canonicalStage(s string) (string, error) {
	for _, st := range stages {
		if strings.EqualFold(st, s) {
			return st, nil
		}
	}
	return "", invalid("Invalid Model Version stage: %s. Value must be one of None, Staging, Production, Archived.", s)
}

// latestPerStage returns the newest live version in each stage asked for
// (all stages when none is), ordered by stage.
func latestPerStage(vs []registry.Version, want []string) []registry.Version {
	best := map[string]registry.Version{}
	for _, v := range vs {
		st := stageOf(v)
		if cur, ok := best[st]; !ok || v.Number > cur.Number {
			best[st] = v
		}
	}
	if len(want) == 0 {
		want = stages
	}
	var out []registry.Version
	for _, st := range want {
		if v, ok := best[st]; ok {
			out = append(out, v)
		}
	}
	return out
}
