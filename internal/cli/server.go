package cli

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/modelry/modelry/internal/server"
)

func newServerCmd() *cobra.Command {
	var flags struct {
		addr, data, metaURL, blobURL, logFormat string
		noAuth                                  bool
		shutdown                                time.Duration
	}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the Modelry server (REST API, blob store, metadata)",
		Long: `Run the Modelry server.

Everything is kept under one data folder by default: a SQLite database
(modelry.db) and a content-addressed blob store (blobs/). Nothing else needs
to be installed.

On first start with an empty store the server creates an admin token and
prints it once; set MODELRY_ADMIN_TOKEN to choose it yourself instead. Create
more tokens with 'modelry token create'. --no-auth turns authentication off
for local experiments: every request then acts as admin.

Settings come from flags, then MODELRY_* environment variables, then defaults:
  --addr             MODELRY_ADDR         127.0.0.1:8080
  --data             MODELRY_DATA         ./modelry-data
  --meta-url         MODELRY_META_URL     sqlite://<data>/modelry.db
  --blob-url         MODELRY_BLOB_URL     file://<data>/blobs
  --no-auth          MODELRY_NO_AUTH      false
  --log-format       MODELRY_LOG_FORMAT   text (or json)
                     MODELRY_ADMIN_TOKEN  admin secret to accept (at least 16 characters)

SIGINT or SIGTERM stops the server gracefully: it stops accepting connections
and lets requests in flight, uploads included, finish (up to --shutdown-timeout).

Endpoints: /api/v1/... (see /api/v1/openapi.yaml), /healthz, /readyz, /metrics,
and the MLflow-compatible API (/api/2.0/mlflow, /api/2.0/mlflow-artifacts, /health;
see docs/mlflow.md): point MLFLOW_TRACKING_URI here, MLFLOW_TRACKING_TOKEN at a token.`,
		Example: `  # Start on the defaults (127.0.0.1:8080, ./modelry-data)
  modelry server

  # Listen on all interfaces with data on a bigger disk
  modelry server --addr 0.0.0.0:8080 --data /srv/modelry

  # Pick the admin token yourself
  MODELRY_ADMIN_TOKEN=$(openssl rand -hex 24) modelry server`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := server.Defaults().FromEnv(os.Getenv)
			if err != nil {
				return err
			}
			set := cmd.Flags().Changed
			if set("addr") {
				cfg.Addr = flags.addr
			}
			if set("data") {
				cfg.Data = flags.data
			}
			if set("meta-url") {
				cfg.MetaURL = flags.metaURL
			}
			if set("blob-url") {
				cfg.BlobURL = flags.blobURL
			}
			if set("no-auth") {
				cfg.NoAuth = flags.noAuth
			}
			if set("log-format") {
				cfg.LogFormat = flags.logFormat
			}
			if set("shutdown-timeout") {
				cfg.ShutdownTimeout = flags.shutdown
			}
			return server.Run(cmd.Context(), cfg, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	d := server.Defaults()
	f := cmd.Flags()
	f.StringVar(&flags.addr, "addr", d.Addr, "address to listen on (host:port)")
	f.StringVar(&flags.data, "data", d.Data, "data folder for the database and blobs")
	f.StringVar(&flags.metaURL, "meta-url", "", "metadata store URL (default sqlite://<data>/modelry.db)")
	f.StringVar(&flags.blobURL, "blob-url", "", "blob store URL (default file://<data>/blobs)")
	f.BoolVar(&flags.noAuth, "no-auth", false, "turn authentication off: every request acts as admin (development only)")
	f.StringVar(&flags.logFormat, "log-format", d.LogFormat, "log format: text or json")
	f.DurationVar(&flags.shutdown, "shutdown-timeout", d.ShutdownTimeout, "how long requests in flight may run after a stop signal")
	return cmd
}
