package cli

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
)

const refGrammar = `REF is one of:
  NAME                  the latest version
  NAME/NUMBER           a version number, e.g. iris/3
  NAME:LABEL            a version label, e.g. iris:1.0
  NAME@ALIAS            the version an alias points at, e.g. iris@production
  NAME@sha256:HEX       the version with that manifest digest
  models:/NAME/NUMBER   MLflow form; models:/NAME@ALIAS too`

func (a *app) modelsCmd() *cobra.Command {
	var q client.ModelQuery
	cmd := &cobra.Command{
		Use:     "models",
		Aliases: []string{"ls"},
		Short:   "List models and datasets",
		Long: `List the names on the server, ordered by name: models and datasets (KIND),
with their number of live versions, latest version number and aliases. Filter
by kind (--kind model or --kind dataset), by name prefix, by tag (KEY to have
the tag, KEY=VALUE to match it) or by alias (only names with that alias set).
-o json prints a JSON array of model objects, each with its "kind".`,
		Example: `  modelry models
  modelry ls --kind dataset
  modelry models --prefix iris --tag team=vision
  modelry models --alias production -o json`,
		Args: noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			if k := kindOf(cmd); k != client.KindModel { // 'modelry data ls'
				if q.Kind != "" && q.Kind != k {
					return usageErr(cmd, "%s lists only %ss; use 'modelry models --kind %s'", subPath(cmd), k, q.Kind)
				}
				q.Kind = k
			}
			models, err := client.Collect(a.client().Models(cmd.Context(), q))
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, nonNilSlice(models))
			}
			t := newTable(a.stdout, "NAME", "KIND", "VERSIONS", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION")
			for _, m := range models {
				t.row(m.Name, m.Kind, strconv.FormatInt(m.VersionCount, 10), versionOrDash(m.LastVersion),
					aliasList(m.Aliases), when(m.UpdatedAt), orDash(firstLine(m.Description)))
			}
			return t.flush()
		}),
	}
	cmd.Flags().StringVar(&q.Kind, "kind", "", "only names of this kind: model or dataset")
	cmd.Flags().StringVar(&q.Prefix, "prefix", "", "only models whose name starts with this")
	cmd.Flags().StringVar(&q.Tag, "tag", "", "only models with this tag: KEY or KEY=VALUE")
	cmd.Flags().StringVar(&q.Alias, "alias", "", "only models with this alias set")
	return cmd
}

func (a *app) versionsCmd() *cobra.Command {
	var q client.VersionQuery
	cmd := &cobra.Command{
		Use:   "versions NAME",
		Short: "List the versions of a model, newest first",
		Long: `List the versions of model NAME, newest first: number, label, manifest digest,
size, aliases pointing at it and creation time. Filter by tag (KEY or
KEY=VALUE); --deleted includes soft-deleted versions. -o json prints a JSON
array of version objects (model, version, label, digest, aliases, metrics,
params, tags, created_at, files, ...).`,
		Example: `  modelry versions iris
  modelry versions iris --tag stage=candidate -o json`,
		Args: exactArgs(1, "NAME"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			versions, err := client.Collect(a.client().Versions(cmd.Context(), args[0], q))
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, nonNilSlice(versions))
			}
			t := newTable(a.stdout, "VERSION", "LABEL", "DIGEST", "SIZE", "ALIASES", "CREATED", "BY")
			for _, v := range versions {
				num := strconv.FormatInt(v.Version, 10)
				if v.DeletedAt != nil {
					num += " (deleted)"
				}
				t.row(num, orDash(v.Label), shortDigest(v.Digest), humanBytes(v.Size),
					orDash(strings.Join(v.Aliases, ",")), when(v.CreatedAt), v.CreatedBy)
			}
			return t.flush()
		}),
	}
	cmd.Flags().StringVar(&q.Tag, "tag", "", "only versions with this tag: KEY or KEY=VALUE")
	cmd.Flags().BoolVar(&q.IncludeDeleted, "deleted", false, "include deleted versions")
	return cmd
}

func (a *app) showCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show REF",
		Short: "Show one version: metadata, metrics and files",
		Long: `Show the version REF names: number, label, digest, aliases, metrics, params,
tags, provenance and its files. -o json prints the version object.

` + refGrammar,
		Example: `  modelry show iris
  modelry show iris@production
  modelry show iris:1.0 -o json`,
		Args: exactArgs(1, "REF"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			v, err := a.client().Resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, v)
			}
			return a.printVersion(v, kindOf(cmd))
		}),
	}
}

func (a *app) printVersion(v client.Version, kind string) error {
	w := a.stdout
	fmt.Fprintf(w, "%-14s%s\n", kind+":", v.Model)
	fmt.Fprintf(w, "version:      %d\n", v.Version)
	fmt.Fprintf(w, "label:        %s\n", orDash(v.Label))
	fmt.Fprintf(w, "digest:       %s\n", v.Digest)
	links := 0
	for _, f := range v.Files {
		if f.IsLink() {
			links++
		}
	}
	files := len(v.Files) - links
	fmt.Fprintf(w, "size:         %s in %d file%s", humanBytes(v.Size), files, plural(files))
	if links > 0 {
		fmt.Fprintf(w, " and %d link%s", links, plural(links))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "aliases:      %s\n", orDash(strings.Join(v.Aliases, ", ")))
	fmt.Fprintf(w, "created:      %s by %s\n", when(v.CreatedAt), v.CreatedBy)
	fmt.Fprintf(w, "description:  %s\n", orDash(firstLine(v.Description)))
	fmt.Fprintf(w, "metrics:      %s\n", joinMap(v.Metrics))
	fmt.Fprintf(w, "params:       %s\n", joinMap(v.Params))
	fmt.Fprintf(w, "tags:         %s\n", joinMap(v.Tags))
	if g := v.Source.Git; g != nil {
		fmt.Fprintf(w, "git:          %s %s %s\n", g.Remote, g.Branch, g.Commit)
	}
	if r := v.Source.Run; r != nil {
		fmt.Fprintf(w, "run:          %s\n", strings.Join(slices.DeleteFunc([]string{r.System, r.ID, r.URI}, func(s string) bool { return s == "" }), " "))
	}
	printLineage(w, v.Lineage)
	fmt.Fprintln(w, "files:")
	t := newTable(w, "  PATH", "SIZE", "MODE", "DIGEST")
	for _, f := range v.Files {
		if f.IsLink() {
			t.row("  "+f.Path+" -> "+f.Target, "-", "link", "-")
			continue
		}
		t.row("  "+f.Path, humanBytes(f.Size), fmt.Sprintf("%04o", f.Mode), shortDigest(f.Digest))
	}
	return t.flush()
}

// aliasList renders alias -> version as "production=3,staging=4".
func aliasList(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, ",")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// nonNilSlice makes empty listings print as [] rather than null.
func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
