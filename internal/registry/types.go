package registry

import "time"

// Kinds of model. Models and datasets share one namespace of names: a name
// is one or the other, so a reference means the same thing everywhere.
const (
	KindModel   = "model"
	KindDataset = "dataset"
)

// Model is a named collection of versions. Kind says whether it holds a
// model or a dataset; both are versioned, aliased and stored alike.
type Model struct {
	Name         string            `json:"name"`
	Kind         string            `json:"kind"` // KindModel or KindDataset
	Description  string            `json:"description"`
	Tags         map[string]string `json:"tags"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	LastNumber   int64             `json:"last_version"` // highest number ever given, deleted or not
	CreatedBy    string            `json:"created_by"`
	VersionCount int64             `json:"version_count"` // live (not deleted) versions
	Aliases      map[string]int64  `json:"aliases"`       // alias -> version number
}

// File is one entry of a version's manifest. A regular file has a Digest and
// Size; a symbolic link has a Target (relative, inside the tree) and neither.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Digest string `json:"digest,omitempty"`
	Mode   uint32 `json:"mode"`
	Target string `json:"target,omitempty"`
}

// IsLink reports whether f is a symbolic link.
func (f File) IsLink() bool { return f.Target != "" }

// Source records where a version came from. Later capabilities fill it.
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

// Lineage is what a version was made from, beyond its code (Source.Git) and
// run (Source.Run): the dataset versions it was trained and evaluated on and
// the model version it derives from. Every entry is resolved when the version
// is created, so it names one immutable version and its digest.
type Lineage struct {
	Datasets []DatasetUse    `json:"datasets,omitempty"`
	Parent   *VersionPointer `json:"parent,omitempty"`
}

// DatasetUse is one dataset version a model version used, in a role such as
// "train" or "eval".
type DatasetUse struct {
	Role string `json:"role"`
	VersionPointer
}

// VersionPointer names one version exactly. Ref is what the caller wrote
// ("sales@current"); Name, Version and Digest are what it resolved to.
type VersionPointer struct {
	Ref     string `json:"ref,omitempty"`
	Name    string `json:"name"`
	Version int64  `json:"version"`
	Digest  string `json:"digest"`
}

// RunSource is the training run that produced a version.
type RunSource struct {
	System string `json:"system,omitempty"` // e.g. "mlflow"
	ID     string `json:"id,omitempty"`
	URI    string `json:"uri,omitempty"`
}

// Version is an immutable snapshot of a model's files plus its metadata.
// Files, Digest, Number, Label, Metrics, Params and Source never change after
// creation; Description and Tags stay editable.
type Version struct {
	Model       string             `json:"model"`
	Number      int64              `json:"version"`
	Label       string             `json:"label"`
	Digest      string             `json:"digest"`
	Description string             `json:"description"`
	Metrics     map[string]float64 `json:"metrics"`
	Params      map[string]string  `json:"params"`
	Tags        map[string]string  `json:"tags"`
	Source      Source             `json:"source"`
	Lineage     Lineage            `json:"lineage"`
	Files       []File             `json:"files"`
	Size        int64              `json:"size"` // sum of file sizes
	Aliases     []string           `json:"aliases"`
	CreatedBy   string             `json:"created_by"`
	CreatedAt   time.Time          `json:"created_at"`
	DeletedAt   *time.Time         `json:"deleted_at,omitempty"`
}

// Deleted reports whether v was soft-deleted.
func (v Version) Deleted() bool { return v.DeletedAt != nil }

// Alias is a movable name pointing at one version of a model.
type Alias struct {
	Model     string    `json:"model"`
	Name      string    `json:"alias"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// AliasMove is one recorded change of an alias. From or To is 0 when the
// alias did not exist before, or was removed.
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

// Event types.
const (
	EventModelCreated   = "model.created"
	EventModelUpdated   = "model.updated"
	EventModelDeleted   = "model.deleted"
	EventModelRenamed   = "model.renamed"
	EventVersionCreated = "version.created"
	EventVersionUpdated = "version.updated"
	EventVersionDeleted = "version.deleted"
	EventAliasSet       = "alias.set"
	EventAliasRemoved   = "alias.removed"
	EventTokenCreated   = "token.created"
	EventTokenRevoked   = "token.revoked"
)

// Role is what a token may do. Higher roles include the lower ones.
type Role int

// Roles, in increasing power.
const (
	RoleNone Role = iota
	RoleReader
	RoleWriter
	RoleAdmin
)

func (r Role) String() string {
	switch r {
	case RoleReader:
		return "reader"
	case RoleWriter:
		return "writer"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// ParseRole parses "reader", "writer" or "admin".
func ParseRole(s string) (Role, error) {
	switch s {
	case "reader":
		return RoleReader, nil
	case "writer":
		return RoleWriter, nil
	case "admin":
		return RoleAdmin, nil
	}
	return RoleNone, E(KindInvalid, "role %q is not one of reader, writer, admin", s)
}

// Token is an API token. Only the SHA-256 of the secret is stored.
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      Role       `json:"-"`
	Hash      string     `json:"-"` // hex sha256 of the secret
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Principal is who makes a call: a token's name and role.
type Principal struct {
	Name string
	Role Role
}
