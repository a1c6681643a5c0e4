package registry

import (
	"context"
	"fmt"
	"strings"
)

// NewVersion is what a caller gives to create a version. Every file's bytes
// must already be in the blob store (see MissingBlobs and PutBlob).
type NewVersion struct {
	Label       string
	Description string
	Metrics     map[string]float64
	Params      map[string]string
	Tags        map[string]string
	Source      Source
	Files       []File
	Aliases     []string // set to the new version in the same transaction

	// Kind is the kind the caller expects the name to be (KindModel when
	// ""): a name of the other kind is refused, a new name gets this kind.
	Kind string
	// Existing refuses to create the model: a name that does not exist is
	// KindNotFound, checked in the version's own transaction.
	Existing bool
	// Lineage lists the dataset versions and the parent version this one
	// was made from, as references resolved in the same transaction.
	Lineage LineageInput
}

// validate checks everything about a new version that needs no store, and
// returns its files sorted.
func (in NewVersion) validate() ([]File, error) {
	if in.Label != "" {
		if err := ValidateLabel(in.Label); err != nil {
			return nil, err
		}
	}
	if err := ValidateDescription(in.Description); err != nil {
		return nil, err
	}
	if err := ValidateMetrics(in.Metrics); err != nil {
		return nil, err
	}
	if err := ValidateTags("param", in.Params); err != nil {
		return nil, err
	}
	if err := ValidateTags("tag", in.Tags); err != nil {
		return nil, err
	}
	if err := ValidateSource(in.Source); err != nil {
		return nil, err
	}
	if _, err := kindOrModel(in.Kind); err != nil {
		return nil, err
	}
	if err := in.Lineage.validate(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, a := range in.Aliases {
		if err := ValidateAlias(a); err != nil {
			return nil, err
		}
		if seen[a] {
			return nil, E(KindInvalid, "alias %q is given twice", a)
		}
		seen[a] = true
	}
	return ValidateManifest(in.Files)
}

// CreateVersion creates the next version of a model (and the model itself,
// if it does not exist yet). All of the version's blobs must be stored and of
// the declared sizes; otherwise nothing is created and the error is
// KindMissingBlobs or KindInvalid. The version, its aliases and its events
// commit in one transaction.
func (s *Service) CreateVersion(ctx context.Context, model string, in NewVersion) (v Version, err error) {
	if err := ValidateModelName(model); err != nil {
		return Version{}, err
	}
	files, err := in.validate()
	if err != nil {
		return Version{}, err
	}
	if _, err := require(ctx, RoleWriter); err != nil {
		return Version{}, err
	}
	// From the blob check to the commit, collection may not delete (gc.go).
	release := s.holdReferences()
	defer release()
	if err := s.checkBlobs(ctx, files); err != nil {
		return Version{}, err
	}
	err = s.update(ctx, RoleWriter, func(tx WriteTx, p Principal) error {
		v, err = s.insertVersion(ctx, tx, p, model, in, files)
		return err
	})
	return v, err
}

func (s *Service) insertVersion(ctx context.Context, tx WriteTx, p Principal, model string, in NewVersion, files []File) (Version, error) {
	kind, _ := kindOrModel(in.Kind) // checked by validate
	m, err := tx.GetModel(ctx, model)
	if Is(err, KindNotFound) && !in.Existing {
		m, err = s.createModel(ctx, tx, p, NewModel{Name: model, Kind: kind})
	}
	if err != nil {
		return Version{}, err
	}
	if m.Kind != kind {
		return Version{}, kindMismatch(m, kind)
	}
	lineage, err := s.resolveLineage(ctx, tx, kind, in.Lineage)
	if err != nil {
		return Version{}, err
	}
	now := s.clock()
	v := Version{
		Model: model, Number: m.LastNumber + 1, Label: in.Label,
		Digest: ManifestDigest(files), Description: in.Description,
		Metrics: nonNil(in.Metrics), Params: nonNil(in.Params), Tags: nonNil(in.Tags),
		Source: in.Source, Lineage: lineage, Files: files, Size: ManifestSize(files),
		Aliases: []string{}, CreatedBy: p.Name, CreatedAt: now,
	}
	if err := tx.InsertVersion(ctx, v); err != nil {
		if Is(err, KindAlreadyExists) && v.Label != "" {
			return Version{}, E(KindAlreadyExists, "model %q already has a version labelled %q; labels are unique per model", model, v.Label)
		}
		return Version{}, err
	}
	m.LastNumber, m.VersionCount, m.UpdatedAt = v.Number, m.VersionCount+1, now
	if err := tx.UpdateModel(ctx, m); err != nil {
		return Version{}, err
	}
	data := map[string]any{"digest": v.Digest, "label": v.Label, "size": v.Size, "files": len(files)}
	if l := lineage.String(); l != "" {
		data["lineage"] = l
	}
	if err := s.appendEvent(ctx, tx, p, EventVersionCreated, model, v.Number, data); err != nil {
		return Version{}, err
	}
	for _, a := range in.Aliases {
		if _, err := s.moveAlias(ctx, tx, p, model, a, v.Number, AliasOptions{Reason: "set at push"}); err != nil {
			return Version{}, err
		}
		v.Aliases = append(v.Aliases, a)
	}
	return v, nil
}

// checkBlobs verifies that every file's blob is stored with the declared
// size, and touches it for garbage collection (see referenceBlob).
func (s *Service) checkBlobs(ctx context.Context, files []File) error {
	var missing []string
	checked := map[string]bool{}
	for _, f := range files {
		if f.IsLink() || checked[f.Digest] {
			continue
		}
		checked[f.Digest] = true
		size, err := s.referenceBlob(ctx, f.Digest)
		switch {
		case Is(err, KindNotFound):
			missing = append(missing, f.Digest)
		case err != nil:
			return err
		case size != f.Size:
			return E(KindInvalid, "file %q declares %d bytes but blob %s has %d", f.Path, f.Size, f.Digest, size)
		}
	}
	if len(missing) > 0 {
		return E(KindMissingBlobs, "%d blob(s) are not uploaded yet (first: %s); upload them with PUT /api/v1/blobs/{digest}, then retry", len(missing), missing[0])
	}
	return nil
}

// Resolve returns the live version a reference names.
func (s *Service) Resolve(ctx context.Context, ref Ref) (v Version, err error) {
	err = s.view(ctx, RoleReader, func(tx ReadTx) error {
		v, err = s.resolve(ctx, tx, ref)
		return err
	})
	return v, err
}

// ResolveString parses and resolves a reference.
func (s *Service) ResolveString(ctx context.Context, ref string) (Version, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return Version{}, err
	}
	return s.Resolve(ctx, r)
}

