package registry

import (
	"context"
	"io"
	"time"
)

// Store is the metadata store. Every read happens in a View and every change
// in an Update; the registry composes the small reader and writer interfaces
// below inside one transaction, so a version, its aliases and its events
// commit together or not at all.
//
// Implementations: internal/storage/meta/sqlite (default). The conformance
// suite in internal/storage/meta/metatest defines the behaviour exactly.
type Store interface {
	// View runs fn in a consistent read-only snapshot.
	View(ctx context.Context, fn func(ReadTx) error) error
	// Update runs fn in a read-write transaction. When fn returns nil the
	// writes commit durably (fsync) before Update returns; otherwise none of
	// them happen. Updates are serialized: inside one, GetModel sees and
	// locks the latest committed row. After a write method fails, fn must
	// return an error: the transaction may not be usable any more (as on
	// PostgreSQL), so callers never recover from a failed write inside one.
	Update(ctx context.Context, fn func(WriteTx) error) error
	Close() error
}

// ReadTx is what can be read inside a transaction.
type ReadTx interface {
	ModelReader
	VersionReader
	VersionSearcher
	LineageReader
	AliasReader
	EventReader
	TokenReader
	// ReferencedDigests, for a transaction, names every file digest of
	// every live (not deleted) version of every model and dataset.
	BlobReferrer
}

// WriteTx is what can be read and written inside an Update.
type WriteTx interface {
	ReadTx
	ModelWriter
	VersionWriter
	AliasWriter
	EventWriter
	TokenWriter
}

// Page limits.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Page selects one page of a listing. Token is opaque: empty for the first
// page, and the NextToken of the previous page after that.
type Page struct {
	Token string
	Size  int // 0 means DefaultPageSize; the store caps it at MaxPageSize
}

// TagFilter matches objects with tag Key; when HasValue, with that Value.
type TagFilter struct {
	Key      string
	Value    string
	HasValue bool
}

// ModelQuery filters a model listing, ordered by name.
type ModelQuery struct {
	Kind   string     // KindModel or KindDataset; "" lists both
	Prefix string     // name prefix
	Tag    *TagFilter // model tag
	Alias  string     // models that have this alias set
	Page   Page
}

// ModelReader reads models. Returned models carry their tags and aliases.
type ModelReader interface {
	// GetModel returns KindNotFound when the model does not exist.
	GetModel(ctx context.Context, name string) (Model, error)
	// ListModels returns one page and the token of the next ("" at the end).
	ListModels(ctx context.Context, q ModelQuery) ([]Model, string, error)
}

// ModelWriter changes models.
type ModelWriter interface {
	// CreateModel returns KindAlreadyExists when the name is taken. Kind
	// is stored as given ("" is stored as KindModel) and never changes.
	CreateModel(ctx context.Context, m Model) error
	// UpdateModel stores Description, Tags (replacing them), UpdatedAt,
	// LastNumber and VersionCount. Aliases are written through AliasWriter.
	UpdateModel(ctx context.Context, m Model) error
	// DeleteModel removes the model with its versions, aliases and alias
	// history. Events stay.
	DeleteModel(ctx context.Context, name string) error
	// RenameModel moves a model with its tags, versions, aliases and alias
	// history to a new name. Lineage follows: versions that name the model
	// as an input (Version.Lineage, LineageReader.UsedBy) name it by its new
	// name, though the Ref each caller wrote stays as written. KindNotFound
	// when from does not exist, KindAlreadyExists when to is taken. Events
	// keep the old name.
	RenameModel(ctx context.Context, from, to string) error
}

// VersionQuery filters a version listing, newest number first.
type VersionQuery struct {
	Tag            *TagFilter
	Alias          string // only the version this alias points at
	IncludeDeleted bool
	Page           Page
}

// VersionReader reads versions. Returned versions carry files, tags and the
// aliases pointing at them.
type VersionReader interface {
	// GetVersion returns the version with that number, deleted or not, or
	// KindNotFound.
	GetVersion(ctx context.Context, model string, number int64) (Version, error)
	// FindVersion resolves a reference's selector to a live version: by
	// number (deleted versions too, so the caller can say so), label, alias,
	// digest (the newest live one) or, when none is set, the newest live
	// version. KindNotFound when nothing matches.
	FindVersion(ctx context.Context, ref Ref) (Version, error)
	ListVersions(ctx context.Context, model string, q VersionQuery) ([]Version, string, error)
	// CountVersions counts live versions across all models.
	CountVersions(ctx context.Context) (int64, error)
}

