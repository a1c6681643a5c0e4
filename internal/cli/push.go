package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
)

// pushFlags are the flags of 'modelry push'.
type pushFlags struct {
	label, description             string
	aliases, metrics, params, tags []string
	parallel                       int
	git                            gitFlags
	lineage                        lineageFlags
	noChunking                     bool
	limitRate                      string
}

func (a *app) pushCmd() *cobra.Command {
	var f pushFlags
	cmd := &cobra.Command{
		Use:   "push NAME PATH...",
		Short: "Upload files or a directory as a new version of a model",
		Long: `Upload files or a directory as the next version of model NAME, creating the
model if it does not exist yet, and print the new version's number and digest.

What gets stored under which path:
  one file           its base name            model.onnx      -> model.onnx
  one directory      its contents             ./out/          -> weights.bin, cfg/a.json
  several PATHs      files by base name,      a.txt ./out/    -> a.txt, out/weights.bin
                     directories by name

Execute bits are kept (mode 0755, else 0644). Symbolic links that point inside
the pushed directory are stored as links; links that leave it are refused.

Every file is hashed (SHA-256) and only the files the server does not hold yet
are uploaded: re-pushing unchanged files sends no bytes, whatever model already
stored them. The version appears atomically once every file is stored.

Large files (4 MiB and more) the server lacks are cut into content-defined
chunks; when the server already holds enough of them (a fine-tune that
changed some tensors, a header that grew), only the new chunks are sent and
the server assembles the file from stored ranges, verifying its digest.
--no-chunking (or MODELRY_CHUNKING=off) sends such files whole.
--limit-rate caps the upload rate, e.g. 100M for 100 MiB/s (K, M, G are
powers of 1024, as in rclone's --bwlimit and curl's --limit-rate).

--label gives the version a name unique within the model (e.g. 1.0, usable as
NAME:LABEL); --alias points aliases at it in the same step. Metrics are
numbers, params and tags are strings; tags stay editable later ('modelry tag').

Run inside a git work tree, push records where the code came from in the
version's source: the remote URL (without credentials), commit, branch, and
whether the tree had uncommitted changes, with a digest of them
('modelry show' prints it). --require-clean refuses to push from a tree with
uncommitted changes; --no-git records nothing.

Lineage: --dataset ROLE=REF records a dataset version the model was trained or
evaluated on (ROLE is e.g. train or eval; REF is resolved now, so
sales@current records the version the alias points at today); --parent REF
records the model version this one derives from; --run ID records the MLflow
run that trained it (--run-uri for other trackers). 'modelry lineage' and
'modelry used-by' read them back. NAME must be a model: datasets are pushed
with 'modelry data push'.`,
		Example: `  # Push a single file
  modelry push iris model.onnx

  # Push a directory with a label, metrics and an alias
  modelry push iris ./out --label 1.0 --metric accuracy=0.97 --param lr=0.01 --alias staging

  # Push two inputs; out/ keeps its name
  modelry push iris README.md ./out --tag team=vision

  # From CI: only committed code, recorded with the version
  modelry push iris ./out --require-clean

  # Record what it was made from
  modelry push churn ./model --dataset train=sales/3 --dataset eval=holdout@current --parent base@2 --run 8f2c1e

  # Push over a shared link without taking all of it
  modelry push llm ./checkpoint --limit-rate 50M`,
		Args: minArgs(2, "NAME PATH..."),
		RunE: a.run(func(cmd *cobra.Command, args []string) error { return a.push(cmd, args, f) }),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.label, "label", "", "label for the version, unique within the model (e.g. 1.0)")
	fl.StringVar(&f.description, "description", "", "what this version is")
	fl.StringArrayVar(&f.aliases, "alias", nil, "point this alias at the new version (repeatable)")
	fl.StringArrayVar(&f.metrics, "metric", nil, "metric as name=number (repeatable)")
	fl.StringArrayVar(&f.params, "param", nil, "parameter as key=value (repeatable)")
	fl.StringArrayVar(&f.tags, "tag", nil, "tag as key=value (repeatable)")
	fl.IntVar(&f.parallel, "parallel", 4, "how many files to upload at once")
	f.git.register(cmd)
	f.lineage.register(cmd)
	fl.BoolVar(&f.noChunking, "no-chunking", false, "send large files whole instead of only their chunks the server lacks (env MODELRY_CHUNKING=off)")
	fl.StringVar(&f.limitRate, "limit-rate", "", "cap the upload rate in bytes per second, e.g. 100M (K, M, G: powers of 1024)")
	return cmd
}

