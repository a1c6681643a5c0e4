package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// maxMetaSize bounds the modelry.json files DiffRefs downloads; the SDK's
// are a few hundred bytes.
const maxMetaSize = 1 << 20

// DiffRefs resolves two references and compares the versions: Diff, plus
// the schema part when both versions hold a modelry.json (downloaded,
// verified against its digest, and compared with DiffSchema).
func (c *Client) DiffRefs(ctx context.Context, fromRef, toRef string) (VersionDiff, error) {
	from, err := c.Resolve(ctx, fromRef)
	if err != nil {
		return VersionDiff{}, err
	}
	to, err := c.Resolve(ctx, toRef)
	if err != nil {
		return VersionDiff{}, err
	}
	d := Diff(from, to)
	fm, tm := metaFile(from), metaFile(to)
	switch {
	case fm == nil || tm == nil:
	case fm.Digest == tm.Digest:
		d.Schema = &SchemaDiff{Changes: []ValueChange{}}
	case fm.Size > maxMetaSize || tm.Size > maxMetaSize:
		d.Schema = &SchemaDiff{Changes: []ValueChange{}, Skipped: fmt.Sprintf("a %s is larger than %d bytes; it is not the SDK's metadata", MetaFile, maxMetaSize)}
	default:
		a, err := c.readBlob(ctx, *fm)
		if err != nil {
			return d, err
		}
		b, err := c.readBlob(ctx, *tm)
		if err != nil {
			return d, err
		}
		d.Schema = DiffSchema(a, b)
	}
	d.Identical = d.identical()
	return d, nil
}

// metaFile returns the version's top-level modelry.json, if it is a regular file.
func metaFile(v Version) *File {
	for i, f := range v.Files {
		if f.Path == MetaFile && !f.IsLink() {
			return &v.Files[i]
		}
	}
	return nil
}

// readBlob downloads a small file's bytes and checks them against its digest.
func (c *Client) readBlob(ctx context.Context, f File) ([]byte, error) {
	body, _, err := c.OpenBlob(ctx, f.Digest, 0)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", f.Path, err)
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, f.Size+1))
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", f.Path, err)
	}
	sum := sha256.Sum256(b)
	if digest := "sha256:" + hex.EncodeToString(sum[:]); int64(len(b)) != f.Size || digest != f.Digest {
		return nil, &Error{Code: CodeDigestMismatch, Message: fmt.Sprintf(
			"file %q: received %d bytes hashing to %s; the version lists %d bytes with %s", f.Path, len(b), digest, f.Size, f.Digest)}
	}
	return b, nil
}