// VersionWriter changes versions.
type VersionWriter interface {
	// InsertVersion stores a new version with its lineage, whose inputs
	// become visible to LineageReader.UsedBy. KindAlreadyExists when a live
	// version of the model already has the label, or the number is taken.
	InsertVersion(ctx context.Context, v Version) error
	// UpdateVersion stores Description, Tags (replacing them) and DeletedAt.
	// A deleted version's label is free for reuse.
	UpdateVersion(ctx context.Context, v Version) error
}

// LineageEdge is one input of a version: the version Model/Number used
// Upstream in Role ("train", "eval", ... or RoleParent).
type LineageEdge struct {
	Model    string
	Number   int64
	Role     string
	Upstream VersionPointer // Ref is what the downstream version's creator wrote
}

// LineageReader answers the downstream direction of lineage; the upstream
// direction is each version's own Lineage.
type LineageReader interface {
	// UsedBy lists the inputs naming version number of upstream (number 0:
	// any version of it) declared by live versions, ordered by downstream
	// model, number and position, at most limit of them (0: no limit).
	UsedBy(ctx context.Context, upstream string, number int64, limit int) ([]LineageEdge, error)
}

// HistoryQuery selects alias moves, newest first.
type HistoryQuery struct {
	Until time.Time // zero: no bound; else only moves at or before Until
	Page  Page
}

// AliasReader reads aliases and their history.
type AliasReader interface {
	// GetAlias returns KindNotFound when the alias is not set.
	GetAlias(ctx context.Context, model, alias string) (Alias, error)
	ListAliases(ctx context.Context, model string) ([]Alias, error)
	// AliasHistory lists recorded moves of one alias, newest first.
	AliasHistory(ctx context.Context, model, alias string, q HistoryQuery) ([]AliasMove, string, error)
}

// AliasWriter changes aliases. Moves are recorded by the caller with
// AppendAliasMove in the same transaction.
type AliasWriter interface {
	PutAlias(ctx context.Context, a Alias) error // insert or replace
	DeleteAlias(ctx context.Context, model, alias string) error
	AppendAliasMove(ctx context.Context, m AliasMove) error
}

// EventQuery selects events in increasing Seq order.
type EventQuery struct {
	AfterSeq int64
	Model    string
	Type     string
	Limit    int // 0 means DefaultPageSize; capped at MaxPageSize
}

// EventReader reads the audit log.
type EventReader interface {
	ListEvents(ctx context.Context, q EventQuery) ([]Event, error)
}

// EventWriter appends to the audit log; entries are never changed.
type EventWriter interface {
	// AppendEvent stores e and returns its Seq (increasing, never reused).
	AppendEvent(ctx context.Context, e Event) (int64, error)
}

// TokenReader reads API tokens.
type TokenReader interface {
	// TokenByHash returns the token whose secret hashes to hash (hex
	// sha256), revoked or not, or KindNotFound.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	ListTokens(ctx context.Context) ([]Token, error)
}

// TokenWriter creates and revokes tokens.
type TokenWriter interface {
	// CreateToken returns KindAlreadyExists when the ID or name is taken.
	CreateToken(ctx context.Context, t Token) error
	// RevokeToken sets RevokedAt; KindNotFound for an unknown ID.
	RevokeToken(ctx context.Context, id string, at time.Time) error
}

// BlobInfo describes one stored blob, as garbage collection sees it.
type BlobInfo struct {
	Digest string
	Size   int64
	// ModTime is when the blob was last written or touched (a Put of bytes
	// already stored renews it). Collection spares blobs younger than its
	// grace period, so uploads not yet committed into a version survive.
	ModTime time.Time
	// Parts lists, for a file stored as a recipe of ranges of other blobs
	// (chunk-level dedup), the blobs that hold its bytes. A live file keeps
	// its parts alive. Nil for a blob stored whole, non-nil (even if empty)
	// for a recipe.
	Parts []string
}

