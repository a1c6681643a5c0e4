package client

import (
	"context"
	"net/http"
)

// DownloadFiles writes the given entries of a version's manifest under dest,
// as Pull does (each regular file verified against its digest, fsynced and
// renamed into place; links recreated), but without looking at what dest
// already holds: the caller has decided which files need writing. Whatever
// stands at a file's path is replaced. modelry checkout uses it.
func (c *Client) DownloadFiles(ctx context.Context, dest string, files []File, o PullOptions) (PullReport, error) {
	var rep PullReport
	if err := checkManifest(files); err != nil {
		return rep, err
	}
	var regular []File
	for _, f := range files {
		if !f.IsLink() {
			regular = append(regular, f)
			rep.Files++
			rep.Bytes += f.Size
		}
	}
	if err := c.downloadAll(ctx, dest, regular, o, &rep); err != nil {
		return rep, err
	}
	for _, f := range files {
		if f.IsLink() {
			if err := makeLink(dest, f); err != nil {
				return rep, err
			}
			rep.Links++
		}
	}
	return rep, syncDirs(dest, files)
}

// ModelKind returns whether name is a "model" or a "dataset". Servers that
// predate datasets send no kind, which means "model".
func (c *Client) ModelKind(ctx context.Context, name string) (string, error) {
	var m struct {
		Kind string `json:"kind"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: modelPath(name)}, &m); err != nil {
		return "", err
	}
	if m.Kind == "" {
		return "model", nil
	}
	return m.Kind, nil
}
