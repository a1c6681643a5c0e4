package lockfile

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	d1 = "sha256:" + strings.Repeat("1", 64)
	d2 = "sha256:" + strings.Repeat("2", 64)
)

func sample() *Lock {
	return &Lock{Entries: []Entry{
		{Kind: KindModel, Name: "churn", Version: 7, Digest: d1, Path: "models/churn", Ref: "churn@production"},
		{Kind: KindDataset, Name: "sales", Version: 3, Digest: d2, Path: "data/sales", Ref: "sales/3"},
		{Kind: KindModel, Name: "base", Version: 1, Digest: d2, Path: "models/base-model", Ref: "models:/base@champion"},
	}}
}

// TestFormatGolden pins the bytes a lock is written as: a diff reviewer
// reads them.
func TestFormatGolden(t *testing.T) {
	got := sample().Format()
	golden := filepath.Join("testdata", "sample.lock")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Format() differs from %s (run with -update if intended):\n%s", golden, got)
	}
}

func TestRoundTrip(t *testing.T) {
	l := sample()
	parsed, err := Parse("modelry.lock", l.Format())
	if err != nil {
		t.Fatal(err)
	}
	if got := parsed.Format(); !bytes.Equal(got, l.Format()) {
		t.Errorf("format(parse(format(l))) differs:\n%s", got)
	}
	if len(parsed.Entries) != 3 || parsed.Entries[0].Name != "base" || parsed.Entries[2].Name != "sales" {
		t.Errorf("entries are not sorted by name: %+v", parsed.Entries)
	}
	// Hand edits with tabs, extra spaces, CRLF and comments read the same.
	edited := "# mine\r\n\r\n  format 1\r\nmodel\tchurn   7 " + d1 + " models/churn churn@production  \r\n# end\r\n"
	p2, err := Parse("x", []byte(edited))
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{Kind: KindModel, Name: "churn", Version: 7, Digest: d1, Path: "models/churn", Ref: "churn@production"}
	if len(p2.Entries) != 1 || stripLine(p2.Entries[0]) != want {
		t.Errorf("hand-edited lock parsed as %+v", p2.Entries)
	}
	// Editors on Windows save UTF-8 with a byte order mark.
	for _, bom := range []string{"\ufeff" + edited, "\ufeffformat 1\r\nmodel churn 7 " + d1 + " models/churn churn@production\r\n"} {
		p3, err := Parse("x", []byte(bom))
		if err != nil || len(p3.Entries) != 1 || stripLine(p3.Entries[0]) != want {
			t.Errorf("lock with a byte order mark parsed as %+v, %v", p3, err)
		}
	}
	empty, err := Parse("x", (&Lock{}).Format())
	if err != nil || len(empty.Entries) != 0 {
		t.Errorf("empty lock: %+v, %v", empty, err)
	}
}

func stripLine(e Entry) Entry { e.line = 0; return e }

func TestParseErrors(t *testing.T) {
	line := func(f ...string) string { return strings.Join(f, " ") + "\n" }
	ok := func(name, path string) string { return line("model", name, "1", d1, path, name) }
	tests := []struct {
		name, text, want string
	}{
		{"empty file", "", "x: no 'format 1' line"},
		{"only comments", "# hi\n", "x: no 'format 1' line"},
		{"entry before format", ok("a", "m/a"), "x:1: expected 'format 1' before the first entry"},
		{"newer format", "format 2\n", "x:1: the file is format 2; this modelry reads format 1 only: upgrade modelry"},
		{"format not a number", "format one\n", `x:1: format "one" is not a number`},
		{"merge conflict", "format 1\n<<<<<<< HEAD\n" + ok("a", "m/a") + "=======\n" + ok("b", "m/b") + ">>>>>>> feature\n", "x:2: a git merge conflict marker; keep the entries of both sides (one line per name) and delete the lines <<<<<<<, ======= and >>>>>>>"},
		{"too few fields", "format 1\nmodel a 1\n", "x:2: an entry has 6 fields (KIND NAME VERSION DIGEST PATH REF) separated by spaces, this line has 3"},
		{"too many fields", "format 1\n" + line("model", "a", "1", d1, "m a", "a"), "x:2: an entry has 6 fields"},
		{"bad kind", "format 1\n" + line("image", "a", "1", d1, "m/a", "a"), `x:2: kind "image" is neither model nor dataset`},
		{"bad name", "format 1\n" + line("model", "a!", "1", d1, "m/a", "a!"), `x:2: name: model name "a!" contains`},
		{"version zero", "format 1\n" + line("model", "a", "0", d1, "m/a", "a"), `x:2: VERSION "0" is not a positive version number`},
		{"version text", "format 1\n" + line("model", "a", "v1", d1, "m/a", "a"), `x:2: VERSION "v1"`},
		{"short digest", "format 1\n" + line("model", "a", "1", "sha256:abc", "m/a", "a"), `x:2: digest "sha256:abc" is not of the form sha256:<64 lowercase hex digits>; copy the digest from 'modelry show a'`},
		{"upper digest", "format 1\n" + line("model", "a", "1", strings.ToUpper(d1), "m/a", "a"), "x:2: digest"},
		{"absolute path", "format 1\n" + ok("a", "/etc"), `x:2: path "/etc" is absolute`},
		{"dotdot path", "format 1\n" + ok("a", "m/../../x"), `x:2: path "m/../../x" contains '..'`},
		{"unclean path", "format 1\n" + ok("a", "m//a"), `x:2: path "m//a" is not clean; write it as "m/a"`},
		{"root path", "format 1\n" + ok("a", "."), `x:2: path "." is the repository root`},
		{"backslash", "format 1\n" + ok("a", `m\a`), `x:2: path "m\\a" contains a backslash`},
		{"git folder", "format 1\n" + ok("a", ".git/hooks"), `x:2: path ".git/hooks" is inside .git`},
		{"state folder", "format 1\n" + ok("a", ".modelry"), `x:2: path ".modelry" is inside .modelry`},
		{"bad ref", "format 1\n" + line("model", "a", "1", d1, "m/a", "a@"), "x:2: ref: invalid reference"},
		{"ref of another name", "format 1\n" + line("model", "a", "1", d1, "m/a", "b@prod"), `x:2: ref "b@prod" names "b", not "a"`},
		{"duplicate name", "format 1\n" + ok("a", "m/a") + ok("a", "m/b"), "x:3: a is pinned twice (also line 2)"},
		{"duplicate path", "format 1\n" + ok("a", "m/a") + ok("b", "m/a"), "x:3: b and a (line 2) are both pinned to m/a"},
		{"nested path", "format 1\n" + ok("a", "m") + ok("b", "m/b"), "x:3: b's folder m/b is inside m, the folder of a (line 2)"},
		{"not utf-8", "format 1\n\xff\n", "x: the file is not UTF-8 text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x", []byte(tt.text))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error = %v, want a *ParseError", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant prefix %q", err, tt.want)
			}
		})
	}
	// Neighbours that only share a prefix are not nested.
	if _, err := Parse("x", []byte("format 1\n"+ok("a", "m/a")+ok("b", "m/a-b")+ok("c", "m/a.c"))); err != nil {
		t.Errorf("sibling folders refused: %v", err)
	}
}