func (s *Service) resolve(ctx context.Context, tx ReadTx, ref Ref) (Version, error) {
	if err := ValidateModelName(ref.Model); err != nil {
		return Version{}, err
	}
	v, err := tx.FindVersion(ctx, ref)
	if Is(err, KindNotFound) {
		return Version{}, s.notFound(ctx, tx, ref)
	}
	if err != nil {
		return Version{}, err
	}
	if v.Deleted() {
		return Version{}, E(KindNotFound, "version %d of model %q was deleted at %s", v.Number, v.Model, v.DeletedAt.Format("2006-01-02 15:04:05Z07:00"))
	}
	return v, nil
}

// notFound says precisely what is missing: the model, or the selector.
func (s *Service) notFound(ctx context.Context, tx ReadTx, ref Ref) error {
	if _, err := tx.GetModel(ctx, ref.Model); err != nil {
		if Is(err, KindNotFound) {
			return E(KindNotFound, "model %q not found", ref.Model)
		}
		return err
	}
	switch {
	case ref.Number > 0:
		return E(KindNotFound, "model %q has no version %d", ref.Model, ref.Number)
	case ref.Label != "":
		return E(KindNotFound, "model %q has no version labelled %q", ref.Model, ref.Label)
	case ref.Alias != "":
		return E(KindNotFound, "model %q has no alias %q", ref.Model, ref.Alias)
	case ref.Digest != "":
		return E(KindNotFound, "model %q has no live version with digest %s", ref.Model, ref.Digest)
	}
	return E(KindNotFound, "model %q has no live versions", ref.Model)
}

// ListVersions returns one page of a model's versions, newest first.
func (s *Service) ListVersions(ctx context.Context, model string, q VersionQuery) (vs []Version, next string, err error) {
	if err := ValidateModelName(model); err != nil {
		return nil, "", err
	}
	if err := validateTagFilter(q.Tag); err != nil {
		return nil, "", err
	}
	err = s.view(ctx, RoleReader, func(tx ReadTx) error {
		if _, err := tx.GetModel(ctx, model); err != nil {
			return err
		}
		vs, next, err = tx.ListVersions(ctx, model, q)
		return err
	})
	return vs, next, err
}

// UpdateVersion changes a version's description and tags; its files and
// metrics never change.
func (s *Service) UpdateVersion(ctx context.Context, ref Ref, patch Patch) (v Version, err error) {
	if err := patch.validate(); err != nil {
		return Version{}, err
	}
	err = s.update(ctx, RoleWriter, func(tx WriteTx, p Principal) error {
		if v, err = s.resolve(ctx, tx, ref); err != nil || patch.empty() {
			return err
		}
		patch.apply(&v.Description, v.Tags)
		if err := tx.UpdateVersion(ctx, v); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, p, EventVersionUpdated, v.Model, v.Number, patchData(patch))
	})
	return v, err
}

// DeleteVersion soft-deletes a version: it disappears from listings and
// references, its number is never reused, its label becomes free, and its
// files stay until garbage collection. A version an alias points at cannot be
// deleted until the alias moves.
func (s *Service) DeleteVersion(ctx context.Context, ref Ref) (v Version, err error) {
	err = s.update(ctx, RoleWriter, func(tx WriteTx, p Principal) error {
		if v, err = s.resolve(ctx, tx, ref); err != nil {
			return err
		}
		if len(v.Aliases) > 0 {
			return E(KindPrecondition, "version %d of %q is the target of alias %s; move or remove %s first",
				v.Number, v.Model, strings.Join(v.Aliases, ", "), plural(len(v.Aliases), "it", "them"))
		}
		now := s.clock()
		v.DeletedAt = &now
		if err := tx.UpdateVersion(ctx, v); err != nil {
			return err
		}
		m, err := tx.GetModel(ctx, v.Model)
		if err != nil {
			return err
		}
		m.VersionCount--
		m.UpdatedAt = now
		if err := tx.UpdateModel(ctx, m); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, p, EventVersionDeleted, v.Model, v.Number, map[string]any{"digest": v.Digest})
	})
	return v, err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// String renders a version reference for messages.
func (v Version) String() string { return fmt.Sprintf("%s/%d", v.Model, v.Number) }
