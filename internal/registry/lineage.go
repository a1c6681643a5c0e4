package registry

import (
	"context"
	"strings"
	"unicode/utf8"
)

// Lineage limits. They are part of the API contract.
const (
	MaxLineageDatasets = 100 // dataset uses one version may declare
	MaxRoleLen         = 63
)

// RoleParent is the role of the edge from a version's parent to it, in
// lineage graphs and LineageEdge. Datasets may not use it as their role.
const RoleParent = "parent"

// LineageInput is the lineage a caller declares for a new version, as
// references; CreateVersion resolves each to one version.
type LineageInput struct {
	Datasets []DatasetInput
	Parent   string // reference to a version of the same kind; "" for none
}

// DatasetInput is one dataset version used in a role, e.g. train=sales/3.
type DatasetInput struct {
	Role string
	Ref  string
}

func (l LineageInput) empty() bool { return len(l.Datasets) == 0 && l.Parent == "" }

// ValidateKind checks a model kind; "" is not a kind.
func ValidateKind(kind string) error {
	if kind != KindModel && kind != KindDataset {
		return E(KindInvalid, "kind %s is not %q or %q", quote(kind), KindModel, KindDataset)
	}
	return nil
}

// kindOrModel returns kind, with "" meaning KindModel, after checking it.
func kindOrModel(kind string) (string, error) {
	if kind == "" {
		return KindModel, nil
	}
	return kind, ValidateKind(kind)
}

// ValidateRole checks a dataset role such as "train" or "eval": 1-63
// letters, digits, '-', '_' and '.', starting with a letter; "parent" is
// reserved for the parent version.
func ValidateRole(role string) error {
	if role == "" {
		return E(KindInvalid, "dataset role is empty; write ROLE=REF, e.g. train=sales/3")
	}
	if len(role) > MaxRoleLen {
		return E(KindInvalid, "dataset role is %d characters long; the limit is %d", len(role), MaxRoleLen)
	}
	if role == RoleParent {
		return E(KindInvalid, `dataset role "parent" is reserved; declare the parent version as the parent, not as a dataset`)
	}
	if first, _ := utf8.DecodeRuneInString(role); !isLetter(first) {
		return E(KindInvalid, "dataset role %s must start with a letter, e.g. train or eval", quote(role))
	}
	for _, r := range role {
		if !isNameRune(r) {
			return E(KindInvalid, "dataset role %s contains %s; use only letters, digits, '-', '_' and '.'", quote(role), describeRune(r))
		}
	}
	return nil
}

// validate checks everything that needs no store: counts, roles, and that
// every reference parses.
func (l LineageInput) validate() error {
	if len(l.Datasets) > MaxLineageDatasets {
		return E(KindInvalid, "lineage lists %d datasets; the limit is %d", len(l.Datasets), MaxLineageDatasets)
	}
	seen := map[DatasetInput]bool{}
	for _, d := range l.Datasets {
		if err := ValidateRole(d.Role); err != nil {
			return err
		}
		if _, err := ParseRef(d.Ref); err != nil {
			return E(KindInvalid, "dataset %s=%s: %s", d.Role, d.Ref, Message(err))
		}
		if seen[d] {
			return E(KindInvalid, "dataset %s=%s is given twice", d.Role, d.Ref)
		}
		seen[d] = true
	}
	if l.Parent != "" {
		if _, err := ParseRef(l.Parent); err != nil {
			return E(KindInvalid, "parent: %s", Message(err))
		}
	}
	return nil
}

// resolveLineage resolves every reference of in inside tx: datasets to
// live versions of datasets, the parent to a live version of kind.
func (s *Service) resolveLineage(ctx context.Context, tx ReadTx, kind string, in LineageInput) (Lineage, error) {
	var l Lineage
	for _, d := range in.Datasets {
		p, err := s.resolvePointer(ctx, tx, d.Ref, KindDataset, "dataset "+d.Role+"="+d.Ref)
		if err != nil {
			return Lineage{}, err
		}
		l.Datasets = append(l.Datasets, DatasetUse{Role: d.Role, VersionPointer: p})
	}
	if in.Parent != "" {
		p, err := s.resolvePointer(ctx, tx, in.Parent, kind, "parent "+in.Parent)
		if err != nil {
			return Lineage{}, err
		}
		l.Parent = &p
	}
	return l, nil
}

// resolvePointer resolves ref to a live version of a name of kind want.
// what names the input in messages ("dataset train=sales/3").
func (s *Service) resolvePointer(ctx context.Context, tx ReadTx, ref, want, what string) (VersionPointer, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return VersionPointer{}, err
	}
	m, err := tx.GetModel(ctx, r.Model)
	if Is(err, KindNotFound) {
		return VersionPointer{}, E(KindNotFound, "%s: %s %q not found", what, want, r.Model)
	}
	if err != nil {
		return VersionPointer{}, err
	}
	if m.Kind != want {
		return VersionPointer{}, E(KindWrongKind, "%s: %q is a %s, not a %s", what, r.Model, m.Kind, want)
	}
	v, err := s.resolve(ctx, tx, r)
	if Is(err, KindNotFound) {
		return VersionPointer{}, E(KindNotFound, "%s: %s", what, strings.Replace(Message(err), "model ", want+" ", 1))
	}
	if err != nil {
		return VersionPointer{}, err
	}
	return VersionPointer{Ref: ref, Name: v.Model, Version: v.Number, Digest: v.Digest}, nil
}

// kindMismatch refuses a push of kind want into m, naming the command that
// pushes what m is.
func kindMismatch(m Model, want string) error {
	how := `'modelry push' (REST: "kind": "model")`
	if m.Kind == KindDataset {
		how = `'modelry data push' (REST: "kind": "dataset")`
	}
	return E(KindWrongKind, "%q is a %s, not a %s; names are one kind or the other: push to %q with %s, or pick another name",
		m.Name, m.Kind, want, m.Name, how)
}

// String renders l on one line for the event log:
// "train=sales/3 eval=holdout/1 parent=base/2".
func (l Lineage) String() string {
	var parts []string
	for _, d := range l.Datasets {
		parts = append(parts, d.Role+"="+nodeID(d.Name, d.Version))
	}
	if p := l.Parent; p != nil {
		parts = append(parts, RoleParent+"="+nodeID(p.Name, p.Version))
	}
	return strings.Join(parts, " ")
}
