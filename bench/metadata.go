//go:build linux

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/modelry/modelry/bench/internal/ceiling"
	"github.com/modelry/modelry/bench/internal/load"
	"github.com/modelry/modelry/bench/internal/proc"
)

// The metadata targets on 2 cores.
const (
	lookupGoal   = 10_000 // lookups by alias per second
	lookupP99Max = 5.0    // ms
	createGoal   = 1_000  // durable version creates per second
)

// runMetadata measures the durable-commit ceiling, fills a data folder with
// cfg.versions versions in-process, starts the server on it, and measures
// lookups by alias and durable version creates over HTTP at each
// concurrency, next to a canned-JSON server and the commit ceiling.
func runMetadata(ctx context.Context, e *env) error {
	dir := e.path("metadata")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer e.discard(dir)
	commits, err := e.repeat("ceiling 4 KiB O_DSYNC writes", "ops/s", func(int) (float64, error) {
		return ceiling.CommitRate(dir, e.cfg.duration)
	})
	if err != nil {
		return err
	}
	commit := median(commits)
	e.add(Row{Bench: benchMetadata, Name: "ceiling: 4 KiB O_DSYNC writes (durable commits, one writer)", Unit: "ops/s", Value: commit, Runs: commits})

	data := filepath.Join(dir, "data")
	e.logf("populate: creating %d versions over %d models in-process", e.cfg.versions, e.cfg.models)
	digest, took, err := e.populate(ctx, data)
	if err != nil {
		return fmt.Errorf("populate: %w", err)
	}
	rate := float64(e.cfg.versions) / took.Seconds()
	e.add(Row{Bench: benchMetadata, Name: "populate: CreateVersion in-process (durable, each its own Update; concurrent ones share commits)", Unit: "ops/s", Value: rate,
		Against: "O_DSYNC write rate", Ratio: rate / commit,
		Note: fmt.Sprintf("%d versions over %d models in %s, %d goroutines; 1 run", e.cfg.versions, e.cfg.models, took.Round(100e6), e.cfg.populators)})

	srv, err := e.startServer(ctx, data)
	if err != nil {
		return err
	}
	defer srv.Stop()
	if stored, err := srv.Metric(ctx, "modelry_versions_stored", ""); err != nil || int(stored) != e.cfg.versions {
		return fmt.Errorf("server reports %v versions stored (%v); want %d", stored, err, e.cfg.versions)
	}
	if err := e.measureLookups(ctx, srv); err != nil {
		return err
	}
	return e.measureCreates(ctx, srv, digest, commit)
}

// measureLookups resolves random model@production references on the server
// and, alternating run by run, the same requests on a canned server that
// answers a real resolve response without doing anything.
func (e *env) measureLookups(ctx context.Context, srv *proc.Server) error {
	body, err := e.get(ctx, srv, "/api/v1/resolve?ref="+url.QueryEscape(modelName(0)+"@"+aliasName))
	if err != nil {
		return err
	}
	canned, err := e.startCanned(body)
	if err != nil {
		return err
	}
	defer canned.Stop()
	for _, c := range e.cfg.concurrency {
		var real, peer []load.Result
		for i := range e.cfg.runs {
			r := e.lookups(ctx, srv.URL, srv.Token, c)
			p := e.lookups(ctx, canned.URL, srv.Token, c)
			e.logf("lookups c=%d, run %d/%d: %.0f/s p99 %.2f ms; canned %.0f/s p99 %.2f ms", c, i+1, e.cfg.runs, r.Rate, ms(r.P99), p.Rate, ms(p.P99))
			if r.Requests == 0 || p.Requests == 0 {
				return fmt.Errorf("lookups at c=%d got no answers (%s%s)", c, r.FirstError, p.FirstError)
			}
			real, peer = append(real, r), append(peer, p)
		}
		e.addLookupRows(c, real, peer)
	}
	return nil
}

func (e *env) lookups(ctx context.Context, base, token string, c int) load.Result {
	return load.Run(ctx, load.NewClient(c), c, e.cfg.warmup, e.cfg.duration, http.StatusOK, func(int, int) (*http.Request, error) {
		ref := modelName(rand.IntN(e.cfg.models)) + "@" + aliasName
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/resolve?ref="+url.QueryEscape(ref), nil)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req, err
	})
}

