package cli_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestErrors checks that every failure is one line on stderr, "modelry: "
// then the stable code and a message, with exit status 1 for failures and 2
// for usage mistakes.
func TestErrors(t *testing.T) {
	src := filepath.Join(t.TempDir(), "f.txt")
	os.WriteFile(src, []byte("x"), 0o644)
	push(t, admin, "errs", src, "--label", "1.0")

	tests := []struct {
		name   string
		r      runner
		args   []string
		code   int
		prefix string
	}{
		{"wrong token", runner{token: "not-a-real-token-000000"}, []string{"models"}, 1, "UNAUTHENTICATED: "},
		{"no token", runner{}, []string{"versions", "errs"}, 1, "UNAUTHENTICATED: "},
		{"unknown model", admin, []string{"show", "no-such-model"}, 1, "NOT_FOUND: "},
		{"unknown version", admin, []string{"pull", "errs/99", "--dest", t.TempDir()}, 1, "NOT_FOUND: "},
		{"unknown alias", admin, []string{"show", "errs@nope"}, 1, "NOT_FOUND: "},
		{"malformed ref", admin, []string{"show", "errs/x"}, 1, "INVALID_ARGUMENT: "},
		{"duplicate label", admin, []string{"push", "errs", src, "--label", "1.0"}, 1, "ALREADY_EXISTS: "},
		{"bad model name", admin, []string{"push", "bad name!", src}, 1, "INVALID_ARGUMENT: "},
		{"bad label", admin, []string{"push", "errs", src, "--label", "-x"}, 1, "INVALID_ARGUMENT: "},
		{"reserved alias", admin, []string{"alias", "set", "errs", "latest", "1"}, 1, "INVALID_ARGUMENT: "},
		{"missing path", admin, []string{"push", "errs", "/no/such/file"}, 1, "stat /no/such/file"},
		{"server down", runner{token: adminToken, env: []string{"MODELRY_URL=http://127.0.0.1:1"}}, []string{"models"}, 1, "cannot reach the server at http://127.0.0.1:1"},

		{"push without path", admin, []string{"push", "errs"}, 2, "push takes NAME PATH..."},
		{"metric not a number", admin, []string{"push", "errs", src, "--metric", "acc=high"}, 2, `--metric acc=high: "high" is not a number`},
		{"tag without =", admin, []string{"push", "errs", src, "--tag", "team"}, 2, `--tag "team" is not key=value`},
		{"unknown flag", admin, []string{"models", "--bogus"}, 2, "unknown flag: --bogus"},
		{"unknown command", admin, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"bad output", admin, []string{"models", "-o", "yaml"}, 2, `--output must be text or json`},
		{"alias set arity", admin, []string{"alias", "set", "errs", "prod"}, 2, "alias set takes NAME ALIAS VERSION"},
		{"tag nothing", admin, []string{"tag", "errs/1"}, 2, "give tags to set"},
		{"bad --at", admin, []string{"alias", "history", "errs", "prod", "--at", "yesterday"}, 2, `--at: "yesterday" is not a time`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.fails(t, tt.code, tt.prefix, tt.args...)
		})
	}
}
