// Package registry is Modelry's domain: models, immutable versions, movable
// aliases with history, tags, tokens and the append-only event log.
//
// It owns the rules (names, references, manifests, who may do what) and the
// small interfaces it needs from the outside world: a metadata Store and a
// content-addressed BlobStore. It knows nothing of HTTP, SQL or disks; the
// REST adapter (internal/api), the stores (internal/storage/...) and the CLI
// plug into it.
package registry
