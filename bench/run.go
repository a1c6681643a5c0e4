//go:build linux

// Package bench is the program behind `make bench` (cmd/modelry-bench). It
// runs the real `modelry` binary, server and CLI, as child processes and
// measures what the registry core promises (issue 2, docs/benchmarks.md):
// push and pull throughput of a large file, a re-push that sends no bytes,
// flat memory on a 5 GiB file, and metadata lookups and durable creates with
// 100,000 versions stored. Each benchmark also measures, in the same run and
// on the same machine, the physical ceiling or peer it is compared with, and
// prints the ratio and PASS or MISS against the target.
//
// Speed is measured here, never asserted in tests. The ceilings themselves
// live in bench/internal/ceiling, child processes in bench/internal/proc and
// the HTTP load generator in bench/internal/load. The program is Linux-only:
// it reads /proc and drops the page cache.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/modelry/modelry/bench/internal/proc"
)

// The benchmarks, by the names -only takes.
const (
	benchTransfer = "transfer" // ceilings, push, pull and re-push of -size
	benchMemory   = "memory"   // peak RSS pushing and pulling -big-size
	benchMetadata = "metadata" // lookups and creates with -versions stored
	benchChunks   = "chunks"   // chunk-level dedup of a -size safetensors-like file
)

var allBenches = []string{benchTransfer, benchMemory, benchMetadata, benchChunks}

// config is what the flags set.
type config struct {
	modelry     string
	workDir     string
	keep        bool
	size        size
	bigSize     size
	skipBig     bool
	versions    int
	models      int
	runs        int
	duration    time.Duration
	warmup      time.Duration
	concurrency intList
	populators  int
	only        string
	dropCaches  bool
	jsonPath    string
	mdPath      string
	serveCanned string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	c := config{size: 1 << 30, bigSize: 5 << 30, concurrency: intList{8, 32}}
	fs := flag.NewFlagSet("modelry-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.modelry, "modelry", "bin/modelry", "the modelry binary under test")
	fs.StringVar(&c.workDir, "workdir", "", "folder for files and data folders, on the disk to measure (default: a new folder under $TMPDIR, or under . if $TMPDIR is tmpfs)")
	fs.BoolVar(&c.keep, "keep", false, "keep the work folder afterwards")
	fs.Var(&c.size, "size", "file size for the push/pull benchmark")
	fs.Var(&c.bigSize, "big-size", "file size for the memory benchmark")
	fs.BoolVar(&c.skipBig, "skip-5gib", false, "skip the memory benchmark (the -big-size push and pull)")
	fs.IntVar(&c.versions, "versions", 100_000, "versions to store before the metadata benchmark")
	fs.IntVar(&c.models, "models", 1000, "models the versions are spread over")
	fs.IntVar(&c.runs, "runs", 3, "runs of each measurement; the median is reported")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "length of each metadata measurement")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured warm-up before each metadata measurement")
	fs.Var(&c.concurrency, "concurrency", "concurrent client workers for the metadata benchmark (comma list)")
	fs.IntVar(&c.populators, "populate-workers", 4, "goroutines that create the stored versions in-process")
	fs.StringVar(&c.only, "only", strings.Join(allBenches, ","), "benchmarks to run (comma list of "+strings.Join(allBenches, ", ")+")")
	fs.BoolVar(&c.dropCaches, "drop-caches", true, "drop the page cache for cold reads and pulls (needs root; off otherwise)")
	fs.StringVar(&c.jsonPath, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&c.mdPath, "markdown", "", "also write the results table as Markdown to this file")
	fs.StringVar(&c.serveCanned, "serve-canned", "", "internal: serve this file's bytes as the canned-JSON ceiling server")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for name := range strings.SplitSeq(c.only, ",") {
		if !slices.Contains(allBenches, strings.TrimSpace(name)) {
			return c, fmt.Errorf("-only: unknown benchmark %q; known: %s", name, strings.Join(allBenches, ", "))
		}
	}
	if c.runs < 1 || c.versions < 1 || c.models < 1 || c.models > c.versions || c.populators < 1 {
		return c, errors.New("-runs, -versions, -models and -populate-workers must be positive, and -models at most -versions")
	}
	return c, nil
}

func (c config) enabled(name string) bool {
	if name == benchMemory && c.skipBig {
		return false
	}
	for n := range strings.SplitSeq(c.only, ",") {
		if strings.TrimSpace(n) == name {
			return true
		}
	}
	return false
}

// env is what every benchmark shares.
type env struct {
	cfg     config
	bin     string // absolute path of modelry
	self    string // this program, to start the canned server
	work    string
	token   string
	canDrop bool
	start   time.Time
	log     io.Writer
	rep     *Report
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.log, "[%6.1fs] %s\n", time.Since(e.start).Seconds(), fmt.Sprintf(format, args...))
}

func (e *env) add(r Row) { e.rep.Rows = append(e.rep.Rows, r) }

// path names a file or folder inside the work folder.
func (e *env) path(elem ...string) string {
	return filepath.Join(append([]string{e.work}, elem...)...)
}

// discard deletes a benchmark's folder, unless -keep.
func (e *env) discard(dir string) {
	if !e.cfg.keep {
		os.RemoveAll(dir)
	}
}

