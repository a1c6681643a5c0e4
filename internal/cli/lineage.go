package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
)

// lineageFlags are the lineage flags of 'modelry push' and 'modelry data
// push'.
type lineageFlags struct {
	datasets            []string // ROLE=REF, in order
	parent, run, runURI string
}

func (f *lineageFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.datasets, "dataset", nil, "dataset version used, as ROLE=REF, e.g. train=sales/3 (repeatable)")
	fl.StringVar(&f.parent, "parent", "", "version this one derives from, e.g. base@2 (same kind)")
	fl.StringVar(&f.run, "run", "", "ID of the training run (an MLflow run unless --run-uri says otherwise)")
	fl.StringVar(&f.runURI, "run-uri", "", "URI of the training run, for runs outside MLflow")
}

// apply puts the declared lineage and run into push options.
func (f *lineageFlags) apply(cmd *cobra.Command, o *client.PushOptions) error {
	var l client.LineageInput
	for _, d := range f.datasets {
		role, ref, ok := strings.Cut(d, "=")
		if !ok || role == "" || ref == "" {
			return usageErr(cmd, "--dataset %q is not ROLE=REF, e.g. train=sales/3", d)
		}
		l.Datasets = append(l.Datasets, client.DatasetInput{Role: role, Ref: ref})
	}
	l.Parent = f.parent
	if len(l.Datasets) > 0 || l.Parent != "" {
		o.Lineage = &l
	}
	if f.run == "" && f.runURI == "" {
		return nil
	}
	run := &client.RunSource{ID: f.run, URI: f.runURI}
	if f.runURI == "" {
		run.System = "mlflow"
	}
	if o.Source == nil {
		o.Source = &client.Source{}
	}
	o.Source.Run = run
	return nil
}

// printLineage prints a version's lineage lines for 'modelry show'.
func printLineage(w io.Writer, l client.Lineage) {
	for _, d := range l.Datasets {
		fmt.Fprintf(w, "%-14s%s/%d %s (as %s)\n", "dataset:", d.Name, d.Version, shortDigest(d.Digest), d.Ref)
	}
	if p := l.Parent; p != nil {
		fmt.Fprintf(w, "%-14s%s/%d %s (as %s)\n", "parent:", p.Name, p.Version, shortDigest(p.Digest), p.Ref)
	}
}

// graphOutputs are the -o values the lineage commands take.
const graphOutputs = "text, json or dot"

func (a *app) lineageCmd() *cobra.Command {
	cmd := a.graphCmd("lineage", true)
	cmd.Short = "Show what a version was made from: datasets, parent, recursively"
	cmd.Long = `Show the lineage of the version REF names: the dataset versions it was trained
or evaluated on, the version it derives from (its parent), and, recursively,
what those were made from, up to --depth steps away (default 10).

Every entry was resolved to one exact version and digest when the version was
pushed ('modelry push --dataset train=sales@current' records the version
sales@current pointed at then), so the answer never changes when aliases move.

-o text prints an indented tree: each line is ROLE: NAME/VERSION and the
version's kind, label, digest, git commit and run, when known; a version
reached twice is printed once. -o json prints the graph (root, nodes, edges),
as GET /api/v1/lineage returns it; -o dot prints a Graphviz graph.

` + refGrammar
	cmd.Example = `  modelry lineage churn/3
  modelry lineage churn@production --depth 1
  modelry lineage churn -o json
  modelry lineage churn -o dot | dot -Tsvg > churn.svg`
	return cmd
}

func (a *app) usedByCmd() *cobra.Command {
	cmd := a.graphCmd("used-by", false)
	cmd.Short = "Show which versions were made from a dataset or model version"
	cmd.Long = `Show which live versions used the version REF names, as a dataset or as their
parent, and recursively what was made from those, up to --depth steps away
(default 10). REF without a version (e.g. sales) means every version of that
name: "what did we ever train on sales?".

-o text prints an indented tree: each line is how a version used the one above
it ("as train in churn/3"), with its kind, label, digest, git commit and run.
-o json prints the graph (root, nodes, edges), as GET /api/v1/used-by returns
it; -o dot prints a Graphviz graph.

` + refGrammar
	cmd.Example = `  modelry used-by sales/3
  modelry used-by sales            # any version of sales
  modelry used-by base@2 --depth 1 -o json
  modelry used-by sales -o dot | dot -Tpng > sales.png`
	return cmd
}

// maxDepth is the most steps the server walks (registry.MaxGraphDepth).
const maxDepth = 100

// graphCmd builds the shared body of 'lineage' (upstream) and 'used-by'.
func (a *app) graphCmd(name string, upstream bool) *cobra.Command {
	var depth int
	cmd := &cobra.Command{
		Use:         name + " REF",
		Args:        exactArgs(1, "REF"),
		Annotations: map[string]string{outputsAnnotation: graphOutputs},
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("depth") && (depth < 1 || depth > maxDepth) {
				return usageErr(cmd, "--depth %d is out of range; give 1 to %d steps", depth, maxDepth)
			}
			c := a.client()
			walk := c.UsedBy
			if upstream {
				walk = c.Lineage
			}
			g, err := walk(cmd.Context(), args[0], depth)
			if err != nil {
				return err
			}
			switch a.output {
			case "json":
				return writeJSON(a.stdout, g)
			case "dot":
				return writeDot(a.stdout, g, name)
			}
			return writeTree(a.stdout, g, upstream)
		}),
	}
	cmd.Flags().IntVar(&depth, "depth", 0, "how many steps to walk, 1-100 (default 10)")
	return cmd
}
