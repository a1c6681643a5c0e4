package registry

import (
	"strings"
	"testing"
)

func TestValidateSource(t *testing.T) {
	commit := strings.Repeat("a1", 20)
	digest := "sha256:" + strings.Repeat("0f", 32)
	tests := []struct {
		name string
		src  Source
		hint string // "" when valid
	}{
		{"empty", Source{}, ""},
		{"clean", Source{Git: &GitSource{Remote: "https://github.com/a/b.git", Commit: commit, Branch: "main"}}, ""},
		{"dirty", Source{Git: &GitSource{Commit: commit, Dirty: true, DiffDigest: digest}}, ""},
		{"sha256 repository", Source{Git: &GitSource{Commit: strings.Repeat("b", 64)}}, ""},
		{"no commits yet", Source{Git: &GitSource{Branch: "main", Dirty: true, DiffDigest: digest}}, ""},
		{"run", Source{Run: &RunSource{System: "mlflow", ID: "abc", URI: "runs:/abc/model"}}, ""},
		{"short commit", Source{Git: &GitSource{Commit: "a1b2c3d"}}, "not a full commit hash"},
		{"upper-case commit", Source{Git: &GitSource{Commit: strings.ToUpper(commit)}}, "not a full commit hash"},
		{"digest on a clean tree", Source{Git: &GitSource{Commit: commit, DiffDigest: digest}}, "dirty is false"},
		{"bad digest", Source{Git: &GitSource{Dirty: true, DiffDigest: "md5:abc"}}, "not sha256:"},
		{"newline in branch", Source{Git: &GitSource{Branch: "main\nx"}}, "source.git.branch"},
		{"long remote", Source{Git: &GitSource{Remote: strings.Repeat("r", MaxValueLen+1)}}, "source.git.remote is 5001 bytes"},
		{"long run uri", Source{Run: &RunSource{URI: strings.Repeat("u", MaxValueLen+1)}}, "source.run.uri"},
	}
	for _, tt := range tests {
		err := ValidateSource(tt.src)
		switch {
		case tt.hint == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.hint != "" && (!Is(err, KindInvalid) || !strings.Contains(err.Error(), tt.hint)):
			t.Errorf("%s: error %v, want an invalid-argument error mentioning %q", tt.name, err, tt.hint)
		}
	}
}
