package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
)

func (a *app) aliasHistoryCmd() *cobra.Command {
	var at string
	cmd := &cobra.Command{
		Use:   "history NAME ALIAS",
		Short: "Show every move of an alias, newest first",
		Long: `Show the moves of alias ALIAS of model NAME, newest first: when, from which
version to which, by whom and why (version "-" means the alias was not set).

--at TIME answers "what did the alias point at then?": only moves at or before
TIME are listed, and the first line says where the alias pointed. TIME is
RFC 3339 (2026-11-20T14:00:00Z) or local time as "2026-11-20 14:00" or a date.
-o json prints a JSON array of move objects.`,
		Example: `  modelry alias history iris production
  modelry alias history iris production --at "2026-11-20 14:00"`,
		Args: exactArgs(2, "NAME ALIAS"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			var q client.HistoryQuery
			if at != "" {
				t, err := parseTime(at)
				if err != nil {
					return usageErr(cmd, "--at: %s", err)
				}
				q.At = t
			}
			moves, err := client.Collect(a.client().AliasHistory(cmd.Context(), args[0], args[1], q))
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, nonNilSlice(moves))
			}
			if at != "" {
				a.printAt(args[0], args[1], at, moves)
				if len(moves) == 0 {
					return nil
				}
			}
			t := newTable(a.stdout, "SEQ", "AT", "FROM", "TO", "BY", "REASON")
			for _, m := range moves {
				t.row(strconv.FormatInt(m.Seq, 10), when(m.At), versionOrDash(m.From), versionOrDash(m.To), m.Actor, orDash(m.Reason))
			}
			return t.flush()
		}),
	}
	cmd.Flags().StringVar(&at, "at", "", "only moves at or before this time; says where the alias pointed then")
	return cmd
}

func (a *app) printAt(model, alias, at string, moves []client.AliasMove) {
	switch {
	case len(moves) == 0:
		fmt.Fprintf(a.stdout, "at %s, %s@%s did not exist yet\n\n", at, model, alias)
	case moves[0].To == 0:
		fmt.Fprintf(a.stdout, "at %s, %s@%s was not set (removed %s)\n\n", at, model, alias, when(moves[0].At))
	default:
		fmt.Fprintf(a.stdout, "at %s, %s@%s pointed at version %d (since %s)\n\n", at, model, alias, moves[0].To, when(moves[0].At))
	}
}

func (a *app) eventsCmd() *cobra.Command {
	var q client.EventQuery
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Show the audit log: every change and who made it",
		Long: `Show the server's append-only audit log, oldest first: pushes, deletes, alias
moves, tag changes, tokens created and revoked, each with its actor.

--after N shows only events after sequence number N (to read on from where a
previous call stopped); --model and --type filter (types look like
version.created, alias.set, token.created). -o json prints a JSON array of
event objects.`,
		Example: `  modelry events
  modelry events --model iris --type alias.set
  modelry events --after 120 -o json`,
		Args: noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			events, err := client.Collect(a.client().Events(cmd.Context(), q))
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, nonNilSlice(events))
			}
			t := newTable(a.stdout, "SEQ", "AT", "TYPE", "ACTOR", "MODEL", "VERSION", "DATA")
			for _, e := range events {
				t.row(strconv.FormatInt(e.Seq, 10), when(e.At), e.Type, e.Actor, orDash(e.Model), versionOrDash(e.Version), joinMap(e.Data))
			}
			return t.flush()
		}),
	}
	cmd.Flags().Int64Var(&q.After, "after", 0, "only events with a sequence number greater than this")
	cmd.Flags().StringVar(&q.Model, "model", "", "only events of this model")
	cmd.Flags().StringVar(&q.Type, "type", "", "only events of this type, e.g. alias.set")
	return cmd
}
