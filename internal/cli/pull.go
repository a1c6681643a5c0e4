package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
)

func (a *app) pullCmd() *cobra.Command {
	var f struct {
		dest     string
		parallel int
	}
	cmd := &cobra.Command{
		Use:   "pull REF",
		Short: "Download a version's files into a directory",
		Long: `Download the files of the version REF names into a directory: --dest, or
./NAME (the model's name, in the current directory) when --dest is not given.
The directory is created if needed.

REF is one of:
  NAME                  the latest version
  NAME/NUMBER           a version number, e.g. iris/3
  NAME:LABEL            a version label, e.g. iris:1.0
  NAME@ALIAS            the version an alias points at, e.g. iris@production
  NAME@sha256:HEX       the version with that manifest digest
  models:/NAME/NUMBER   MLflow form; models:/NAME@ALIAS too

Every file is checked against its SHA-256 while it is written, then fsynced and
renamed into place, so an interrupted or corrupt download never leaves a
partial file. Files already in the directory with the right content are not
downloaded again; files the version does not list are left alone. Modes
(0755/0644) and symbolic links are restored.`,
		Example: `  # The latest version of iris, into ./iris
  modelry pull iris

  # What production runs, into a chosen directory
  modelry pull iris@production --dest /srv/models/iris`,
		Args: exactArgs(1, "REF"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			c := a.client()
			v, err := c.Resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			dest := f.dest
			if dest == "" {
				dest = v.Model
			}
			o := client.PullOptions{Parallelism: f.parallel, Progress: progressFor(a.stdout, a.stderr)}
			rep, err := c.PullVersion(cmd.Context(), v, dest, o)
			if err != nil {
				return err
			}
			return a.printPull(rep, dest)
		}),
	}
	cmd.Flags().StringVarP(&f.dest, "dest", "d", "", "directory to write the files into (default ./NAME)")
	cmd.Flags().IntVar(&f.parallel, "parallel", 4, "how many files to download at once")
	return cmd
}

func (a *app) printPull(r client.PullReport, dest string) error {
	if a.json() {
		return writeJSON(a.stdout, struct {
			client.Version
			Pull any `json:"pull"`
		}{r.Version, map[string]any{
			"dest": dest, "files": r.Files, "links": r.Links, "bytes": r.Bytes,
			"downloaded_bytes": r.DownloadedBytes, "skipped": r.Skipped,
		}})
	}
	files := fmt.Sprintf("%d file%s", r.Files, plural(r.Files))
	if r.Links > 0 {
		files += fmt.Sprintf(", %d link%s", r.Links, plural(r.Links))
	}
	_, err := fmt.Fprintf(a.stdout, "pulled %s %s into %s (%s, %s, %s downloaded)\n",
		r.Version.Ref(), r.Version.Digest, dest, files, humanBytes(r.Bytes), humanBytes(r.DownloadedBytes))
	return err
}
