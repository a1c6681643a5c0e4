package client

import "time"

// The types below mirror the JSON shapes of api/openapi.yaml.

// Kinds of name: a name holds models or datasets, never both.
const (
	KindModel   = "model"
	KindDataset = "dataset"
)

// Model is a named collection of versions of a model or, when Kind is
// KindDataset, of a dataset.
type Model struct {
	Name         string            `json:"name"`
	Kind         string            `json:"kind"`
	Description  string            `json:"description"`
	Tags         map[string]string `json:"tags"`
	Aliases      map[string]int64  `json:"aliases"`      // alias -> version number
	LastVersion  int64             `json:"last_version"` // highest number ever given
	VersionCount int64             `json:"version_count"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	CreatedBy    string            `json:"created_by"`
}

// NewModel creates an empty model.
type NewModel struct {
	Name        string            `json:"name"`
	Kind        string            `json:"kind,omitempty"` // KindModel when empty
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// Patch changes a model's or a version's description and tags. Nil fields
// are left as they are.
type Patch struct {
	Description *string           `json:"description,omitempty"`
	SetTags     map[string]string `json:"set_tags,omitempty"`
	RemoveTags  []string          `json:"remove_tags,omitempty"`
}

// File is one entry of a version's manifest: a regular file (Digest and
// Size) or a symbolic link (Target, relative and inside the tree).
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Digest string `json:"digest,omitempty"`
	Mode   uint32 `json:"mode"`
	Target string `json:"target,omitempty"`
}

// IsLink reports whether f is a symbolic link.
func (f File) IsLink() bool { return f.Target != "" }

// Source records where a version came from.
type Source struct {
	Git *GitSource `json:"git,omitempty"`
	Run *RunSource `json:"run,omitempty"`
}

// GitSource is the code a version was built from.
type GitSource struct {
	Remote     string `json:"remote,omitempty"`
	Commit     string `json:"commit,omitempty"`
	Branch     string `json:"branch,omitempty"`
	Dirty      bool   `json:"dirty,omitempty"`
	DiffDigest string `json:"diff_digest,omitempty"`
}

// RunSource is the training run that produced a version.
type RunSource struct {
	System string `json:"system,omitempty"`
	ID     string `json:"id,omitempty"`
	URI    string `json:"uri,omitempty"`
}

// NewVersion is the body that creates a version; every file's blob must be
// uploaded first (Push does all of it).
type NewVersion struct {
	Label       string             `json:"label,omitempty"`
	Description string             `json:"description,omitempty"`
	Metrics     map[string]float64 `json:"metrics,omitempty"`
	Params      map[string]string  `json:"params,omitempty"`
	Tags        map[string]string  `json:"tags,omitempty"`
	Source      *Source            `json:"source,omitempty"`
	Files       []File             `json:"files"`
	Aliases     []string           `json:"aliases,omitempty"`
	// Kind is the kind the name must be (KindModel when empty); a new name
	// gets it.
	Kind    string        `json:"kind,omitempty"`
	Lineage *LineageInput `json:"lineage,omitempty"`
}

// LineageInput declares what a new version was made from, as references
// the server resolves when it creates the version.
type LineageInput struct {
	Datasets []DatasetInput `json:"datasets,omitempty"`
	Parent   string         `json:"parent,omitempty"` // a version of the same kind, e.g. "base@2"
}

// DatasetInput is one dataset version used in a role, e.g. {"train", "sales/3"}.
type DatasetInput struct {
	Role string `json:"role"`
	Ref  string `json:"ref"`
}

// Lineage is what a version was made from, each reference resolved to one
// version when the version was created.
type Lineage struct {
	Datasets []DatasetUse    `json:"datasets,omitempty"`
	Parent   *VersionPointer `json:"parent,omitempty"`
}

// DatasetUse is one dataset version a version used, in Role.
type DatasetUse struct {
	Role string `json:"role"`
	VersionPointer
}

// VersionPointer names one version exactly; Ref is what the pusher wrote.
type VersionPointer struct {
	Ref     string `json:"ref,omitempty"`
	Name    string `json:"name"`
	Version int64  `json:"version"`
	Digest  string `json:"digest"`
}

// Version is an immutable snapshot of a model's files plus its metadata.
type Version struct {
	Model       string             `json:"model"`
	Version     int64              `json:"version"`
	Label       string             `json:"label"`
	Digest      string             `json:"digest"`
	Description string             `json:"description"`
	Metrics     map[string]float64 `json:"metrics"`
	Params      map[string]string  `json:"params"`
	Tags        map[string]string  `json:"tags"`
	Source      Source             `json:"source"`
	Lineage     Lineage            `json:"lineage"`
	Files       []File             `json:"files"`
	Size        int64              `json:"size"`
	Aliases     []string           `json:"aliases"`
	CreatedBy   string             `json:"created_by"`
	CreatedAt   time.Time          `json:"created_at"`
	DeletedAt   *time.Time         `json:"deleted_at,omitempty"`
}

// Ref renders the version's exact reference, "model/number".
func (v Version) Ref() string { return v.Model + "/" + itoa(v.Version) }

// Alias is a movable name pointing at one version of a model.
type Alias struct {
	Model     string    `json:"model"`
	Alias     string    `json:"alias"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// AliasMove is one recorded change of an alias. From is 0 when the alias was
// not set before; To is 0 when it was removed. Seq is 0 when a call changed
// nothing.
type AliasMove struct {
	Seq    int64     `json:"seq"`
	Model  string    `json:"model"`
	Alias  string    `json:"alias"`
	From   int64     `json:"from"`
	To     int64     `json:"to"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Blob is a stored content-addressed blob.
type Blob struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	// CRC32C is the CRC-32C (Castagnoli) of the bytes the server received,
	// in 8 hex digits; only IngestBlob answers carry it.
	CRC32C string `json:"crc32c,omitempty"`
}

// Event is one entry of the append-only audit log.
type Event struct {
	Seq     int64          `json:"seq"`
	Type    string         `json:"type"`
	Actor   string         `json:"actor"`
	Model   string         `json:"model,omitempty"`
	Version int64          `json:"version,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
	At      time.Time      `json:"at"`
}

// Token is an API token as listed; its secret is never shown again.
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// CreatedToken is a new token with its secret, shown only once.
type CreatedToken struct {
	Token
	Secret string `json:"token"`
}

// Whoami is the caller's token name and role.
type Whoami struct {
	Name string `json:"name"`
	Role string `json:"role"`
}
