package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/modelry/modelry/client"
)

// The 'modelry data' commands are the model commands acting on datasets:
// each is built by the same function as its model twin, marked with the
// dataset kind (kindOf reads it back) and given its own help. Datasets and
// models share one namespace of names and the same store, references,
// aliases and tags; the server refuses a push of the wrong kind.

// kindAnnotation marks a command with the kind of name it acts on.
const kindAnnotation = "modelry.kind"

// kindOf returns the kind of name cmd acts on: KindDataset under
// 'modelry data', else KindModel.
func kindOf(cmd *cobra.Command) string {
	if k := cmd.Annotations[kindAnnotation]; k != "" {
		return k
	}
	return client.KindModel
}

// asDataset marks cmd and its subcommands as acting on datasets, and turns
// the model wording of their help into dataset wording.
func asDataset(cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[kindAnnotation] = client.KindDataset
	cmd.Short = datasetWords.Replace(cmd.Short)
	cmd.Long = datasetWords.Replace(cmd.Long)
	cmd.Example = datasetWords.Replace(cmd.Example)
	cmd.Flags().VisitAll(func(f *pflag.Flag) { f.Usage = datasetWords.Replace(f.Usage) })
	for _, sub := range cmd.Commands() {
		asDataset(sub)
	}
	return cmd
}

// datasetWords rewrites the help of a model command for its dataset twin.
// It matches whole phrases of those texts, so that the grammar of
// references (models:/NAME/3) stays as it is.
var datasetWords = strings.NewReplacer(
	"modelry alias", "modelry data alias",
	"modelry rollback", "modelry data rollback",
	"modelry versions", "modelry data versions",
	"modelry show", "modelry data show",
	"modelry pull", "modelry data pull",
	"modelry tag", "modelry data tag",
	"'modelry tag'", "'modelry data tag'",
	"'modelry rollback'", "'modelry data rollback'",
	"iris", "sales",
	"version of a model", "version of a dataset",
	"versions of a model", "versions of a dataset",
	"versions of model NAME", "versions of dataset NAME",
	"of model NAME", "of dataset NAME",
	"aliases of a model", "aliases of a dataset",
	"the same model", "the same dataset",
	"the same\nmodel", "the same\ndataset",
	"the model name", "the dataset name",
	"within the model", "within the dataset",
	"only models whose", "only datasets whose",
	"only models with", "only datasets with",
	"What production runs", "What current points at",
	"--rm stage", "--rm split",
	"the model's name", "the dataset's name",
	"a model's files", "a dataset's files",
	"./models/iris", "./data/sales",
	"/srv/models/", "/srv/data/",
	"--dest /srv/models/iris", "--dest /srv/data/sales",
	"stage=candidate", "split=2024q1",
	"reviewed-by=ana", "checked-by=ana",
	"production", "current",
	"staging", "next",
	"passed canary", "validated",
	"latency regression", "bad rows",
	"accuracy", "rows",
)

func (a *app) dataCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Version datasets: push, pull, list, alias and tag them",
		Long: `Datasets are versioned like models, in the same store: every 'data push'
creates an immutable, numbered version with a content digest; unchanged files
are never sent or stored twice, whichever model or dataset already holds them;
aliases (sales@current) and tags work as they do for models.

Models and datasets share one namespace: a name is one or the other, fixed by
its first push. 'modelry push' to a dataset's name is refused, and so is
'modelry data push' to a model's.

Model versions record the dataset versions they were trained and evaluated on
('modelry push NAME PATH --dataset train=sales/3'); 'modelry lineage' and
'modelry used-by' query that record both ways.

` + datasetWords.Replace(refGrammar),
		Example: `  modelry data push sales ./sales.csv --label 2024-q1 --alias current
  modelry data versions sales
  modelry data pull sales@current -d ./data
  modelry push churn ./model --dataset train=sales@current
  modelry used-by sales`,
		Args: noArgs,
	}
	push := a.pushCmd()
	push.Use = "push NAME PATH..."
	push.Short = "Upload files or a directory as a new version of a dataset"
	push.Long = `Upload files or a directory as the next version of dataset NAME, creating the
dataset if it does not exist yet, and print the new version's number and digest.
NAME must not be a model's name.

Paths are stored as 'modelry push' stores them: one file under its base name,
one directory by its contents, several paths by their base names. Only files
the server does not hold yet are uploaded.

--label names the version (e.g. 2024-q1, usable as NAME:LABEL); --alias points
aliases such as current at it. A dataset derived from others can say so with
--dataset ROLE=REF (e.g. --dataset source=raw/3) and --parent REF (an earlier
version of a dataset it was edited from).`
	push.Example = `  # Push a file, with a label and the alias "current"
  modelry data push sales ./sales.csv --label 2024-q1 --alias current

  # Push a folder of Parquet files, with tags and a row count
  modelry data push clicks ./clicks/ --tag source=warehouse --metric rows=1200000

  # A cleaned dataset made from a raw one
  modelry data push sales-clean ./clean.parquet --dataset source=sales-raw/4`
	pull := a.pullCmd()
	pull.Use = "pull REF"
	ls := a.modelsCmd()
	ls.Use, ls.Aliases = "ls", nil
	ls.Short = "List datasets"
	ls.Long = `List the datasets on the server, ordered by name, with their number of live
versions, latest version number and aliases. Filter by name prefix, by tag
(KEY or KEY=VALUE) or by alias. 'modelry models' lists models and datasets
together. -o json prints a JSON array of objects with "kind": "dataset".`
	ls.Example = `  modelry data ls
  modelry data ls --prefix sales --tag team=growth -o json`
	cmd.AddCommand(asDataset(push), asDataset(pull), asDataset(a.versionsCmd()), asDataset(ls), asDataset(a.showCmd()),
		asDataset(a.aliasCmd()), asDataset(a.rollbackCmd()), asDataset(a.tagCmd()))
	ls.Flags().MarkHidden("kind")
	return cmd
}
