package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

type mlflowVersion struct {
	Name         string `json:"name"`
	Version      string `json:"version"`
	Source       string `json:"source"`
	RunID        string `json:"run_id"`
	CurrentStage string `json:"current_stage"`
	RunLink      string `json:"run_link"`
	Description  string `json:"description"`
	Tags         []struct{ Key, Value string }
	Aliases      []string `json:"aliases"`
}

type mlflowVersionPage struct {
	Versions []mlflowVersion `json:"model_versions"`
	Next     string          `json:"next_page_token"`
}

// searchAll walks every page of a version search of size max.
func (a *testAPI) searchAll(filter, order string, max int) []mlflowVersion {
	a.t.Helper()
	var all []mlflowVersion
	token := ""
	for range 100 {
		q := url.Values{"filter": {filter}, "max_results": {fmt.Sprint(max)}, "page_token": {token}}
		if order != "" {
			q["order_by"] = []string{order}
		}
		var page mlflowVersionPage
		a.do("GET", "/api/2.0/mlflow/model-versions/search?"+q.Encode(), a.reader, nil).ok(200).decode(&page)
		all = append(all, page.Versions...)
		if token = page.Next; token == "" {
			return all
		}
	}
	a.t.Fatalf("search %q did not end after 100 pages", filter)
	return nil
}

func versionIDs(vs []mlflowVersion) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Name+"/"+v.Version)
	}
	return out
}

// TestMLflowSearchVersions drives search_model_versions through the real
// server and store: filters on every field, orders, every page size, and
// the fields of a found version.
func TestMLflowSearchVersions(t *testing.T) {
	a := startAPI(t, false)
	const p = "/api/2.0/mlflow"
	for _, name := range []string{"iris", "rose"} {
		a.do("POST", p+"/registered-models/create", a.writer, map[string]string{"name": name}, jsonCT...).ok(200)
		for i := range 4 {
			body := map[string]any{"name": name, "source": fmt.Sprintf("s3://b/%s/%d", name, i), "description": "d"}
			if i%2 == 0 {
				body["tags"] = []map[string]string{{"key": "team", "value": "vision"}}
				body["run_link"] = "http://runs/" + name
			}
			a.do("POST", p+"/model-versions/create", a.writer, body, jsonCT...).ok(200)
		}
	}
	a.do("POST", p+"/registered-models/alias", a.writer, map[string]string{"name": "iris", "alias": "champion", "version": "3"}, jsonCT...).ok(200)
	a.do("POST", p+"/model-versions/transition-stage", a.writer, map[string]string{"name": "iris", "version": "3", "stage": "Production"}, jsonCT...).ok(200)
	a.do("POST", p+"/model-versions/set-tag", a.writer, map[string]string{"name": "rose", "version": "4", "key": "mlflow.prompt.is_prompt", "value": "true"}, jsonCT...).ok(200)
	a.do("DELETE", p+"/model-versions/delete", a.writer, map[string]string{"name": "rose", "version": "2"}, jsonCT...).ok(200)

	for _, tc := range []struct {
		filter, order string
		want          []string
	}{
		{"", "", []string{"rose/3", "rose/1", "iris/4", "iris/3", "iris/2", "iris/1"}},
		{"", "name DESC", []string{"rose/3", "rose/1", "iris/4", "iris/3", "iris/2", "iris/1"}},
		{"", "version_number", []string{"iris/1", "rose/1", "iris/2", "iris/3", "rose/3", "iris/4"}},
		{"name = 'iris' AND tags.team = 'vision'", "version_number ASC", []string{"iris/1", "iris/3"}},
		{"name ILIKE 'RO%'", "", []string{"rose/3", "rose/1"}},
		{"source_path LIKE '%/iris/_' AND version_number >= 3", "", []string{"iris/4", "iris/3"}},
		{"tags.`mlflow.prompt.is_prompt` = 'true'", "", []string{"rose/4"}},
		{"tags.`mlflow.prompt.is_prompt` = 'false' AND name = 'rose'", "", []string{"rose/3", "rose/1"}},
		{"run_id = ''", "version_number DESC", []string{"iris/4", "iris/3", "rose/3", "iris/2", "iris/1", "rose/1"}},
		{"name = 'no such/model'", "", []string{}},
	} {
		for _, size := range []int{1, 2, 5, 1000} {
			got := versionIDs(a.searchAll(tc.filter, tc.order, size))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("filter %q order %q, pages of %d: got %v, want %v", tc.filter, tc.order, size, got, tc.want)
			}
		}
	}
	found := a.searchAll("name = 'iris' AND version_number = 3", "", 10)
	want := mlflowVersion{Name: "iris", Version: "3", Source: "s3://b/iris/2", CurrentStage: "Production",
		RunLink: "http://runs/iris", Description: "d", Tags: []struct{ Key, Value string }{{"team", "vision"}}, Aliases: []string{"champion"}}
	if len(found) != 1 || !reflect.DeepEqual(found[0], want) {
		t.Fatalf("found %+v, want %+v", found, want)
	}
}

