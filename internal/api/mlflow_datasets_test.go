package api_test

import (
	"encoding/json"
	"testing"
)

// TestMLflowDoesNotSeeDatasets checks that MLflow's registered-model
// listings leave datasets out, that getting one by name answers MLflow's
// not-found, and that registering an MLflow model version
// under a dataset's name is refused with an MLflow error code.
func TestMLflowDoesNotSeeDatasets(t *testing.T) {
	a := startAPI(t, false)
	const p = "/api/2.0/mlflow"
	a.push("sales", map[string]string{"sales.csv": "1\n"}, map[string]any{"kind": "dataset"})
	a.push("iris", map[string]string{"model.bin": "w"}, nil)

	var search struct {
		Models []struct{ Name string } `json:"registered_models"`
	}
	a.do("GET", p+"/registered-models/search", a.reader, nil).ok(200).decode(&search)
	if len(search.Models) != 1 || search.Models[0].Name != "iris" {
		t.Fatalf("registered-models/search = %+v, want only iris", search.Models)
	}
	var versions struct {
		Versions []struct{ Name string } `json:"model_versions"`
	}
	a.do("GET", p+"/model-versions/search", a.reader, nil).ok(200).decode(&versions)
	if len(versions.Versions) != 1 || versions.Versions[0].Name != "iris" {
		t.Fatalf("model-versions/search = %+v, want only iris's version", versions.Versions)
	}
	r := a.do("GET", p+"/registered-models/get?name=sales", a.reader, nil)
	mlflowFails(t, r, 404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=sales not found")
	r = a.do("POST", p+"/registered-models/get-latest-versions", a.reader, map[string]string{"name": "sales"}, jsonCT...)
	mlflowFails(t, r, 404, "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=sales not found")
	r = a.do("POST", p+"/model-versions/create", a.writer, map[string]string{"name": "sales", "source": "s3://b/k"}, jsonCT...)
	mlflowFails(t, r, 400, "INVALID_PARAMETER_VALUE", `"sales" is a dataset, not a model`)

	var list struct{ Versions []json.RawMessage }
	a.do("GET", "/api/v1/models/sales/versions", a.reader, nil).ok(200).decode(&list)
	if len(list.Versions) != 1 {
		t.Fatalf("the refused MLflow version was stored: %d versions", len(list.Versions))
	}
}
