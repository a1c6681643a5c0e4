package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/modelry/modelry/internal/api"
	"github.com/modelry/modelry/internal/api/mlflow"
	"github.com/modelry/modelry/internal/registry"
	"github.com/modelry/modelry/internal/storage/blob"
	"github.com/modelry/modelry/internal/storage/meta"
	"github.com/modelry/modelry/internal/tracking"
)

// Run serves until ctx is cancelled, then shuts down: it stops accepting
// connections, waits up to ShutdownTimeout for requests in flight (uploads
// included), and closes the stores. The admin token it creates on first
// start is printed once to stdout; logs go to stderr.
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	metaURL, blobURL, err := cfg.storeURLs()
	if err != nil {
		return err
	}
	store, err := meta.Open(ctx, metaURL)
	if err != nil {
		return fmt.Errorf("opening metadata store %s: %w", metaURL, err)
	}
	defer store.Close()
	blobs, err := blob.Open(ctx, blobURL)
	if err != nil {
		return fmt.Errorf("opening blob store %s: %w", blobURL, err)
	}
	if c, ok := blobs.(io.Closer); ok {
		defer c.Close() // the chunk indexer finishes the file it is on
	}
	// Garbage collection keeps the blobs of MLflow run artifacts too.
	ts, hasTracking := store.(interface{ Tracking() tracking.Store })
	var regOpts []registry.Option
	if hasTracking {
		regOpts = append(regOpts, registry.WithBlobReferrers(ts.Tracking()))
	}
	svc := registry.New(store, blobs, regOpts...)
	if err := bootstrap(ctx, svc, cfg, log, stdout); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	opts := api.Options{Logger: log, NoAuth: cfg.NoAuth}
	if hasTracking {
		opts.Tracking = tracking.New(ts.Tracking(), blobs, tracking.WithDeliverer(mlflow.Deliverer{}), tracking.WithBlobGuard(svc))
		// MLflow webhooks fire on registry events, whichever API made them.
		relay := mlflow.NewRelay(svc, opts.Tracking, 250*time.Millisecond)
		go func() {
			if err := relay.Run(ctx); err != nil {
				log.Error("mlflow webhook relay stopped", "error", err)
			}
		}()
	}
	handler := api.New(svc, opts)
	log.Info("modelry server listening", "url", "http://"+ln.Addr().String(), "metadata", metaURL, "blobs", blobURL)
	return serve(ctx, ln, handler, cfg.ShutdownTimeout, log)
}

func serve(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; waiting for requests in flight", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// bootstrap makes sure an admin can log in and says how.
func bootstrap(ctx context.Context, svc *registry.Service, cfg Config, log *slog.Logger, stdout io.Writer) error {
	if cfg.NoAuth {
		log.Warn("authentication is OFF (--no-auth): every request acts as admin; use only on a private machine")
		return nil
	}
	created, err := svc.Bootstrap(ctx, cfg.AdminToken)
	if err != nil {
		return err
	}
	if created != "" {
		fmt.Fprintf(stdout, "\nCreated the first admin token. It is shown only this once; keep it safe:\n\n    %s\n\n"+
			"Use it with: export MODELRY_TOKEN=%s   (or: modelry login)\n\n", created, created)
	}
	return nil
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
