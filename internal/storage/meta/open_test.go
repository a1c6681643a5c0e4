package meta

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

func TestOpenChoosesSQLite(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct {
		url, file string
	}{
		{"sqlite://" + filepath.Join(dir, "abs.db"), "abs.db"},
		{"sqlite://relative.db", "relative.db"},
		{filepath.Join(dir, "plain.db"), "plain.db"},
		{"plain-relative.db", "plain-relative.db"},
	} {
		s, err := Open(t.Context(), tc.url)
		if err != nil {
			t.Errorf("Open(%q): %v", tc.url, err)
			continue
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, tc.file)); err != nil {
			t.Errorf("Open(%q) did not create %s: %v", tc.url, tc.file, err)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	for _, tc := range []struct {
		url, want string
	}{
		{"postgres://db.example.com/modelry", `unknown scheme "postgres"`},
		{"s3://bucket/meta", `unknown scheme "s3"`},
		{"sqlite://", "no file path"},
		{"", "no file path"},
		{"sqlite:///tmp/x.db?mode=ro", "no options"},
	} {
		s, err := Open(t.Context(), tc.url)
		if s != nil {
			t.Errorf("Open(%q) returned a store with error %v", tc.url, err)
		}
		if !registry.Is(err, registry.KindInvalid) || !strings.Contains(registry.Message(err), tc.want) {
			t.Errorf("Open(%q) = %v; want KindInvalid saying %q", tc.url, err, tc.want)
		}
	}
}
