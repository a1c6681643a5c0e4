package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// bufSize is the size of the buffers that hash and move file bytes: large
// enough that per-call overhead vanishes next to SHA-256 and memory copies.
const bufSize = 1 << 20

// bufPool recycles the buffers of hashing and downloads; they are aligned so
// that downloads can write them with O_DIRECT.
var bufPool = sync.Pool{New: func() any { b := alignedBuf(bufSize); return &b }}

func getBuf() []byte  { return *bufPool.Get().(*[]byte) }
func putBuf(b []byte) { bufPool.Put(&b) }

// localFile is one entry to push: a regular file or a symbolic link found on
// disk, with its path in the manifest.
type localFile struct {
	path     string // manifest path, '/'-separated, relative
	abs      string // where it is on disk
	mode     uint32
	target   string  // symlink target, '/'-separated; "" for regular files
	size     int64   // from stat, checked by hashing
	digest   string  // filled by hashing or streaming
	streamed bool    // uploaded by streamNewFiles
	stage    *stager // the chunked way, for large files when chunking
	// fresh: no stored blob has the file's size but the server holds some
	// of its chunks, so the server lacks it and it goes the chunked way.
	fresh bool
}

// collectFiles walks the inputs of a Push. A single file becomes its base
// name; a single directory contributes its contents, relative to it; with
// several inputs, each file goes by its base name and each directory's
// contents go under the directory's base name. Links that stay inside their
// directory are kept as links; links that escape it are refused.
func collectFiles(inputs []string) ([]localFile, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("nothing to push: give at least one file or directory")
	}
	var files []localFile
	for _, in := range inputs {
		abs, err := filepath.Abs(in)
		if err != nil {
			return nil, err
		}
		info, err := os.Stat(abs) // an input named explicitly is followed if it is a link
		if err != nil {
			return nil, err
		}
		switch {
		case info.Mode().IsRegular():
			files = append(files, localFile{path: filepath.Base(abs), abs: abs, mode: fileMode(info.Mode())})
		case info.IsDir():
			prefix := ""
			if len(inputs) > 1 {
				prefix = filepath.Base(abs)
			}
			found, err := walkDir(abs, prefix)
			if err != nil {
				return nil, err
			}
			files = append(files, found...)
		default:
			return nil, fmt.Errorf("%s is not a regular file or a directory", in)
		}
	}
	return sortUnique(files)
}

// walkDir lists the files and links under root, named prefix/relative-path.
func walkDir(root, prefix string) ([]localFile, error) {
	var files []localFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := path.Join(prefix, filepath.ToSlash(rel))
		switch t := d.Type(); {
		case t&fs.ModeSymlink != 0:
			target, err := linkTarget(root, p, rel)
			if err != nil {
				return err
			}
			files = append(files, localFile{path: name, abs: p, mode: 0o777, target: target})
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			files = append(files, localFile{path: name, abs: p, mode: fileMode(info.Mode())})
		default:
			return fmt.Errorf("%s is a %s, not a regular file, directory or link; Modelry stores only those", p, typeName(t))
		}
		return nil
	})
	return files, err
}

// linkTarget reads the link at p (rel inside root) and returns its target
// relative to the link's folder, refusing targets that leave root.
func linkTarget(root, p, rel string) (string, error) {
	target, err := os.Readlink(p)
	if err != nil {
		return "", err
	}
	if filepath.IsAbs(target) {
		if target, err = filepath.Rel(filepath.Dir(p), target); err != nil {
			return "", err
		}
	}
	target = filepath.ToSlash(target)
	resolved := path.Join(path.Dir(filepath.ToSlash(rel)), target)
	if resolved == "." || resolved == ".." || strings.HasPrefix(resolved, "../") {
		return "", fmt.Errorf("link %s points at %s, outside %s; only links inside the pushed tree can be stored (copy the file in, or push the folder that holds both)", p, target, root)
	}
	return target, nil
}

// sortUnique sorts files by manifest path and refuses two inputs that map to
// the same path.
func sortUnique(files []localFile) ([]localFile, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("nothing to push: the inputs hold no files")
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	for i := 1; i < len(files); i++ {
		if files[i].path == files[i-1].path {
			return nil, fmt.Errorf("%s and %s would both be stored as %q; push them from different folders", files[i-1].abs, files[i].abs, files[i].path)
		}
	}
	return files, nil
}

// fileMode is the manifest mode of a regular file: 0755 if any execute bit is
// set, else 0644.
func fileMode(m fs.FileMode) uint32 {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

func typeName(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// hashFiles computes the size and SHA-256 of every regular file, several
// files at once.
func hashFiles(ctx context.Context, files []localFile, p Progress) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, min(runtime.GOMAXPROCS(0), 8)))
	for i := range files {
		if files[i].target != "" || files[i].digest != "" {
			continue
		}
		f := &files[i]
		g.Go(func() error {
			size, digest, err := hashFile(ctx, f.abs, p)
			f.size, f.digest = size, digest
			return err
		})
	}
	return g.Wait()
}

// hashFile streams a file through SHA-256 with a large buffer.
func hashFile(ctx context.Context, name string, p Progress) (int64, string, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := getBuf()
	defer putBuf(buf)
	var size int64
	for {
		if err := ctx.Err(); err != nil {
			return 0, "", err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		size += int64(n)
		p.Add(int64(n))
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, "", fmt.Errorf("read %s: %w", name, err)
		}
	}
	return size, "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
