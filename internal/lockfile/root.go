package lockfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// FindRoot returns the folder that holds (or will hold) modelry.lock for
// work in dir: the nearest folder at or above dir with a modelry.lock,
// looking no higher than the root of the git work tree containing dir; else
// that work tree's root; else dir itself when dir is not inside git.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if exists(filepath.Join(d, FileName)) || exists(filepath.Join(d, ".git")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir, nil
		}
		d = parent
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// RelPath turns a folder given on the command line (relative to cwd, or
// absolute) into a lock path relative to root, refusing folders outside it.
func RelPath(root, cwd, dir string) (string, error) {
	abs := dir
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(cwd, dir)
	}
	rel, err := filepath.Rel(root, filepath.Clean(abs))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the repository at %s (the folder holding %s); pin into a folder inside it", dir, root, FileName)
	}
	rel = filepath.ToSlash(rel)
	return rel, CheckPath(rel)
}

// Dir returns where entry path p lives on disk under root, after making
// sure that no symbolic link along the way leads out of root and that
// nothing but folders stands on the way. The folder itself need not exist.
func Dir(root, p string) (string, error) {
	if err := CheckPath(p); err != nil {
		return "", err
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	abs := filepath.Join(root, filepath.FromSlash(p))
	// Resolve the deepest part of the path that exists; the rest will be
	// created as plain folders.
	existing, rest := abs, ""
	for {
		_, err := os.Lstat(existing)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return "", err
		}
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = filepath.Dir(existing)
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	if rel, err := filepath.Rel(realRoot, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s leads out of the repository through a symbolic link (%s is really %s); pinned folders must stay inside %s", p, existing, real, root)
	}
	if info, err := os.Stat(existing); err != nil {
		return "", err
	} else if !info.IsDir() {
		return "", fmt.Errorf("%s cannot be a folder: %s is a file; move it away or pin elsewhere with --path", p, existing)
	}
	return filepath.Join(real, rest), nil
}