// startServer starts a modelry server with its data folder at data and its
// log next to it. The free port it picks can be taken by another program
// before the server binds it; then it tries another.
func (e *env) startServer(ctx context.Context, data string) (*proc.Server, error) {
	for attempt := 1; ; attempt++ {
		srv, err := proc.StartServer(ctx, e.bin, data, e.token, data+".log")
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return srv, err
		}
	}
}

// cli runs a modelry CLI command against srv.
func (e *env) cli(ctx context.Context, srv *proc.Server, args ...string) (proc.CLIRun, error) {
	return proc.RunCLI(ctx, e.bin, []string{"MODELRY_URL=" + srv.URL, "MODELRY_TOKEN=" + srv.Token}, args...)
}

// repeat runs measure cfg.runs times and returns the values it measured.
func (e *env) repeat(what string, unit string, measure func(run int) (float64, error)) ([]float64, error) {
	var vs []float64
	for i := range e.cfg.runs {
		v, err := measure(i)
		if err != nil {
			return vs, fmt.Errorf("%s, run %d: %w", what, i+1, err)
		}
		e.logf("%s, run %d/%d: %s %s", what, i+1, e.cfg.runs, format(v, unit), unit)
		vs = append(vs, v)
	}
	return vs, nil
}

// dropCaches empties the page cache if enabled; it reports whether it did.
func (e *env) dropCaches() bool {
	if !e.canDrop {
		return false
	}
	if err := proc.DropCaches(); err != nil {
		e.logf("dropping the page cache failed (%v); cold numbers are off from here", err)
		e.canDrop = false
	}
	return e.canDrop
}

// Run runs the benchmarks the flags select, prints the table to stdout and
// progress to stderr. A failed benchmark is reported and the others still
// run; Run then returns an error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.serveCanned != "" {
		return serveCanned(ctx, cfg.serveCanned, stdout)
	}
	e, cleanup, err := newEnv(cfg, args, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	benches := []struct {
		name string
		run  func(context.Context, *env) error
	}{{benchTransfer, runTransfer}, {benchMemory, runMemory}, {benchMetadata, runMetadata}, {benchChunks, runChunks}}
	for _, b := range benches {
		if !cfg.enabled(b.name) || ctx.Err() != nil {
			continue
		}
		e.logf("== %s", b.name)
		if err := b.run(ctx, e); err != nil {
			e.logf("%s FAILED: %v", b.name, err)
			e.rep.Errors = append(e.rep.Errors, b.name+": "+err.Error())
		}
	}
	return e.finish(stdout)
}

func newEnv(cfg config, args []string, stderr io.Writer) (*env, func(), error) {
	bin, err := filepath.Abs(cfg.modelry)
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, nil, fmt.Errorf("-modelry: %w (build it with 'make build')", err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	work, err := makeWorkDir(cfg.workDir)
	if err != nil {
		return nil, nil, err
	}
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	e := &env{cfg: cfg, bin: bin, self: self, work: work, token: "bench-" + hex.EncodeToString(tok),
		canDrop: cfg.dropCaches && proc.CanDropCaches(), start: time.Now(), log: stderr,
		rep: &Report{Command: "modelry-bench " + strings.Join(args, " "), Started: time.Now()}}
	e.rep.Machine = describeMachine(work)
	e.logf("work folder %s on %s", work, e.rep.Machine.Disk)
	if l := load1(); l > 1.0 {
		e.logf("WARNING: one-minute load average is %.2f: other work shares the CPUs and disk; numbers are taken under load", l)
	}
	if !e.canDrop {
		e.logf("page cache will not be dropped (-drop-caches=%v, root needed): cold rows are skipped", cfg.dropCaches)
	}
	cleanup := func() {
		if cfg.keep {
			e.logf("kept work folder %s", work)
			return
		}
		os.RemoveAll(work)
	}
	return e, cleanup, nil
}

// makeWorkDir creates the folder all files and data folders go in. It must
// be on a real disk: on tmpfs every disk number would be a memory number.
func makeWorkDir(dir string) (string, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		if isTmpfs(dir) {
			return "", fmt.Errorf("-workdir %s is on tmpfs; disk benchmarks need a real disk", dir)
		}
		return os.MkdirTemp(dir, "modelry-bench-")
	}
	parent := os.TempDir()
	if isTmpfs(parent) {
		parent = "."
	}
	d, err := os.MkdirTemp(parent, "modelry-bench-")
	if err != nil {
		return "", err
	}
	return filepath.Abs(d)
}

func (e *env) finish(stdout io.Writer) error {
	e.rep.Duration = time.Since(e.start)
	e.rep.Machine.LoadEnd = loadAvg()
	e.rep.WriteTable(stdout)
	if e.cfg.jsonPath != "" {
		if err := e.rep.WriteJSON(e.cfg.jsonPath); err != nil {
			return err
		}
	}
	if e.cfg.mdPath != "" {
		f, err := os.Create(e.cfg.mdPath)
		if err != nil {
			return err
		}
		e.rep.WriteMarkdown(f)
		if err := f.Close(); err != nil {
			return err
		}
	}
	if len(e.rep.Errors) > 0 {
		return fmt.Errorf("%d benchmark(s) failed", len(e.rep.Errors))
	}
	return nil
}
