package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) tokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens (admin)",
		Long: `API tokens authenticate every call. Each has a role:
  reader   read models, versions, aliases, files and events
  writer   also push, tag, delete versions and move aliases
  admin    also manage tokens and delete whole models
The server stores only a hash of each token; a secret is shown once, when it
is created. These commands need an admin token.`,
		Example: `  modelry token create --name ci --role writer
  modelry token ls
  modelry token revoke 3f2a...`,
		Args: noArgs,
	}
	cmd.AddCommand(a.tokenCreateCmd(), a.tokenLsCmd(), a.tokenRevokeCmd())
	return cmd
}

func (a *app) tokenCreateCmd() *cobra.Command {
	var name, role string
	cmd := &cobra.Command{
		Use:   "create --name NAME --role reader|writer|admin",
		Short: "Create a token and print its secret, once",
		Long: `Create an API token. Its secret goes to standard output alone on one line (so
that TOKEN=$(modelry token create ...) captures it) and is never shown again;
what was created is described on standard error. -o json prints the token
object with its secret in "token".`,
		Example: `  modelry token create --name ci --role writer
  MODELRY_TOKEN=$(modelry token create --name dashboards --role reader)`,
		Args: noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			if name == "" || role == "" {
				return usageErr(cmd, "token create needs --name and --role")
			}
			t, err := a.client().CreateToken(cmd.Context(), name, role)
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, t)
			}
			fmt.Fprintf(a.stderr, "created token %q (role %s, id %s); its secret, shown only this once:\n", t.Name, t.Role, t.ID)
			_, err = fmt.Fprintln(a.stdout, t.Secret)
			return err
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "what the token is for, e.g. ci (required)")
	cmd.Flags().StringVar(&role, "role", "", "reader, writer or admin (required)")
	return cmd
}

func (a *app) tokenLsCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "ls",
		Short:   "List tokens, without their secrets",
		Long:    `List every API token: id, name, role, who created it and when, and whether it was revoked. -o json prints a JSON array of token objects.`,
		Example: `  modelry token ls`,
		Args:    noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			tokens, err := a.client().ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, nonNilSlice(tokens))
			}
			t := newTable(a.stdout, "ID", "NAME", "ROLE", "CREATED", "BY", "REVOKED")
			for _, tok := range tokens {
				revoked := "-"
				if tok.RevokedAt != nil {
					revoked = when(*tok.RevokedAt)
				}
				t.row(tok.ID, tok.Name, tok.Role, when(tok.CreatedAt), tok.CreatedBy, revoked)
			}
			return t.flush()
		}),
	}
}

func (a *app) tokenRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "revoke ID",
		Short:   "Revoke a token",
		Long:    `Revoke the token with id ID ('modelry token ls' shows ids). Calls made with it fail from then on.`,
		Example: `  modelry token revoke 3f2a9c`,
		Args:    exactArgs(1, "ID"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			if err := a.client().RevokeToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			_, err := fmt.Fprintf(a.stdout, "revoked token %s\n", args[0])
			return err
		}),
	}
}