// seedVersions gives model name n versions in all: one pushed, the rest
// created through the service (sharing its files), as MLflow would create
// them (an external source each).
func (a *testAPI) seedVersions(name string, n int) {
	a.t.Helper()
	v1 := a.push(name, map[string]string{"MLFLOW_SOURCE": "s3://bucket/" + name + "/0"}, nil)
	ctx := registry.WithPrincipal(context.Background(), registry.Principal{Name: "seed", Role: registry.RoleWriter})
	for i := 1; i < n; i++ {
		_, err := a.svc.CreateVersion(ctx, name, registry.NewVersion{Files: v1.Files,
			Source: registry.Source{Run: &registry.RunSource{System: "mlflow", URI: fmt.Sprintf("s3://bucket/%s/%d", name, i)}}})
		if err != nil {
			a.t.Fatal(err)
		}
	}
}

// TestMLflowLatestVersionsOfALargeModel checks latest_versions per stage for
// a model of more versions than are read whole (one search per stage).
func TestMLflowLatestVersionsOfALargeModel(t *testing.T) {
	a := startAPI(t, false)
	const p = "/api/2.0/mlflow"
	a.seedVersions("big", 130)
	for _, s := range []struct{ version, stage string }{{"7", "Production"}, {"9", "Production"}, {"120", "Staging"}, {"130", "Archived"}} {
		a.do("POST", p+"/model-versions/transition-stage", a.writer, map[string]string{"name": "big", "version": s.version, "stage": s.stage}, jsonCT...).ok(200)
	}
	a.do("POST", p+"/model-versions/set-tag", a.writer, map[string]string{"name": "big", "version": "129", "key": "mlflow.current_stage", "value": "staging"}, jsonCT...).ok(200)
	var latest struct {
		Versions []mlflowVersion `json:"model_versions"`
	}
	a.do("POST", p+"/registered-models/get-latest-versions", a.reader, map[string]any{"name": "big"}, jsonCT...).ok(200).decode(&latest)
	got := []string{}
	for _, v := range latest.Versions {
		got = append(got, v.Version+":"+v.CurrentStage)
	}
	// 129's stage "staging" is no canonical stage, so it is in none.
	if want := []string{"128:None", "120:Staging", "9:Production", "130:Archived"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("latest versions %v, want %v", got, want)
	}
	a.do("POST", p+"/registered-models/get-latest-versions", a.reader, map[string]any{"name": "big", "stages": []string{"production", "None"}}, jsonCT...).ok(200).decode(&latest)
	if len(latest.Versions) != 2 || latest.Versions[0].Version != "9" || latest.Versions[1].Version != "128" {
		t.Fatalf("latest in production, None: %+v", latest.Versions)
	}
	var model struct {
		Model struct {
			Latest []mlflowVersion `json:"latest_versions"`
		} `json:"registered_model"`
	}
	a.do("GET", p+"/registered-models/get?name=big", a.reader, nil).ok(200).decode(&model)
	if len(model.Model.Latest) != 4 || model.Model.Latest[0].Version != "128" || model.Model.Latest[0].Source != "s3://bucket/big/127" {
		t.Fatalf("registered model's latest versions: %+v", model.Model.Latest)
	}
}

// BenchmarkMLflowSearchVersions measures search_model_versions returning
// 10,000 versions of one model, as bench/mlflow/compare.py does
// (`make bench-mlflow`), over loopback, answer read in full.
func BenchmarkMLflowSearchVersions(b *testing.B) {
	a := startAPI(b, false)
	a.seedVersions("bench", 10_000)
	req, _ := http.NewRequest("GET", a.url+"/api/2.0/mlflow/model-versions/search?"+
		url.Values{"filter": {"name = 'bench'"}, "max_results": {"10000"}}.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+a.reader)
	b.ResetTimer()
	for b.Loop() {
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("%v %v", res, err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		b.SetBytes(n)
	}
}
