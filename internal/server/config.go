// Package server runs `modelry server`: it opens the stores named by the
// configuration, makes sure an admin can log in, serves the REST API, and
// shuts down gracefully, letting uploads in flight finish.
package server

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Config is the server's configuration. Precedence: flags > MODELRY_*
// environment variables > defaults (see FromEnv).
type Config struct {
	Addr            string        // listen address, default 127.0.0.1:8080
	Data            string        // data folder, default ./modelry-data
	MetaURL         string        // metadata store; default sqlite://<Data>/modelry.db
	BlobURL         string        // blob store; default file://<Data>/blobs
	NoAuth          bool          // every request acts as admin; development only
	AdminToken      string        // admin secret to ensure at start (MODELRY_ADMIN_TOKEN)
	ShutdownTimeout time.Duration // how long in-flight requests may run after a stop signal
	LogFormat       string        // "text" or "json"
}

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	return Config{Addr: "127.0.0.1:8080", Data: "modelry-data", ShutdownTimeout: 2 * time.Minute, LogFormat: "text"}
}

// FromEnv overlays MODELRY_* environment variables on c.
func (c Config) FromEnv(getenv func(string) string) (Config, error) {
	setString := func(dst *string, key string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	setString(&c.Addr, "MODELRY_ADDR")
	setString(&c.Data, "MODELRY_DATA")
	setString(&c.MetaURL, "MODELRY_META_URL")
	setString(&c.BlobURL, "MODELRY_BLOB_URL")
	setString(&c.AdminToken, "MODELRY_ADMIN_TOKEN")
	setString(&c.LogFormat, "MODELRY_LOG_FORMAT")
	if v := getenv("MODELRY_NO_AUTH"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("MODELRY_NO_AUTH=%q is not true or false", v)
		}
		c.NoAuth = b
	}
	return c, nil
}

// Validate checks every field and names the first bad one.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("addr %q is not host:port (e.g. 127.0.0.1:8080): %v", c.Addr, err)
	}
	if c.Data == "" && (c.MetaURL == "" || c.BlobURL == "") {
		return fmt.Errorf("data folder is empty; set --data or both the metadata and blob store URLs")
	}
	if c.ShutdownTimeout < 0 {
		return fmt.Errorf("shutdown timeout %s is negative", c.ShutdownTimeout)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log format %q is not text or json", c.LogFormat)
	}
	if c.NoAuth && c.AdminToken != "" {
		return fmt.Errorf("--no-auth and MODELRY_ADMIN_TOKEN contradict each other; drop one")
	}
	return nil
}

// storeURLs fills in the default store URLs under the data folder.
func (c Config) storeURLs() (meta, blob string, err error) {
	meta, blob = c.MetaURL, c.BlobURL
	if meta != "" && blob != "" {
		return meta, blob, nil
	}
	dir, err := filepath.Abs(c.Data)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", "", fmt.Errorf("creating data folder: %w", err)
	}
	if meta == "" {
		meta = "sqlite://" + filepath.Join(dir, "modelry.db")
	}
	if blob == "" {
		blob = "file://" + filepath.Join(dir, "blobs")
	}
	return meta, blob, nil
}
