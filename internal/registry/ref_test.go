package registry

import (
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		in   string
		want Ref
	}{
		{"iris", Ref{Model: "iris"}},
		{"iris/3", Ref{Model: "iris", Number: 3}},
		{"iris:1.0", Ref{Model: "iris", Label: "1.0"}},
		{"iris:v2.1-rc1+build", Ref{Model: "iris", Label: "v2.1-rc1+build"}},
		{"iris@production", Ref{Model: "iris", Alias: "production"}},
		{"iris@" + digest, Ref{Model: "iris", Digest: digest}},
		{"my.model_v-2/12", Ref{Model: "my.model_v-2", Number: 12}},
		{"models:/iris/3", Ref{Model: "iris", Number: 3}},
		{"models:/iris/latest", Ref{Model: "iris"}},
		{"models:/iris@champion", Ref{Model: "iris", Alias: "champion"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRef(tt.in)
			if err != nil {
				t.Fatalf("ParseRef(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseRef(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRefErrors(t *testing.T) {
	tests := []struct{ in, wantMsg string }{
		{"", "reference is empty"},
		{"iris/0", "not a positive integer"},
		{"iris/-1", "not a positive integer"},
		{"iris/03", "not a positive integer"},
		{"iris/x", "not a positive integer"},
		{"iris/3/4", "not a positive integer"},
		{"iris@", "alias is empty"},
		{"iris@latest", "reserved"},
		{"iris@1prod", "must start with a letter"},
		{"iris@sha256:abc", "sha256:<64 lowercase hex"},
		{"iris@sha256:" + strings.Repeat("AB", 32), "lowercase hex"},
		{"iris:", "label is empty"},
		{"iris:.x", "must start with a letter or digit"},
		{"/3", "model name is empty"},
		{"a b", "contains ' '"},
		{"x\x00y", "control character"},
		{strings.Repeat("m", 256), "limit is 255"},
		{"models:/iris", "MLflow references look like"},
		{"models:/iris/zero", "not a positive integer"},
		{"..", "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseRef(tt.in)
			if err == nil {
				t.Fatalf("ParseRef(%q) succeeded, want an error containing %q", tt.in, tt.wantMsg)
			}
			if KindOf(err) != KindInvalid {
				t.Errorf("kind = %s, want %s", KindOf(err), KindInvalid)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

// FuzzParseRef checks that the parser never panics, that everything it
// accepts is a valid reference, and that the canonical form parses back to
// the same reference.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"iris", "iris/3", "iris:1.0", "iris@prod", "models:/a/1", "models:/a@b",
		"a@sha256:" + strings.Repeat("0", 64), "a/", "@", ":", "models:/", "a:b:c", "a@b@c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			if KindOf(err) != KindInvalid {
				t.Fatalf("ParseRef(%q) error of kind %s", s, KindOf(err))
			}
			return
		}
		if err := ValidateModelName(r.Model); err != nil {
			t.Fatalf("ParseRef(%q) accepted invalid model %q", s, r.Model)
		}
		set := 0
		for _, b := range []bool{r.Number != 0, r.Label != "", r.Alias != "", r.Digest != ""} {
			if b {
				set++
			}
		}
		if set > 1 {
			t.Fatalf("ParseRef(%q) = %+v sets more than one selector", s, r)
		}
		back, err := ParseRef(r.String())
		if err != nil || back != r {
			t.Fatalf("round trip of %q: %q -> %+v, %v", s, r.String(), back, err)
		}
	})
}
