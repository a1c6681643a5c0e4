package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
)

func (a *app) tagCmd() *cobra.Command {
	var remove []string
	cmd := &cobra.Command{
		Use:   "tag REF [key=value...]",
		Short: "Set or remove tags on a version",
		Long: `Set tags (key=value) on the version REF names, and remove tags with --rm KEY.
Tags are the editable part of a version; its files, metrics and params never
change. Listings filter on tags (modelry versions NAME --tag key=value).

` + refGrammar,
		Example: `  modelry tag iris/3 stage=candidate reviewed-by=ana
  modelry tag iris@production --rm stage`,
		Args: minArgs(1, "REF [key=value...]"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			set, err := parseKV(cmd, "tag", args[1:])
			if err != nil {
				return err
			}
			if len(set) == 0 && len(remove) == 0 {
				return usageErr(cmd, "give tags to set as key=value, or --rm KEY to remove one")
			}
			c := a.client()
			v, err := c.Resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			v, err = c.PatchVersion(cmd.Context(), v.Model, v.Version, client.Patch{SetTags: set, RemoveTags: remove})
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, v)
			}
			_, err = fmt.Fprintf(a.stdout, "tagged %s: %s\n", v.Ref(), joinMap(v.Tags))
			return err
		}),
	}
	cmd.Flags().StringArrayVar(&remove, "rm", nil, "remove this tag key (repeatable)")
	return cmd
}

func (a *app) deleteCmd() *cobra.Command {
	var model bool
	cmd := &cobra.Command{
		Use:   "delete REF | delete --model NAME",
		Short: "Delete a version, or a whole model",
		Long: `Delete the version REF names. The version disappears from listings and
references, its number is never given again, and its files stay stored until
garbage collection. A version that an alias points at cannot be deleted: move
or remove the alias first.

REF must name one version explicitly (iris/3, iris:1.0, iris@sha256:...): a
bare NAME is refused, so that "delete iris" cannot remove a version by
accident. With --model, NAME is a model to delete with all its versions and
aliases; that needs an admin token.

` + refGrammar,
		Example: `  modelry delete iris/3
  modelry delete iris:1.0-rc1
  modelry delete --model scratch-experiment`,
		Args: exactArgs(1, "REF (or NAME with --model)"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			c := a.client()
			if model {
				if err := c.DeleteModel(cmd.Context(), args[0]); err != nil {
					return err
				}
				_, err := fmt.Fprintf(a.stdout, "deleted model %s\n", args[0])
				return err
			}
			if !strings.ContainsAny(args[0], "/:@") {
				return usageErr(cmd, "%q names no version; give one explicitly (e.g. %s/3), or use --model to delete the whole model", args[0], args[0])
			}
			v, err := c.Resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if v, err = c.DeleteVersion(cmd.Context(), v.Model, v.Version); err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, v)
			}
			_, err = fmt.Fprintf(a.stdout, "deleted %s %s\n", v.Ref(), v.Digest)
			return err
		}),
	}
	cmd.Flags().BoolVar(&model, "model", false, "delete the whole model NAME (admin)")
	return cmd
}
