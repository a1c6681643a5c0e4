// Package cli is the modelry command line: one cobra command per file or
// command group (push, pull, models, diff, alias, tag, token, login, events,
// data, lineage and used-by, lock and checkout, and server, which starts the
// server). Every command other than server talks to a Modelry server only
// through the public client package; lock and checkout keep modelry.lock with
// internal/lockfile.
//
// It holds no registry logic: names, references and permissions are checked
// by the server, and its errors are shown as they come, on one line.
package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/client"
)

// DefaultURL is the server address used when neither --url nor MODELRY_URL
// says otherwise.
const DefaultURL = "http://127.0.0.1:8080"

// app is the state shared by the commands of one Run.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	url, token, output string

	ran bool // set when a command's RunE starts; errors before it are usage errors
}

// Run executes the modelry command line with args (without the program
// name). Errors are returned, not printed; IsUsageError tells a usage
// mistake (exit status 2) from a failure (exit status 1).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := &app{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	if !a.ran && !IsUsageError(err) {
		err = usageErr(cmd, "%s", err)
	}
	return err
}

// usageError is a mistake in the command line itself: a wrong number of
// arguments, an unknown flag, a malformed key=value.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// IsUsageError reports whether err is a mistake in how a command was called.
func IsUsageError(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// usageErr builds a usage error that points at the command's help.
func usageErr(cmd *cobra.Command, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if cmd != nil {
		msg += fmt.Sprintf("; see '%s --help'", cmd.CommandPath())
	}
	return &usageError{msg: msg}
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "modelry",
		Short: "Version, store and ship machine-learning models",
		Long: `Modelry is a model registry: every push of a model's files becomes an immutable,
numbered version; aliases such as "production" point at versions and keep
their full history, so rolling back is one command.

Datasets are versioned the same way ('modelry data'). A version records the
git commit it was pushed from and, with --dataset and --parent, what it was
made from ('modelry lineage', 'modelry used-by'). modelry.lock pins models
and datasets in your repository ('modelry lock', 'modelry checkout').

The same binary runs the server ('modelry server') and the client commands
below, which talk to the server at --url (else $MODELRY_URL, else the server of
the last 'modelry login', else ` + DefaultURL + `) with the token from --token,
else $MODELRY_TOKEN, else the one 'modelry login' saved for that server.

A version is named by a reference (REF):
  NAME                  the latest version, e.g. iris
  NAME/NUMBER           a version number, e.g. iris/3
  NAME:LABEL            a version label, e.g. iris:1.0
  NAME@ALIAS            the version an alias points at, e.g. iris@production
  NAME@sha256:HEX       the version with that manifest digest
  models:/NAME/NUMBER   MLflow form; models:/NAME@ALIAS too`,
		Example: `  modelry server --data ./modelry-data        # start a server
  modelry login                                # save the token it printed
  modelry push iris ./model --alias staging    # upload a new version
  modelry pull iris@staging --dest ./serving   # download it elsewhere
  modelry alias set iris production 3          # promote a version
  modelry rollback iris production             # and undo it`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if a.output != "text" && a.output != "json" && !(a.output == "dot" && cmd.Annotations[outputsAnnotation] != "") {
				outputs := cmp.Or(cmd.Annotations[outputsAnnotation], "text or json")
				return usageErr(cmd, "--output must be %s, not %q", outputs, a.output)
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageErr(cmd, "%s", err) })
	f := root.PersistentFlags()
	f.StringVar(&a.url, "url", "", "server URL (default $MODELRY_URL, else the last login's, else "+DefaultURL+")")
	f.StringVar(&a.token, "token", "", "API token (default $MODELRY_TOKEN, else the one saved by 'modelry login')")
	f.StringVarP(&a.output, "output", "o", "text", "output format: text or json (lineage and used-by: dot too)")
	root.AddCommand(newServerCmd())
	root.AddCommand(a.pushCmd(), a.pullCmd())
	root.AddCommand(a.modelsCmd(), a.versionsCmd(), a.showCmd(), a.diffCmd())
	root.AddCommand(a.aliasCmd(), a.rollbackCmd())
	root.AddCommand(a.tagCmd(), a.deleteCmd())
	root.AddCommand(a.tokenCmd(), a.loginCmd(), a.whoamiCmd(), a.eventsCmd())
	root.AddCommand(a.lockCmd(), a.checkoutCmd())
	root.AddCommand(a.dataCmd(), a.lineageCmd(), a.usedByCmd())
	root.AddCommand(a.gcCmd())
	return root
}

// outputsAnnotation marks a command that takes -o dot as well, with the
// list of its outputs for messages ("text, json or dot").
const outputsAnnotation = "modelry.outputs"

// run wraps a command body: it marks that arguments were accepted, so that
// later errors are failures rather than usage errors.
func (a *app) run(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.ran = true
		return fn(cmd, args)
	}
}

// serverURL is --url, else $MODELRY_URL, else the server of the last
// 'modelry login', else DefaultURL.
func (a *app) serverURL() string {
	urls := []string{a.url, a.getenv("MODELRY_URL")}
	if cfg, err := loadConfig(a.getenv); err == nil {
		urls = append(urls, cfg.URL)
	}
	for _, u := range urls {
		if u != "" {
			return strings.TrimRight(u, "/")
		}
	}
	return DefaultURL
}

// client returns a client for the server, with the token from --token,
// $MODELRY_TOKEN or the config file, in that order.
func (a *app) client(opts ...client.Option) *client.Client {
	url := a.serverURL()
	token := a.token
	if token == "" {
		token = a.getenv("MODELRY_TOKEN")
	}
	if token == "" {
		if cfg, err := loadConfig(a.getenv); err == nil {
			token = cfg.Servers[url].Token
		}
	}
	return client.New(url, append([]client.Option{client.WithToken(token), client.WithUserAgent("modelry-cli/1")}, opts...)...)
}

func (a *app) json() bool { return a.output == "json" }

// args validators that report usage errors in words.

func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr(cmd, "%s takes %s (%d argument%s), got %d", subPath(cmd), names, n, plural(n), len(args))
		}
		return nil
	}
}

func minArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageErr(cmd, "%s takes %s (at least %d argument%s), got %d", subPath(cmd), names, n, plural(n), len(args))
		}
		return nil
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr(cmd, "%s takes no arguments, got %q", subPath(cmd), strings.Join(args, " "))
	}
	return nil
}

// subPath is the command's path without the program name: "alias set".
func subPath(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
