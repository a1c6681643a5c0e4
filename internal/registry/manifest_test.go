package registry

import (
	"strings"
	"testing"
)

func file(path string) File {
	return File{Path: path, Size: 3, Digest: "sha256:" + strings.Repeat("1", 64), Mode: 0o644}
}

func link(path, target string) File { return File{Path: path, Mode: 0o777, Target: target} }

func TestValidateManifestSortsAndAccepts(t *testing.T) {
	in := []File{file("b/c.bin"), file("a.txt"), link("b/link", "c.bin"), link("up", "b/c.bin"), file("a-b/x")}
	got, err := ValidateManifest(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a-b/x", "a.txt", "b/c.bin", "b/link", "up"}
	for i, f := range got {
		if f.Path != want[i] {
			t.Fatalf("order %d = %q, want %q", i, f.Path, want[i])
		}
	}
	if in[0].Path != "b/c.bin" {
		t.Fatal("ValidateManifest changed its input")
	}
}

func TestValidateManifestErrors(t *testing.T) {
	big := File{Path: "x", Size: 1, Digest: "sha256:" + strings.Repeat("1", 64), Mode: 0o1755}
	tests := []struct {
		name  string
		files []File
		want  string
	}{
		{"empty", nil, "no files"},
		{"dotdot", []File{file("a/../b")}, "contains '..'"},
		{"leading dotdot", []File{file("../etc/passwd")}, "contains '..'"},
		{"absolute", []File{file("/etc/passwd")}, "absolute"},
		{"empty path", []File{file("")}, "empty path"},
		{"dot segment", []File{file("a/./b")}, "not clean"},
		{"double slash", []File{file("a//b")}, "not clean"},
		{"trailing slash", []File{file("a/")}, "not clean"},
		{"backslash", []File{file(`a\b`)}, "backslash"},
		{"control", []File{file("a\nb")}, "control characters"},
		{"duplicate", []File{file("a"), file("a")}, "twice"},
		{"file and folder", []File{file("a"), file("a/b")}, "both as a file and as a folder"},
		{"deep file and folder", []File{file("a/b/c"), file("a/b")}, "both as a file and as a folder"},
		{"bad digest", []File{{Path: "a", Digest: "md5:abc"}}, "sha256:"},
		{"negative size", []File{{Path: "a", Size: -1, Digest: "sha256:" + strings.Repeat("1", 64)}}, "negative"},
		{"mode bits", []File{big}, "bits other than permissions"},
		{"link escapes", []File{link("a/l", "../../x")}, "escapes the tree"},
		{"link to root", []File{link("l", "..")}, "escapes the tree"},
		{"link absolute", []File{link("l", "/etc/passwd")}, "absolute"},
		{"link with digest", []File{{Path: "l", Target: "x", Digest: "sha256:" + strings.Repeat("1", 64)}}, "must not carry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ValidateManifest(tt.files)
			if err == nil {
				t.Fatalf("accepted %+v", tt.files)
			}
			if KindOf(err) != KindInvalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v (kind %s) does not contain %q", err, KindOf(err), tt.want)
			}
		})
	}
}

func TestManifestDigestIsCanonical(t *testing.T) {
	a, _ := ValidateManifest([]File{file("x"), file("y")})
	b, _ := ValidateManifest([]File{file("y"), file("x")})
	if ManifestDigest(a) != ManifestDigest(b) {
		t.Fatal("digest depends on input order")
	}
	c, _ := ValidateManifest([]File{file("x"), {Path: "y", Size: 3, Digest: file("y").Digest, Mode: 0o755}})
	if ManifestDigest(a) == ManifestDigest(c) {
		t.Fatal("digest ignores the mode")
	}
	// Pin the canonical encoding: changing it would change every digest.
	one, _ := ValidateManifest([]File{{Path: "m.bin", Size: 0, Digest: "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Mode: 0o644}})
	// The expected value was computed independently from the documented
	// canonical JSON: {"files":[{"path":"m.bin","size":0,"digest":"sha256:e3b0...","mode":420}]}
	const want = "sha256:f0708b23f3cd09cd75278d72414344399c6ee0d31c60714f09f8a92db39442d6"
	if got := ManifestDigest(one); got != want {
		t.Fatalf("ManifestDigest = %s, want %s", got, want)
	}
}

// FuzzValidateManifest checks that validation never panics and that what it
// accepts upholds the invariants the blob and pull code rely on.
func FuzzValidateManifest(f *testing.F) {
	f.Add("a.txt", "b/c", "", uint32(0o644))
	f.Add("a", "a/b", "", uint32(0o755))
	f.Add("x/l", "y", "../y", uint32(0o777))
	f.Add("../x", "y", "", uint32(0o644))
	f.Fuzz(func(t *testing.T, p1, p2, target string, mode uint32) {
		files := []File{file(p1), {Path: p2, Mode: mode, Target: target}}
		if target == "" {
			files[1] = File{Path: p2, Size: 1, Digest: file("").Digest, Mode: mode}
		}
		got, err := ValidateManifest(files)
		if err != nil {
			return
		}
		for _, f := range got {
			if strings.HasPrefix(f.Path, "/") || strings.Contains("/"+f.Path+"/", "/../") || f.Path == "" {
				t.Fatalf("accepted unsafe path %q", f.Path)
			}
			if f.IsLink() {
				if strings.HasPrefix(f.Target, "/") {
					t.Fatalf("accepted absolute link target %q", f.Target)
				}
			}
		}
		if got[0].Path == got[1].Path {
			t.Fatalf("accepted duplicate path %q", got[0].Path)
		}
	})
}
