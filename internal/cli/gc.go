package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
)

func (a *app) gcCmd() *cobra.Command {
	var dryRun bool
	var grace string
	cmd := &cobra.Command{
		Use:   "gc [--dry-run] [--grace DURATION]",
		Short: "Delete stored files no live version uses (admin)",
		Long: `Collect garbage: delete the blobs (stored file contents, and the chunks of
large files) that no live version of any model or dataset and no MLflow run
artifact references, and report what was reclaimed. Deleting a version or a
model only hides it; its files stay until a collection finds them unused.

The server keeps serving while it runs: pushes, pulls and uploads go on, and
a version being created never loses a file it is about to reference.

The grace period (--grace, default 1h) protects uploads in flight: a file
uploaded, or reported present to a client, less than that long ago is kept
even if no version uses it yet, because the push that sent it may not have
created its version yet. Set it longer than your slowest push. --grace 0
keeps nothing that is unused; a push running at that moment may fail with
MISSING_BLOBS, and pushing again uploads only what is missing.

--dry-run reports what would be deleted and deletes nothing. -o json prints
the full report. Needs an admin token.`,
		Example: `  modelry gc --dry-run                 # what would a collection reclaim?
  modelry gc                           # delete what has been unused for an hour or more
  modelry gc --grace 24h               # be generous with slow uploads
  modelry gc --grace 0 -o json         # reclaim everything unused now; JSON report`,
		Args: noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			if _, err := time.ParseDuration(grace); err != nil {
				return usageErr(cmd, "--grace %q is not a duration; give a number with a unit, such as 1h, 30m or 0", grace)
			}
			rep, err := a.client().CollectGarbage(cmd.Context(), client.GCOptions{DryRun: dryRun, Grace: grace})
			if err != nil {
				return err
			}
			if a.json() {
				if err := writeJSON(a.stdout, rep); err != nil {
					return err
				}
			} else {
				printGCReport(a, rep)
			}
			if rep.ErrorCount > 0 {
				return fmt.Errorf("%d blob(s) could not be deleted; run gc again, and see the server log if this persists", rep.ErrorCount)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "report what would be deleted; delete nothing")
	cmd.Flags().StringVar(&grace, "grace", "1h", "keep unused files written or touched this recently (90s, 30m, 1h, 0)")
	return cmd
}

func printGCReport(a *app, rep client.GCReport) {
	recipes := ""
	if rep.RecipesDeleted > 0 {
		recipes = fmt.Sprintf(" (%d of them chunked files)", rep.RecipesDeleted)
	}
	blobs := fmt.Sprintf("%d blob%s", rep.BlobsDeleted, plural(int(rep.BlobsDeleted)))
	if rep.DryRun {
		fmt.Fprintln(a.stdout, "Dry run: nothing was deleted.")
		fmt.Fprintf(a.stdout, "would delete %s%s, reclaiming %s\n", blobs, recipes, humanBytes(rep.BytesDeleted))
	} else {
		fmt.Fprintf(a.stdout, "deleted %s%s, reclaimed %s\n", blobs, recipes, humanBytes(rep.BytesDeleted))
	}
	fmt.Fprintf(a.stdout, "kept %d in use (%s) and %d unused but written or touched within the grace period of %s (%s)\n",
		rep.BlobsLive, humanBytes(rep.BytesLive), rep.BlobsYoung, rep.Grace, humanBytes(rep.BytesYoung))
	fmt.Fprintf(a.stdout, "scanned %d blob%s (%s) in %s\n", rep.BlobsScanned, plural(int(rep.BlobsScanned)),
		humanBytes(rep.BytesScanned), rep.FinishedAt.Sub(rep.StartedAt).Round(time.Millisecond))
	for _, e := range rep.Errors {
		fmt.Fprintf(a.stderr, "error: %s\n", e)
	}
}