// BlobReferrer is anything that holds references to blobs: the metadata
// store's versions, and subsystems that keep blobs of their own (the MLflow
// artifact index). Garbage collection keeps every blob a referrer names.
type BlobReferrer interface {
	// ReferencedDigests calls fn once for each distinct digest referenced,
	// in no particular order, from one consistent snapshot. An error from fn
	// stops the iteration and is returned as is.
	ReferencedDigests(ctx context.Context, fn func(digest string) error) error
}

// BlobToucher renews and reads a blob's ModTime. Whoever is about to
// reference a stored blob touches it first, so a garbage collection that
// listed the blob as old and unreferenced sees it changed and spares it
// (see CollectGarbage).
type BlobToucher interface {
	// Touch sets the blob's ModTime to now; KindNotFound when absent.
	Touch(ctx context.Context, digest string) error
	// ModTime returns the blob's ModTime as Walk reports it; KindNotFound
	// when absent.
	ModTime(ctx context.Context, digest string) (time.Time, error)
}

// BlobWalker lists stored blobs.
type BlobWalker interface {
	// Walk calls fn for every stored blob in digest order. Blobs added or
	// deleted during the walk may or may not be seen. An error from fn
	// stops the walk and is returned as is.
	Walk(ctx context.Context, fn func(BlobInfo) error) error
}

// BlobStore is the content-addressed store of file bytes, keyed by
// "sha256:<hex>" digests. A blob becomes visible only once its bytes are
// verified and durable, so readers never see a partial blob.
//
// Every method returns KindInvalid for a malformed digest, and
// KindUnavailable wrapping ctx.Err() when the context ends first.
//
// Implementations: internal/storage/blob/fs (default). The conformance suite
// in internal/storage/blob/blobtest defines the behaviour exactly.
type BlobStore interface {
	BlobStatter
	BlobOpener
	BlobWriter
	BlobIngester
	BlobSizer
	BlobDeleter
}

// BlobStatter answers whether a blob is stored.
type BlobStatter interface {
	// Stat returns the blob's size, or KindNotFound.
	Stat(ctx context.Context, digest string) (int64, error)
}

// BlobOpener reads blobs.
type BlobOpener interface {
	// Open returns a reader positioned at the start of the blob, and its
	// size; KindNotFound when absent. For the filesystem store the reader
	// is an *os.File, so HTTP serving can use sendfile.
	Open(ctx context.Context, digest string) (io.ReadSeekCloser, int64, error)
}

// BlobWriter stores blobs.
type BlobWriter interface {
	// Put reads exactly size bytes from r, hashing them while it writes, and
	// makes the blob visible only if they hash to digest. Errors:
	// KindInvalid for a bad digest or fewer than size bytes (truncated),
	// KindDigestMismatch when the bytes hash to something else or r holds
	// more than size bytes. A reader error (other than io.EOF after exactly
	// size bytes) fails the upload. On any error nothing becomes visible and a blob
	// stored before is untouched. Putting a blob that exists still reads and
	// verifies r but writes nothing.
	Put(ctx context.Context, digest string, size int64, r io.Reader) error
}

// BlobIngester stores blobs whose digest the caller does not know yet.
type BlobIngester interface {
	// Ingest reads exactly size bytes from r, stores them under the digest
	// they hash to, and returns it. Errors and atomicity are as for Put; when
	// the blob is already stored, nothing is written.
	Ingest(ctx context.Context, size int64, r io.Reader) (digest string, err error)
}

// BlobSizer answers whether any stored blob has a given size. A client that
// learns no blob has its file's size knows the file is not stored, and may
// upload it while hashing it instead of hashing it first. The answer may be
// stale across server replicas: a wrong "no" only costs bandwidth, since the
// store keeps one copy per digest whatever is uploaded.
type BlobSizer interface {
	HasSize(size int64) bool
}

// BlobDeleter removes blobs; used by garbage collection.
type BlobDeleter interface {
	// Delete removes a blob; deleting an absent blob is not an error.
	Delete(ctx context.Context, digest string) error
}
