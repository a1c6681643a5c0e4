//go:build linux

package bench

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modelry/modelry/bench/internal/proc"
)

// Routes whose request bodies a chunked push sends.
var chunkRoutes = []string{
	routeBlobPut, routeBlobPost,
	`route="PUT /api/v1/blobs/{digest}/recipe"`,
	`route="POST /api/v1/chunks/locate"`,
	`route="POST /api/v1/blobs/missing"`,
}

// linkRate is the --limit-rate of the modelled link: 100 MiB/s, about
// 0.84 Gbit/s, a 1 Gbit link after protocol overhead.
const linkRate = "100M"

// runChunks measures chunk-level dedup (issue 5 item 6) on a safetensors-
// like file of -size: a plain push with chunking off, a new file with
// chunking on, and re-pushes after 10% of the tensors changed (in place,
// and with a header grown by 37 bytes so every offset moves); then the
// plain push and the re-pushes again over a modelled 1 Gbit link.
func runChunks(ctx context.Context, e *env) error {
	dir := e.path("chunks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer e.discard(dir)
	e.logf("writing a %s safetensors-like file and two edited versions", e.cfg.size)
	v := chunkFiles{base: filepath.Join(dir, "v1", "model.safetensors"), changed: filepath.Join(dir, "v2", "model.safetensors"),
		grown: filepath.Join(dir, "v3", "model.safetensors")}
	if err := writeSafetensorsVersions(int64(e.cfg.size), v.base, v.changed, v.grown); err != nil {
		return err
	}
	var runs [][]Row
	for run := range e.cfg.runs {
		e.logf("chunks, run %d/%d", run+1, e.cfg.runs)
		before := len(e.rep.Rows)
		err := e.chunkPhase(ctx, dir, "loopback", v, nil)
		if err == nil {
			err = e.chunkPhase(ctx, dir, "1 Gbit link", v, []string{"--limit-rate", linkRate})
		}
		runs = append(runs, slices.Clone(e.rep.Rows[before:]))
		e.rep.Rows = e.rep.Rows[:before]
		if err != nil {
			return err
		}
	}
	e.rep.Rows = append(e.rep.Rows, medianRows(runs)...)
	return nil
}

// medianRows merges the rows of several runs, made in the same order: the
// value and the ratio are the medians of the runs', and PASS or MISS is
// judged again on the median ratio.
func medianRows(runs [][]Row) []Row {
	out := slices.Clone(runs[0])
	for i := range out {
		var values, ratios []float64
		for _, run := range runs {
			values = append(values, run[i].Value)
			ratios = append(ratios, run[i].Ratio)
		}
		out[i].Value, out[i].Ratio = median(values), median(ratios)
		if len(runs) > 1 {
			out[i].Runs = values
		}
		if op, limit, ok := parseTarget(out[i].Target); ok {
			out[i].Result = passMiss(op == "≤" && out[i].Ratio <= limit || op == "≥" && out[i].Ratio >= limit)
		}
	}
	return out
}

// parseTarget reads a ratio target such as "≤ 0.12×".
func parseTarget(t string) (op string, limit float64, ok bool) {
	f := strings.Fields(strings.TrimSuffix(t, "×"))
	if len(f) != 2 || (f[0] != "≤" && f[0] != "≥") {
		return "", 0, false
	}
	limit, err := strconv.ParseFloat(f[1], 64)
	return f[0], limit, err == nil
}

// chunkFiles are the benchmark's file versions: the base, 10% of its
// tensors rewritten, and that with a header 37 bytes longer.
type chunkFiles struct{ base, changed, grown string }

// chunkPhase measures the plain push and the two re-pushes, each on a
// fresh server, with extra push flags (the rate limit), and adds the rows.
// Each re-push goes to a server holding only the base, pushed without the
// flags; on loopback that base push is row (b), a new file with chunking on.
func (e *env) chunkPhase(ctx context.Context, dir, label string, v chunkFiles, flags []string) error {
	size := fileSize(v.base)
	var plain time.Duration
	err := e.chunkServer(ctx, dir, "plain", func(srv *proc.Server) error {
		run, _, err := e.chunkPush(ctx, srv, v.base, false, flags)
		plain = run.Wall
		return err
	})
	if err != nil {
		return err
	}
	e.add(Row{Bench: benchChunks, Name: fmt.Sprintf("%s: push %s, chunking off (wall)", label, e.cfg.size), Unit: "s", Value: plain.Seconds(),
		Note: "the baseline of this phase's time ratios"})
	for i, edit := range []struct{ name, path string }{
		{"10% of tensors changed", v.changed},
		{"10% changed + header grew 37 B", v.grown},
	} {
		err := e.chunkServer(ctx, dir, fmt.Sprintf("repush%d", i), func(srv *proc.Server) error {
			run, _, err := e.chunkPush(ctx, srv, v.base, true, nil)
			if err != nil {
				return err
			}
			if flags == nil && i == 0 {
				r := run.Wall.Seconds() / plain.Seconds()
				e.add(Row{Bench: benchChunks, Name: fmt.Sprintf("%s: push of a new file, chunking on (wall)", label), Unit: "s", Value: run.Wall.Seconds(),
					Against: "push with chunking off", Ratio: r, Target: "≤ 1.10×", Result: passMiss(r <= 1.10),
					Note: "the client probes the first 16 MiB of chunks, then streams the file as without chunking"})
			}
			if err := e.waitIndexed(ctx, srv, label, true); err != nil {
				return err
			}
			return e.measureChunkRepush(ctx, srv, label, edit.name, edit.path, size, plain, flags)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// measureChunkRepush pushes one edited version and adds its rows. Bytes
// stored are counted once the server has indexed the new files too.
func (e *env) measureChunkRepush(ctx context.Context, srv *proc.Server, label, name, path string, size int64, plain time.Duration, flags []string) error {
	before := dirSize(srv.Data)
	run, sent, err := e.chunkPush(ctx, srv, path, true, flags)
	if err != nil {
		return err
	}
	if err := e.waitIndexed(ctx, srv, label, false); err != nil {
		return err
	}
	stored := dirSize(srv.Data) - before
	sentR, storedR := float64(sent)/float64(size), float64(stored)/float64(size)
	timeR := run.Wall.Seconds() / plain.Seconds()
	timeTarget, timeOK := "≤ 0.50×", timeR <= 0.5
	if flags != nil {
		timeTarget, timeOK = "≤ 0.25×", timeR <= 0.25
	}
	e.add(Row{Bench: benchChunks, Name: fmt.Sprintf("%s: re-push, %s: bytes sent", label, name), Unit: "bytes", Value: float64(sent),
		Against: "file size", Ratio: sentR, Target: "≤ 0.12×", Result: passMiss(sentR <= 0.12),
		Note: "request bodies of the blob, recipe, locate and missing routes, from " + metricBytesIn})
	e.add(Row{Bench: benchChunks, Name: fmt.Sprintf("%s: re-push, %s: bytes stored", label, name), Unit: "bytes", Value: float64(stored),
		Against: "file size", Ratio: storedR, Target: "≤ 0.12×", Result: passMiss(storedR <= 0.12),
		Note: "growth of the server's data folder (blobs, recipe, chunk lists, database)"})
	e.add(Row{Bench: benchChunks, Name: fmt.Sprintf("%s: re-push, %s (wall)", label, name), Unit: "s", Value: run.Wall.Seconds(),
		Against: "push with chunking off", Ratio: timeR, Target: timeTarget, Result: passMiss(timeOK),
		Note: "the client hashes the whole file and its chunks; the server re-reads the file to verify the recipe"})
	if flags != nil {
		return nil
	}
	return e.measureRecipePull(ctx, srv, label, name, size)
}

// measureRecipePull pulls the base (stored whole, sent with sendfile) and
// the re-pushed version (a recipe, read range by range), hot, and adds the
// second against the first.
func (e *env) measureRecipePull(ctx context.Context, srv *proc.Server, label, name string, size int64) error {
	var walls [2]time.Duration
	for i, ref := range []string{benchModel + "/1", benchModel + "/2"} {
		dest := filepath.Join(filepath.Dir(srv.Data), "pull-"+strings.ReplaceAll(ref, "/", "-"))
		env := []string{"MODELRY_URL=" + srv.URL, "MODELRY_TOKEN=" + srv.Token}
		if _, err := proc.RunCLI(ctx, e.bin, env, "pull", ref, "--dest", dest); err != nil { // warms the page cache
			return err
		}
		os.RemoveAll(dest)
		run, err := proc.RunCLI(ctx, e.bin, env, "pull", ref, "--dest", dest)
		os.RemoveAll(dest)
		if err != nil {
			return err
		}
		walls[i] = run.Wall
	}
	whole, recipe := gbps(size, walls[0]), gbps(size, walls[1])
	e.add(Row{Bench: benchChunks, Name: fmt.Sprintf("%s: pull of the re-pushed file (%s), hot", label, name), Unit: "GB/s", Value: recipe,
		Against: "pull of the base stored whole", Ratio: recipe / whole, Target: "≥ 0.80×", Result: passMiss(recipe >= 0.8*whole),
		Note: fmt.Sprintf("the base pulled at %.3g GB/s; a recipe is served range by range, without sendfile", whole)})
	return nil
}

// chunkServer starts a fresh server with its own data folder, runs fn and
// stops it.
func (e *env) chunkServer(ctx context.Context, dir, name string, fn func(*proc.Server) error) error {
	data := filepath.Join(dir, "data-"+name)
	defer os.RemoveAll(data)
	srv, err := e.startServer(ctx, data)
	if err != nil {
		return err
	}
	defer srv.Stop()
	return fn(srv)
}

// chunkPush runs `modelry push` and returns the request bytes it sent.
func (e *env) chunkPush(ctx context.Context, srv *proc.Server, path string, chunking bool, flags []string) (proc.CLIRun, int64, error) {
	before, err := sumMetric(ctx, srv, metricBytesIn, chunkRoutes)
	if err != nil {
		return proc.CLIRun{}, 0, err
	}
	env := []string{"MODELRY_URL=" + srv.URL, "MODELRY_TOKEN=" + srv.Token}
	if !chunking {
		env = append(env, "MODELRY_CHUNKING=off")
	}
	run, err := proc.RunCLI(ctx, e.bin, env, append([]string{"push", benchModel, path}, flags...)...)
	if err != nil {
		return run, 0, err
	}
	after, err := sumMetric(ctx, srv, metricBytesIn, chunkRoutes)
	e.logf("push %s (chunking %v, flags %v): %.2fs, %d bytes sent", filepath.Base(filepath.Dir(path)), chunking, flags, run.Wall.Seconds(), int64(after-before))
	return run, int64(after - before), err
}

// waitIndexed waits until the server has indexed the chunks of what it
// stores; report adds the time as a row.
func (e *env) waitIndexed(ctx context.Context, srv *proc.Server, label string, report bool) error {
	start := time.Now()
	for {
		pending, err := srv.Metric(ctx, "modelry_chunk_index_pending", "")
		if err != nil {
			return err
		}
		if pending == 0 {
			break
		}
		if time.Since(start) > 10*time.Minute {
			return fmt.Errorf("chunk indexing still has %v files pending after 10 minutes", pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
	d := time.Since(start)
	if !report {
		return nil
	}
	e.add(Row{Bench: benchChunks, Name: label + ": server indexing the base file after its push (wait)", Unit: "s", Value: d.Seconds(),
		Note: "info: background chunking of stored files, measured from the end of the push"})
	return nil
}

func sumMetric(ctx context.Context, srv *proc.Server, name string, routes []string) (float64, error) {
	var sum float64
	for _, r := range routes {
		v, err := srv.Metric(ctx, name, r)
		if err != nil && !strings.Contains(err.Error(), "not exported") {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

// dirSize sums the sizes of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// tensor is one entry of a safetensors header.
type tensor struct {
	Dtype       string   `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// writeSafetensorsVersions writes three files of about n bytes in the
// safetensors layout (8-byte little-endian header length, JSON header of
// ~100 bf16 tensors, tensor bytes; random data): the base; a version with
// every tenth tensor rewritten; and that version with a header 37 bytes
// longer, which moves every tensor's offset in the file.
func writeSafetensorsVersions(n int64, base, changed, grown string) error {
	const count = 100
	per := max((n-16<<10)/count&^1, 2)
	header := map[string]tensor{}
	for i := range int64(count) {
		header[fmt.Sprintf("model.layers.%02d.weight", i)] = tensor{Dtype: "BF16", Shape: []int64{per / 2}, DataOffsets: [2]int64{i * per, (i + 1) * per}}
	}
	js, err := json.Marshal(header)
	if err != nil {
		return err
	}
	rng := rand.NewChaCha8([32]byte{'s', 't'})
	data := make([]byte, per*count)
	rng.Read(data)
	if err := writeSafetensors(base, js, data); err != nil {
		return err
	}
	for i := int64(0); i < count; i += 10 {
		rng.Read(data[i*per : (i+1)*per])
	}
	if err := writeSafetensors(changed, js, data); err != nil {
		return err
	}
	// Safetensors allows trailing spaces in the header: 37 more bytes.
	return writeSafetensors(grown, append(js, []byte(strings.Repeat(" ", 37))...), data)
}

func writeSafetensors(path string, header, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var length [8]byte
	binary.LittleEndian.PutUint64(length[:], uint64(len(header)))
	for _, b := range [][]byte{length[:], header, data} {
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
