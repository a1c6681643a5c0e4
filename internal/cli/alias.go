package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
)

func (a *app) aliasCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alias",
		Short: "Point, remove and inspect aliases such as production",
		Long: `An alias is a movable name, such as production or staging, that points at one
version of a model; NAME@ALIAS names that version anywhere a REF is taken.
Every move is recorded (who, when, from, to, why), so 'alias history' tells
what an alias pointed at at any moment and 'modelry rollback' undoes a move.

Alias names are 1-63 letters, digits, '-' and '_', starting with a letter or
'_'; "latest" is reserved.`,
		Example: `  modelry alias set iris production 3
  modelry alias ls iris
  modelry alias history iris production`,
		Args: noArgs,
	}
	cmd.AddCommand(a.aliasSetCmd(), a.aliasRmCmd(), a.aliasLsCmd(), a.aliasHistoryCmd())
	return cmd
}

func (a *app) aliasSetCmd() *cobra.Command {
	var f struct {
		expect int64
		reason string
	}
	cmd := &cobra.Command{
		Use:   "set NAME ALIAS VERSION",
		Short: "Point an alias at a version",
		Long: `Point alias ALIAS of model NAME at VERSION, creating the alias if needed, and
record the move in the alias's history.

VERSION is a version number (3), or any reference to a version of the same
model (iris:1.0, iris@staging), or the same without the model name (:1.0,
@staging).

--expect N makes the move a compare-and-set: it happens only if the alias
points at version N right now (--expect 0: only if the alias is not set yet),
so two people promoting at once cannot silently overwrite each other.`,
		Example: `  modelry alias set iris production 3
  modelry alias set iris production @staging --reason "passed canary"
  modelry alias set iris production 4 --expect 3`,
		Args: exactArgs(3, "NAME ALIAS VERSION"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			c := a.client()
			n, err := versionNumber(cmd, c, args[0], args[2])
			if err != nil {
				return err
			}
			o := client.AliasOptions{Reason: f.reason}
			if cmd.Flags().Changed("expect") {
				o.Expect = client.Expect(f.expect)
			}
			m, err := c.SetAlias(cmd.Context(), args[0], args[1], n, o)
			if err != nil {
				return err
			}
			return a.printMove(m, args[0], args[1], "")
		}),
	}
	cmd.Flags().Int64Var(&f.expect, "expect", 0, "only move if the alias points at this version now (0: not set)")
	cmd.Flags().StringVar(&f.reason, "reason", "", "why, recorded in the history")
	return cmd
}

// versionNumber reads VERSION: a number, a reference to a version of model,
// or a label or alias of model written as :LABEL or @ALIAS.
func versionNumber(cmd *cobra.Command, c *client.Client, model, s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	switch {
	case strings.HasPrefix(s, ":") || strings.HasPrefix(s, "@"):
		s = model + s
	case !strings.ContainsAny(s, "/:@"):
		return 0, usageErr(cmd, "VERSION %q is not a number or a reference such as %s:1.0 or %s@staging", s, model, model)
	}
	v, err := c.Resolve(cmd.Context(), s)
	if err != nil {
		return 0, err
	}
	if v.Model != model {
		return 0, fmt.Errorf("%s is a version of model %q, not of %q", s, v.Model, model)
	}
	return v.Version, nil
}

func (a *app) aliasRmCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "rm NAME ALIAS",
		Short: "Remove an alias",
		Long: `Remove alias ALIAS of model NAME. The version it pointed at stays; the removal
is recorded in the alias's history, so 'modelry rollback' can restore it.`,
		Example: `  modelry alias rm iris staging --reason "retired"`,
		Args:    exactArgs(2, "NAME ALIAS"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			m, err := a.client().RemoveAlias(cmd.Context(), args[0], args[1], client.AliasOptions{Reason: reason})
			if err != nil {
				return err
			}
			return a.printMove(m, args[0], args[1], "")
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded in the history")
	return cmd
}

func (a *app) aliasLsCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "ls NAME",
		Short:   "List the aliases of a model",
		Long:    `List every alias of model NAME with the version it points at and its last move. -o json prints a JSON array of alias objects.`,
		Example: `  modelry alias ls iris`,
		Args:    exactArgs(1, "NAME"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			aliases, err := a.client().ListAliases(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, nonNilSlice(aliases))
			}
			t := newTable(a.stdout, "ALIAS", "VERSION", "UPDATED", "BY")
			for _, al := range aliases {
				t.row(al.Alias, strconv.FormatInt(al.Version, 10), when(al.UpdatedAt), al.UpdatedBy)
			}
			return t.flush()
		}),
	}
}

func (a *app) rollbackCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "rollback NAME ALIAS",
		Short: "Move an alias back to the version it pointed at before",
		Long: `Move alias ALIAS of model NAME back to where it pointed before its last move,
and record that as a new move (so a second rollback undoes the first). If the
alias did not exist before its last move, rollback removes it.`,
		Example: `  modelry rollback iris production
  modelry rollback iris production --reason "latency regression"`,
		Args: exactArgs(2, "NAME ALIAS"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			m, err := a.client().RollbackAlias(cmd.Context(), args[0], args[1], reason)
			if err != nil {
				return err
			}
			return a.printMove(m, args[0], args[1], " (rolled back)")
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded in the history")
	return cmd
}

// printMove prints "iris@production: 2 -> 3".
func (a *app) printMove(m client.AliasMove, model, alias, note string) error {
	if a.json() {
		return writeJSON(a.stdout, m)
	}
	if m.Seq == 0 {
		_, err := fmt.Fprintf(a.stdout, "%s@%s already points at %s; nothing changed\n", model, alias, versionOrDash(m.To))
		return err
	}
	_, err := fmt.Fprintf(a.stdout, "%s@%s: %s -> %s%s\n", model, alias, versionOrDash(m.From), versionOrDash(m.To), note)
	return err
}

// parseTime reads --at: RFC 3339, or "2006-01-02 15:04[:05]" or a date, in
// local time.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if layout == time.RFC3339Nano {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
			continue
		}
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time; use e.g. 2026-11-20T14:00:00Z or \"2026-11-20 14:00\"", s)
}
