package lockfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxLockSize bounds what Read loads: a lock of thousands of entries is a
// few hundred kilobytes.
const maxLockSize = 16 << 20

// fieldNames are an entry line's fields, in order.
var fieldNames = []string{"KIND", "NAME", "VERSION", "DIGEST", "PATH", "REF"}

// Parse reads a lock file's content. It is strict: every problem is an
// error naming the line and saying what to fix. name is the file name used
// in errors.
func Parse(name string, data []byte) (*Lock, error) {
	l, err := parse(data)
	var pe *ParseError
	if errors.As(err, &pe) {
		pe.File = name
	}
	return l, err
}

func parse(data []byte) (*Lock, error) {
	if !utf8.Valid(data) {
		return nil, lineErr(0, "the file is not UTF-8 text; restore it with git (git checkout -- %s)", FileName)
	}
	// A byte order mark is how some editors (Notepad, say) start UTF-8 text.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	l := &Lock{}
	sawFormat := false
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if isConflictMarker(line) {
			return nil, lineErr(n, "a git merge conflict marker; keep the entries of both sides (one line per name) and delete the lines <<<<<<<, ======= and >>>>>>>, or take one side and run 'modelry lock add' again")
		}
		fields := strings.Fields(line)
		if !sawFormat {
			if err := parseFormat(n, fields); err != nil {
				return nil, err
			}
			sawFormat = true
			continue
		}
		e, err := parseEntry(n, fields)
		if err != nil {
			return nil, err
		}
		l.Entries = append(l.Entries, e)
	}
	if !sawFormat {
		return nil, lineErr(0, "no 'format %d' line; the file must start (after comments) with it", Format)
	}
	if err := validate(l.Entries); err != nil {
		return nil, err
	}
	sortEntries(l.Entries)
	return l, nil
}

// isConflictMarker reports whether line is one git writes around the two
// sides of a merge conflict (diff3's ||||||| too).
func isConflictMarker(line string) bool {
	for _, m := range []string{"<<<<<<<", "|||||||", "=======", ">>>>>>>"} {
		if strings.HasPrefix(line, m) {
			return true
		}
	}
	return false
}

func parseFormat(n int, fields []string) error {
	if len(fields) != 2 || fields[0] != "format" {
		return lineErr(n, "expected 'format %d' before the first entry, found %q", Format, strings.Join(fields, " "))
	}
	v, err := strconv.Atoi(fields[1])
	switch {
	case err != nil || v <= 0:
		return lineErr(n, "format %q is not a number; expected 'format %d'", fields[1], Format)
	case v > Format:
		return lineErr(n, "the file is format %d; this modelry reads format %d only: upgrade modelry", v, Format)
	case v != Format:
		return lineErr(n, "format %d is unknown; expected 'format %d'", v, Format)
	}
	return nil
}

func parseEntry(n int, f []string) (Entry, error) {
	if len(f) != len(fieldNames) {
		return Entry{}, lineErr(n, "an entry has %d fields (%s) separated by spaces, this line has %d", len(fieldNames), strings.Join(fieldNames, " "), len(f))
	}
	num, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || num <= 0 || strings.HasPrefix(f[2], "+") || strings.HasPrefix(f[2], "0") {
		return Entry{}, lineErr(n, "VERSION %q is not a positive version number", f[2])
	}
	e := Entry{Kind: f[0], Name: f[1], Version: num, Digest: f[3], Path: f[4], Ref: f[5], line: n}
	if err := checkEntry(e); err != nil {
		return Entry{}, lineErr(n, "%v", err)
	}
	return e, nil
}

// Read loads and parses a lock file. A missing file is an error satisfying
// errors.Is(err, fs.ErrNotExist).
func Read(file string) (*Lock, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(ioLimit(f)); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if buf.Len() > maxLockSize {
		return nil, &ParseError{File: file, Msg: fmt.Sprintf("the file is larger than %d MB; this is not a lock file Modelry wrote", maxLockSize>>20)}
	}
	return Parse(file, buf.Bytes())
}

// IsNotExist reports whether err says the lock file does not exist.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
