package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// config is what 'modelry login' saves: a token per server URL, so that a
// token is only ever sent to the server it was made for, and the URL of the
// last login, the default server when neither --url nor $MODELRY_URL is
// given. It lives in
// $XDG_CONFIG_HOME/modelry/config.json (else ~/.config/modelry/config.json),
// readable by its owner only.
type config struct {
	URL     string                  `json:"url,omitempty"`
	Servers map[string]serverConfig `json:"servers"`
}

type serverConfig struct {
	Token string `json:"token"`
}

// configPath returns where the config file lives.
func configPath(getenv func(string) string) (string, error) {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			var err error
			if home, err = os.UserHomeDir(); err != nil {
				return "", fmt.Errorf("cannot find a home folder for the config file; set XDG_CONFIG_HOME: %w", err)
			}
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "modelry", "config.json"), nil
}

// loadConfig reads the config file; a missing file is an empty config.
func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{Servers: map[string]serverConfig{}}
	p, err := configPath(getenv)
	if err != nil {
		return cfg, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, fmt.Errorf("config file %s is not valid JSON: %w", p, err)
	}
	if cfg.Servers == nil {
		cfg.Servers = map[string]serverConfig{}
	}
	return cfg, nil
}

// saveConfig writes the config file atomically with mode 0600.
func saveConfig(getenv func(string) string, cfg config) (string, error) {
	p, err := configPath(getenv)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".config-*.json")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return "", err
	}
	// CreateTemp makes the file 0600 already; keep it so whatever the umask.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return p, os.Rename(tmp.Name(), p)
}