func (e *env) addLookupRows(c int, real, peer []load.Result) {
	rate, p50, p99, errs := summarize(real)
	prate, pp50, pp99, _ := summarize(peer)
	e.add(Row{Bench: benchMetadata, Name: fmt.Sprintf("ceiling: canned JSON server, c=%d", c), Unit: "ops/s", Value: median(prate), Runs: prate,
		Note: fmt.Sprintf("p50 %.2f ms, p99 %.2f ms", median(pp50), median(pp99))})
	note := fmt.Sprintf("GET /api/v1/resolve?ref=model-N@production, random N; p50 %.2f ms", median(p50))
	if errs > 0 {
		note += fmt.Sprintf("; %d failed requests", errs)
	}
	v := median(rate)
	e.add(Row{Bench: benchMetadata, Name: fmt.Sprintf("lookup by alias, c=%d", c), Unit: "ops/s", Value: v, Runs: rate,
		Against: "canned JSON server", Ratio: v / median(prate), Target: fmt.Sprintf("≥ %d ops/s", lookupGoal),
		Result: passMiss(v >= lookupGoal && errs == 0), Note: note})
	l := median(p99)
	e.add(Row{Bench: benchMetadata, Name: fmt.Sprintf("lookup by alias p99 latency, c=%d", c), Unit: "ms", Value: l, Runs: p99,
		Against: "canned p99", Ratio: l / median(pp99), Target: fmt.Sprintf("< %.0f ms", lookupP99Max), Result: passMiss(l < lookupP99Max)})
}

// summarize splits results into per-run rates and p50/p99 in ms, and
// counts failed requests.
func summarize(rs []load.Result) (rate, p50, p99 []float64, errs int) {
	for _, r := range rs {
		rate = append(rate, r.Rate)
		p50 = append(p50, ms(r.P50))
		p99 = append(p99, ms(r.P99))
		errs += r.Errors
	}
	return rate, p50, p99, errs
}

// measureCreates creates versions over HTTP from c workers, each on its own
// models, every create naming the stored blob (no file bytes move).
func (e *env) measureCreates(ctx context.Context, srv *proc.Server, digest string, commit float64) error {
	body, err := json.Marshal(map[string]any{"files": manifest(digest), "metrics": map[string]float64{"accuracy": 0.5}})
	if err != nil {
		return err
	}
	for _, c := range e.cfg.concurrency {
		var res []load.Result
		for i := range e.cfg.runs {
			r := load.Run(ctx, load.NewClient(c), c, e.cfg.warmup, e.cfg.duration, http.StatusCreated, func(w, n int) (*http.Request, error) {
				model := modelName(createTarget(w, n, c, e.cfg.models))
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v1/models/"+model+"/versions", bytes.NewReader(body))
				if err == nil {
					req.Header.Set("Authorization", "Bearer "+srv.Token)
					req.Header.Set("Content-Type", "application/json")
				}
				return req, err
			})
			e.logf("creates c=%d, run %d/%d: %.0f/s p99 %.2f ms", c, i+1, e.cfg.runs, r.Rate, ms(r.P99))
			if r.Requests == 0 {
				return fmt.Errorf("creates at c=%d: none succeeded (%s)", c, r.FirstError)
			}
			res = append(res, r)
		}
		rate, p50, p99, errs := summarize(res)
		note := fmt.Sprintf("POST /api/v1/models/{m}/versions, metadata only; p50 %.2f ms, p99 %.2f ms", median(p50), median(p99))
		if errs > 0 {
			note += fmt.Sprintf("; %d failed requests (first: %s)", errs, res[0].FirstError)
		}
		v := median(rate)
		e.add(Row{Bench: benchMetadata, Name: fmt.Sprintf("create version (durable), c=%d", c), Unit: "ops/s", Value: v, Runs: rate,
			Against: "O_DSYNC write rate", Ratio: v / commit, Target: fmt.Sprintf("≥ %d ops/s", createGoal),
			Result: passMiss(v >= createGoal && errs == 0), Note: note})
	}
	return nil
}

// createTarget is the model worker w of c creates its n-th version in: the
// workers take disjoint sets of models, so no two wait on one model's row.
func createTarget(w, n, c, models int) int {
	per := models / c
	if per == 0 {
		return (w + n*c) % models
	}
	return w + c*(n%per)
}

// get fetches path from the server with its token and returns the body.
func (e *env) get(ctx context.Context, srv *proc.Server, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d: %s", path, resp.StatusCode, b)
	}
	return b, err
}