func (a *app) push(cmd *cobra.Command, args []string, f pushFlags) error {
	metrics, err := parseMetrics(cmd, f.metrics)
	if err != nil {
		return err
	}
	params, err := parseKV(cmd, "--param", f.params)
	if err != nil {
		return err
	}
	tags, err := parseKV(cmd, "--tag", f.tags)
	if err != nil {
		return err
	}
	rate, err := parseRate(f.limitRate)
	if err != nil {
		return usageErr(cmd, "--limit-rate: %v", err)
	}
	o := client.PushOptions{
		Label: f.label, Description: f.description, Metrics: metrics, Params: params,
		Tags: tags, Aliases: f.aliases, Parallelism: f.parallel, Progress: progressFor(a.stdout, a.stderr),
		Kind:       kindOf(cmd),
		NoChunking: f.noChunking || strings.EqualFold(a.getenv("MODELRY_CHUNKING"), "off"),
	}
	if err := f.lineage.apply(cmd, &o); err != nil {
		return err
	}
	git, err := f.git.source(cmd.Context(), cmd)
	if err != nil {
		return err
	}
	if git != nil {
		if o.Source == nil {
			o.Source = &client.Source{}
		}
		o.Source.Git = git // next to the run --run recorded
	}
	v, rep, err := a.client(client.WithUploadRateLimit(rate)).Push(cmd.Context(), args[0], args[1:], o)
	if err != nil {
		return err
	}
	return a.printPush(v, rep)
}

// pushJSON is the -o json shape of a push: the version plus what moved.
type pushJSON struct {
	client.Version
	Push pushReportJSON `json:"push"`
}

type pushReportJSON struct {
	Files         int   `json:"files"`
	Links         int   `json:"links"`
	Bytes         int64 `json:"bytes"`
	UploadedBytes int64 `json:"uploaded_bytes"`
	BlobsUploaded int   `json:"blobs_uploaded"`
	BlobsSkipped  int   `json:"blobs_skipped"`
	ChunkedFiles  int   `json:"chunked_files"`
	ReusedBytes   int64 `json:"reused_bytes"`
}

func (a *app) printPush(v client.Version, r client.PushReport) error {
	if a.json() {
		return writeJSON(a.stdout, pushJSON{v, pushReportJSON(r)})
	}
	files := fmt.Sprintf("%d file%s", r.Files, plural(r.Files))
	if r.Links > 0 {
		files += fmt.Sprintf(", %d link%s", r.Links, plural(r.Links))
	}
	reused := ""
	if r.ReusedBytes > 0 {
		reused = fmt.Sprintf(", %s of stored chunks reused", humanBytes(r.ReusedBytes))
	}
	_, err := fmt.Fprintf(a.stdout, "pushed %s %s (%s, %s, %s uploaded%s)\n",
		v.Ref(), v.Digest, files, humanBytes(r.Bytes), humanBytes(r.UploadedBytes), reused)
	return err
}

// parseRate reads a rate such as 100M, 1.5G, 500K or 1048576 (bytes per
// second; suffixes are powers of 1024). "" and "0" mean no limit.
func parseRate(s string) (int64, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "/s")
	if s == "" {
		return 0, nil
	}
	mult := 1.0
	switch strings.ToUpper(s[len(s)-1:]) {
	case "K":
		mult = 1 << 10
	case "M":
		mult = 1 << 20
	case "G":
		mult = 1 << 30
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a rate such as 100M, 500K or 1048576 (bytes per second)", s)
	}
	return int64(n * mult), nil
}
