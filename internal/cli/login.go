package cli

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/modelry/modelry/client"
)

func (a *app) loginCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "login [--token TOKEN]",
		Short: "Save a token for the server, after checking it",
		Long: `Check a token against the server (--url, $MODELRY_URL or ` + DefaultURL + `) and save
it, so that later commands need neither --token nor $MODELRY_TOKEN. The server
becomes the default for later commands too (--url and $MODELRY_URL still win).

Without --token the token is read from standard input (typed without echo at a
terminal, or piped), which keeps it out of the shell history. It is saved in
$XDG_CONFIG_HOME/modelry/config.json (else ~/.config/modelry/config.json),
readable only by you, and used only for the server it was saved for.`,
		Example: `  modelry login
  echo "$TOKEN" | modelry login --url https://models.example.com
  modelry login --token "$TOKEN"`,
		Args: noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			token := a.token
			if token == "" {
				var err error
				if token, err = a.readToken(); err != nil {
					return err
				}
			}
			url := a.serverURL()
			who, err := client.New(url, client.WithToken(token), client.WithUserAgent("modelry-cli/1")).Whoami(cmd.Context())
			if err != nil {
				return err
			}
			cfg, err := loadConfig(a.getenv)
			if err != nil {
				return err
			}
			cfg.URL, cfg.Servers[url] = url, serverConfig{Token: token}
			path, err := saveConfig(a.getenv, cfg)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "logged in to %s as %s (%s); token saved in %s\n", url, who.Name, who.Role, path)
			return err
		}),
	}
	return cmd
}

// readToken reads one line from standard input, without echo at a terminal.
func (a *app) readToken() (string, error) {
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(a.stderr, "Token: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" {
		if err != nil && err.Error() != "EOF" {
			return "", err
		}
		return "", fmt.Errorf("no token given: pass --token, or type or pipe it on standard input")
	}
	return line, nil
}

func (a *app) whoamiCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "whoami",
		Short:   "Show which token you are using and its role",
		Long:    `Ask the server who the current token belongs to and what role it has. Useful to check --url, $MODELRY_TOKEN or a saved login.`,
		Example: `  modelry whoami`,
		Args:    noArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			who, err := a.client().Whoami(cmd.Context())
			if err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.stdout, who)
			}
			_, err = fmt.Fprintf(a.stdout, "%s (%s) at %s\n", who.Name, who.Role, a.serverURL())
			return err
		}),
	}
}