func TestPutAndRemove(t *testing.T) {
	l := sample()
	old, err := l.Put(Entry{Kind: KindModel, Name: "churn", Version: 8, Digest: d2, Path: "models/churn", Ref: "churn@production"})
	if err != nil || old == nil || old.Version != 7 {
		t.Fatalf("Put replacing churn: old %+v, %v", old, err)
	}
	if e, _ := l.Find("churn"); e.Version != 8 || len(l.Entries) != 3 {
		t.Errorf("after Put: %+v", l.Entries)
	}
	before := l.Format()
	if _, err := l.Put(Entry{Kind: KindModel, Name: "x", Version: 1, Digest: d1, Path: "models/churn/x", Ref: "x"}); err == nil ||
		!strings.Contains(err.Error(), "x's folder models/churn/x is inside models/churn, the folder of churn (already in the lock)") {
		t.Errorf("Put of a nested folder: %v", err)
	}
	if !bytes.Equal(before, l.Format()) {
		t.Errorf("a refused Put changed the lock")
	}
	if !l.Remove("sales") || l.Remove("sales") || len(l.Entries) != 2 {
		t.Errorf("Remove: %+v", l.Entries)
	}
}

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, FileName)
	if _, err := Read(name); !IsNotExist(err) {
		t.Errorf("Read of a missing lock: %v, want not-exist", err)
	}
	if err := Write(name, sample()); err != nil {
		t.Fatal(err)
	}
	l, err := Read(name)
	if err != nil || !reflect.DeepEqual(l.Format(), sample().Format()) {
		t.Fatalf("Read after Write: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("Write left %d files in the folder, want only the lock", len(entries))
	}
	bad := &Lock{Entries: []Entry{{Kind: "model", Name: "a", Version: 1, Digest: "nope", Path: "a", Ref: "a"}}}
	if err := Write(name, bad); err == nil {
		t.Errorf("Write of an invalid lock succeeded")
	}
	if l, err := Read(name); err != nil || len(l.Entries) != 3 {
		t.Errorf("a refused Write damaged the lock: %v", err)
	}
}

// FuzzParse checks that Parse never panics, that its errors are
// *ParseError, and that whatever it accepts writes back to bytes that parse
// to the same lock.
func FuzzParse(f *testing.F) {
	f.Add(string(sample().Format()))
	f.Add("format 1\n")
	f.Add("format 1\nmodel a 1 " + d1 + " m/a a\ndataset b 2 " + d2 + " d/b b/2\n")
	f.Add("format 1\nmodel a 1 " + d1 + " m a\nmodel b 1 " + d1 + " m/b b\n")
	f.Add("format 2\n")
	f.Add("# c\r\nformat 1\r\nmodel a 1 " + d1 + " ../a a\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Parse("x", []byte(s))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %v is not a *ParseError", s, err)
			}
			return
		}
		out := l.Format()
		back, err := Parse("x", out)
		if err != nil {
			t.Fatalf("Parse(%q) accepted, but its output %q does not parse: %v", s, out, err)
		}
		if !bytes.Equal(back.Format(), out) {
			t.Fatalf("round trip of %q changed:\n%s\n%s", s, out, back.Format())
		}
	})
}
