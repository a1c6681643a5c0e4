package api

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

type digestList struct {
	Digests []string `json:"digests"`
	Sizes   []int64  `json:"sizes"`
}

type missingBlobs struct {
	Missing  []string `json:"missing"`
	NewSizes []int64  `json:"new_sizes"`
}

type blobInfo struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	CRC32C string `json:"crc32c,omitempty"` // of the bytes received, for streamed uploads
}

// castagnoli is the CRC-32C table; hash/crc32 computes it with SSE 4.2.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (h *Handler) missingBlobs(w http.ResponseWriter, r *http.Request) error {
	var req digestList
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	missing, err := h.svc.MissingBlobs(r.Context(), req.Digests)
	if err != nil {
		return err
	}
	sizes, err := h.svc.UnknownSizes(r.Context(), req.Sizes)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, missingBlobs{Missing: missing, NewSizes: sizes})
}

// putBlob stores the request body as a blob. The store verifies the bytes
// against the digest while it writes; a client that sends fewer bytes than
// its Content-Length, or hangs up, leaves nothing behind.
func (h *Handler) putBlob(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength < 0 {
		return registry.E(kindLengthRequired, "send the blob's size as Content-Length")
	}
	digest := r.PathValue("digest")
	if err := registry.ValidateDigest(digest); err != nil {
		return err
	}
	_, statErr := h.svc.Blobs().Stat(r.Context(), digest)
	err := h.svc.PutBlob(r.Context(), digest, r.ContentLength, uploadBody(w, r))
	if err != nil {
		return uploadError(r, err)
	}
	status := http.StatusCreated
	if statErr == nil {
		status = http.StatusOK
	}
	return writeJSON(w, status, blobInfo{Digest: digest, Size: r.ContentLength})
}

// ingestBlob stores the request body under the digest it hashes to. Clients
// use it for files no stored blob has the size of, so they need not hash
// them before the upload. The answer carries the CRC-32C of the bytes
// received: a client compares it with its own to know the server stored
// what the file holds, at a fraction of the cost of a second SHA-256.
func (h *Handler) ingestBlob(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength < 0 {
		return registry.E(kindLengthRequired, "send the blob's size as Content-Length")
	}
	crc := crc32.New(castagnoli)
	digest, err := h.svc.IngestBlob(r.Context(), r.ContentLength, io.TeeReader(uploadBody(w, r), crc))
	if err != nil {
		return uploadError(r, err)
	}
	sum := fmt.Sprintf("%08x", crc.Sum32())
	return writeJSON(w, http.StatusCreated, blobInfo{Digest: digest, Size: r.ContentLength, CRC32C: sum})
}

func uploadBody(w http.ResponseWriter, r *http.Request) io.Reader {
	return bodyReader{r: r.Body, rc: http.NewResponseController(w)}
}

// uploadError names a client that hung up as the cause, rather than the
// store's cancellation.
func uploadError(r *http.Request, err error) error {
	if r.Context().Err() != nil {
		return registry.Wrap(registry.KindInvalid, err, "upload interrupted: the client closed the connection")
	}
	return bodyError(err)
}

// bodyIdleTimeout is how long an upload may send nothing before the server
// gives up on it, so stalled clients cannot hold upload slots forever.
const bodyIdleTimeout = 2 * time.Minute

// bodyReader marks read failures of the request body as client errors, so a
// truncated upload is INVALID_ARGUMENT rather than INTERNAL, and pushes the
// read deadline forward while bytes keep coming.
type bodyReader struct {
	r  io.Reader
	rc *http.ResponseController
}

func (b bodyReader) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(bodyIdleTimeout)) // unsupported writers just keep no deadline
	n, err := b.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, bodyError(err)
	}
	return n, err
}

func (h *Handler) headBlob(w http.ResponseWriter, r *http.Request) error {
	size, err := h.svc.StatBlob(r.Context(), r.PathValue("digest"))
	if err != nil {
		// HEAD responses have no body: the status says it all.
		w.WriteHeader(HTTPStatus(err))
		return nil
	}
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("ETag", strconv.Quote(r.PathValue("digest")))
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getBlob(w http.ResponseWriter, r *http.Request) error {
	return h.serveBlob(w, r, r.PathValue("digest"))
}

// serveBlob streams a blob with Range support. The bytes were verified when
// they were stored, so they are not hashed again on the way out; the
// filesystem store's *os.File lets net/http use sendfile.
func (h *Handler) serveBlob(w http.ResponseWriter, r *http.Request, digest string) error {
	f, _, err := h.svc.OpenBlob(r.Context(), digest)
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", strconv.Quote(digest))
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}
