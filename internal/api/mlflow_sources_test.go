package api_test

import (
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

// TestMLflowExternalSourcesSharePlaceholder: versions whose source has no
// artifacts in Modelry (s3://...) all list the same MLFLOW_SOURCE file, so
// registering one stores no new blob, and each still downloads from its
// own source. A version made before the placeholder was shared (its file
// held the source URI) keeps downloading from its source too.
func TestMLflowExternalSourcesSharePlaceholder(t *testing.T) {
	a := startAPI(t, false)
	const p = "/api/2.0/mlflow"
	a.do("POST", p+"/registered-models/create", a.writer, map[string]string{"name": "iris"}, jsonCT...).ok(200)
	sources := []string{"s3://bucket/iris/1", "s3://bucket/iris/2"}
	for _, src := range sources {
		a.do("POST", p+"/model-versions/create", a.writer, map[string]string{"name": "iris", "source": src}, jsonCT...).ok(200)
	}
	var v1, v2 registry.Version
	a.do("GET", "/api/v1/models/iris/versions/1", a.reader, nil).ok(200).decode(&v1)
	a.do("GET", "/api/v1/models/iris/versions/2", a.reader, nil).ok(200).decode(&v2)
	if len(v1.Files) != 1 || v1.Files[0].Path != "MLFLOW_SOURCE" || v1.Digest != v2.Digest {
		t.Errorf("external-source versions: files %+v, digests %s and %s; want one shared MLFLOW_SOURCE file", v1.Files, v1.Digest, v2.Digest)
	}
	legacy := "s3://bucket/iris/old"
	a.push("iris", map[string]string{"MLFLOW_SOURCE": legacy + "\n"},
		map[string]any{"source": map[string]any{"run": map[string]any{"system": "mlflow", "uri": legacy}}})
	for n, want := range map[string]string{"1": sources[0], "2": sources[1], "3": legacy} {
		var got struct {
			ArtifactURI string `json:"artifact_uri"`
		}
		a.do("GET", p+"/model-versions/get-download-uri?name=iris&version="+n, a.reader, nil).ok(200).decode(&got)
		if got.ArtifactURI != want {
			t.Errorf("version %s downloads from %q; want its source %q", n, got.ArtifactURI, want)
		}
	}
}
