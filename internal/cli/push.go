package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
)

// pushFlags are the flags of 'modelry push'.
type pushFlags struct {
	label, description             string
	aliases, metrics, params, tags []string
	parallel                       int
	lineage                        lineageFlags
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

--label gives the version a name unique within the model (e.g. 1.0, usable as
NAME:LABEL); --alias points aliases at it in the same step. Metrics are
numbers, params and tags are strings; tags stay editable later ('modelry tag').

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

  # Record what it was made from
  modelry push churn ./model --dataset train=sales/3 --dataset eval=holdout@current --parent base@2 --run 8f2c1e`,
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
	f.lineage.register(cmd)
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
	o := client.PushOptions{
		Label: f.label, Description: f.description, Metrics: metrics, Params: params,
		Tags: tags, Aliases: f.aliases, Parallelism: f.parallel, Progress: progressFor(a.stdout, a.stderr),
		Kind: kindOf(cmd),
	}
	if err := f.lineage.apply(cmd, &o); err != nil {
		return err
	}
	v, rep, err := a.client().Push(cmd.Context(), args[0], args[1:], o)
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
}

func (a *app) printPush(v client.Version, r client.PushReport) error {
	if a.json() {
		return writeJSON(a.stdout, pushJSON{v, pushReportJSON(r)})
	}
	files := fmt.Sprintf("%d file%s", r.Files, plural(r.Files))
	if r.Links > 0 {
		files += fmt.Sprintf(", %d link%s", r.Links, plural(r.Links))
	}
	_, err := fmt.Fprintf(a.stdout, "pushed %s %s (%s, %s, %s uploaded)\n",
		v.Ref(), v.Digest, files, humanBytes(r.Bytes), humanBytes(r.UploadedBytes))
	return err
}
