package metatest

import (
	"slices"
	"testing"

	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/tracking"
)

type trackingTest struct {
	name string
	run  func(t *testing.T, s tracking.Store)
}

// RunTracking runs the tracking.Store suite. open must return a new, empty
// store on each call and close it when t ends.
func RunTracking(t *testing.T, open func(t *testing.T) tracking.Store) {
	for _, tc := range []trackingTest{
		{"DefaultExperiment", testDefaultExperiment},
		{"CreateExperiment", testCreateExperiment},
		{"ExperimentNameTaken", testExperimentNameTaken},
		{"Runs", testRuns},
		{"MetricHistory", testMetricHistory},
		{"LoggedModels", testLoggedModels},
		{"Artifacts", testArtifacts},
		{"ArtifactDigests", testArtifactDigests},
		{"Webhooks", testWebhooks},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

func testDefaultExperiment(t *testing.T, s tracking.Store) {
	e, err := s.GetExperiment(t.Context(), "0")
	noErr(t, err)
	if e.Name != "Default" || e.ArtifactLocation != "mlflow-artifacts:/0" || e.Lifecycle != tracking.LifecycleActive {
		t.Fatalf("experiment 0 = %+v", e)
	}
	_, err = s.GetExperiment(t.Context(), "7")
	wantErr(t, err, registry.KindNotFound, "No Experiment with id=7 exists")
	_, err = s.GetExperimentByName(t.Context(), "nope")
	wantErr(t, err, registry.KindNotFound, "Could not find experiment with name 'nope'")
}

func testCreateExperiment(t *testing.T, s tracking.Store) {
	id, err := s.CreateExperiment(t.Context(), tracking.Experiment{Name: "a", Lifecycle: "active", Tags: map[string]string{"k": "v"}})
	noErr(t, err)
	id2, err := s.CreateExperiment(t.Context(), tracking.Experiment{Name: "b", Lifecycle: "active"})
	noErr(t, err)
	if id != "1" || id2 != "2" {
		t.Fatalf("ids %q, %q; want 1, 2", id, id2)
	}
	e, err := s.GetExperimentByName(t.Context(), "a")
	noErr(t, err)
	same(t, "experiment", e, tracking.Experiment{ID: "1", Name: "a", ArtifactLocation: "mlflow-artifacts:/1", Lifecycle: "active", Tags: map[string]string{"k": "v"}})
	all, err := s.ListExperiments(t.Context())
	noErr(t, err)
	if len(all) != 3 || all[0].ID != "0" || all[2].ID != "2" {
		t.Fatalf("ListExperiments = %+v", all)
	}
	e.Name = "renamed"
	noErr(t, s.PutExperiment(t.Context(), e))
	_, err = s.GetExperimentByName(t.Context(), "renamed")
	noErr(t, err)
}

func testExperimentNameTaken(t *testing.T, s tracking.Store) {
	_, err := s.CreateExperiment(t.Context(), tracking.Experiment{Name: "Default"})
	wantErr(t, err, registry.KindAlreadyExists, "Experiment(name=Default) already exists.")
}

func testRuns(t *testing.T, s tracking.Store) {
	r := tracking.Run{ID: "r1", ExperimentID: "0", Name: "first", Status: "RUNNING", StartTime: 10,
		Params: map[string]string{"a": "1"}, Tags: map[string]string{}, Metrics: map[string]tracking.Metric{}}
	noErr(t, s.PutRun(t.Context(), r))
	r2 := r
	r2.ID, r2.StartTime = "r2", 20
	noErr(t, s.PutRun(t.Context(), r2))
	r.Status = "FINISHED"
	noErr(t, s.PutRun(t.Context(), r)) // replaces
	got, err := s.GetRun(t.Context(), "r1")
	noErr(t, err)
	same(t, "run", got, r)
	runs, err := s.ListRuns(t.Context(), []string{"0"})
	noErr(t, err)
	if len(runs) != 2 || runs[0].ID != "r2" {
		t.Fatalf("ListRuns = %+v, want r2 then r1", runs)
	}
	runs, err = s.ListRuns(t.Context(), []string{"5"})
	noErr(t, err)
	if len(runs) != 0 {
		t.Fatalf("runs of an unknown experiment: %+v", runs)
	}
	_, err = s.GetRun(t.Context(), "nope")
	wantErr(t, err, registry.KindNotFound, "Run with id=nope not found")
}

func testMetricHistory(t *testing.T, s tracking.Store) {
	ms := []tracking.Metric{{Key: "acc", Value: 0.5, Timestamp: 1, Step: 0}, {Key: "loss", Value: 2}, {Key: "acc", Value: 0.7, Timestamp: 2, Step: 1}}
	noErr(t, s.AppendMetrics(t.Context(), "r1", ms))
	noErr(t, s.AppendMetrics(t.Context(), "r1", []tracking.Metric{{Key: "acc", Value: 0.6, Timestamp: 3, Step: 2}}))
	got, err := s.MetricHistory(t.Context(), "r1", "acc")
	noErr(t, err)
	var values []float64
	for _, m := range got {
		values = append(values, m.Value)
	}
	same(t, "history", values, []float64{0.5, 0.7, 0.6})
}

func testLoggedModels(t *testing.T, s tracking.Store) {
	m := tracking.LoggedModel{ID: "m-1", ExperimentID: "0", Name: "model", Status: tracking.ModelPending,
		Tags: map[string]string{}, Params: map[string]string{"p": "1"}}
	noErr(t, s.PutLoggedModel(t.Context(), m))
	m.Status = tracking.ModelReady
	noErr(t, s.PutLoggedModel(t.Context(), m))
	got, err := s.GetLoggedModel(t.Context(), "m-1")
	noErr(t, err)
	same(t, "logged model", got, m)
	list, err := s.ListLoggedModels(t.Context(), []string{"0"})
	noErr(t, err)
	if len(list) != 1 {
		t.Fatalf("ListLoggedModels = %+v", list)
	}
	_, err = s.GetLoggedModel(t.Context(), "m-2")
	wantErr(t, err, registry.KindNotFound, "Logged model with ID 'm-2' not found.")
}

func testArtifacts(t *testing.T, s tracking.Store) {
	put := func(p string, size int64) {
		noErr(t, s.PutArtifact(t.Context(), tracking.Artifact{Path: p, Digest: digestOf(p), Size: size}))
	}
	put("0/r/artifacts/model/MLmodel", 10)
	put("0/r/artifacts/model/sub/x.bin", 20)
	put("0/r/artifacts/model-other/y", 30) // a sibling whose name extends "model"
	put("0/r/artifacts/model/MLmodel", 11) // replaces
	a, err := s.GetArtifact(t.Context(), "0/r/artifacts/model/MLmodel")
	noErr(t, err)
	if a.Size != 11 {
		t.Fatalf("replaced artifact has size %d", a.Size)
	}
	list, err := s.ListArtifacts(t.Context(), "0/r/artifacts/model")
	noErr(t, err)
	var paths []string
	for _, a := range list {
		paths = append(paths, a.Path)
	}
	same(t, "listing", paths, []string{"0/r/artifacts/model/MLmodel", "0/r/artifacts/model/sub/x.bin"})
	all, err := s.ListArtifacts(t.Context(), "")
	noErr(t, err)
	if len(all) != 3 {
		t.Fatalf("root listing has %d entries, want 3", len(all))
	}
	noErr(t, s.DeleteArtifacts(t.Context(), "0/r/artifacts/model"))
	list, err = s.ListArtifacts(t.Context(), "0/r/artifacts")
	noErr(t, err)
	if len(list) != 1 || list[0].Path != "0/r/artifacts/model-other/y" {
		t.Fatalf("after delete: %+v", list)
	}
	_, err = s.GetArtifact(t.Context(), "0/r/artifacts/model/MLmodel")
	wantErr(t, err, registry.KindNotFound)
}

func testWebhooks(t *testing.T, s tracking.Store) {
	w := tracking.Webhook{ID: "w1", Name: "ci", URL: "http://x/h", Status: "ACTIVE", Secret: "s",
		Events: []tracking.WebhookEvent{{Entity: "model_version", Action: "created"}}}
	noErr(t, s.PutWebhook(t.Context(), w))
	noErr(t, s.PutWebhook(t.Context(), tracking.Webhook{ID: "w2", Name: "other"}))
	w.Status = "DISABLED"
	noErr(t, s.PutWebhook(t.Context(), w)) // replaces
	got, err := s.GetWebhook(t.Context(), "w1")
	noErr(t, err)
	same(t, "webhook", got, w)
	all, err := s.ListWebhooks(t.Context())
	noErr(t, err)
	if len(all) != 2 || all[0].ID != "w1" {
		t.Fatalf("ListWebhooks = %+v", all)
	}
	noErr(t, s.DeleteWebhook(t.Context(), "w1"))
	_, err = s.GetWebhook(t.Context(), "w1")
	wantErr(t, err, registry.KindNotFound, "Webhook with ID w1 not found.")
}

func testArtifactDigests(t *testing.T, s tracking.Store) {
	for _, p := range []string{"0/r/artifacts/a", "0/r/artifacts/b", "0/r/artifacts/gone"} {
		noErr(t, s.PutArtifact(t.Context(), tracking.Artifact{Path: p, Digest: digestOf(p[len(p)-1:] + "x"), Size: 1}))
	}
	noErr(t, s.PutArtifact(t.Context(), tracking.Artifact{Path: "1/r/artifacts/copy", Digest: digestOf("ax"), Size: 1}))
	noErr(t, s.DeleteArtifacts(t.Context(), "0/r/artifacts/gone"))
	var got []string
	noErr(t, s.ReferencedDigests(t.Context(), func(d string) error {
		got = append(got, d)
		return nil
	}))
	slices.Sort(got)
	want := []string{digestOf("ax"), digestOf("bx")}
	slices.Sort(want)
	same(t, "artifact digests (each once, deleted entries left out)", got, want)
}
