package registry

import (
	"strconv"
	"strings"
)

// Ref names one version of a model. Exactly one selector is set, or none for
// "the latest live version".
//
// Grammar, accepted everywhere a version is named:
//
//	name                  latest live version
//	name/3                version number 3
//	name:1.0              the version labelled 1.0
//	name@production       the version the alias points at
//	name@sha256:<hex>     the newest live version with that manifest digest
//	models:/name/3        MLflow form of a number ("models:/name/latest" too)
//	models:/name@alias    MLflow form of an alias
type Ref struct {
	Model  string
	Number int64
	Label  string
	Alias  string
	Digest string
}

// IsLatest reports whether r names the latest version.
func (r Ref) IsLatest() bool {
	return r.Number == 0 && r.Label == "" && r.Alias == "" && r.Digest == ""
}

// String renders r in the canonical (non-MLflow) grammar.
func (r Ref) String() string {
	switch {
	case r.Number > 0:
		return r.Model + "/" + strconv.FormatInt(r.Number, 10)
	case r.Label != "":
		return r.Model + ":" + r.Label
	case r.Alias != "":
		return r.Model + "@" + r.Alias
	case r.Digest != "":
		return r.Model + "@" + r.Digest
	}
	return r.Model
}

// ParseRef parses a reference. Errors are KindInvalid and say what is wrong.
func ParseRef(s string) (Ref, error) {
	if s == "" {
		return Ref{}, E(KindInvalid, "reference is empty; use NAME, NAME/NUMBER, NAME:LABEL, NAME@ALIAS or NAME@sha256:DIGEST")
	}
	if rest, ok := strings.CutPrefix(s, "models:/"); ok {
		return parseMLflowRef(s, rest)
	}
	var r Ref
	var err error
	switch i := strings.IndexAny(s, "/:@"); {
	case i < 0:
		r.Model = s
	case s[i] == '/':
		r.Model = s[:i]
		r.Number, err = parseNumber(s, s[i+1:])
	case s[i] == ':':
		r.Model, r.Label = s[:i], s[i+1:]
		err = ValidateLabel(r.Label)
	default: // '@'
		r.Model = s[:i]
		sel := s[i+1:]
		if strings.HasPrefix(sel, "sha256:") {
			r.Digest = sel
			err = ValidateDigest(sel)
		} else {
			r.Alias = sel
			err = ValidateAlias(sel)
		}
	}
	if err != nil {
		return Ref{}, refError(s, err)
	}
	if err := ValidateModelName(r.Model); err != nil {
		return Ref{}, refError(s, err)
	}
	return r, nil
}

func parseMLflowRef(s, rest string) (Ref, error) {
	var r Ref
	var err error
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		r.Model, r.Alias = rest[:i], rest[i+1:]
		err = ValidateAlias(r.Alias)
	} else if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		r.Model = rest[:i]
		if sel := rest[i+1:]; sel != "latest" {
			r.Number, err = parseNumber(s, sel)
		}
	} else {
		err = E(KindInvalid, "MLflow references look like models:/NAME/VERSION or models:/NAME@ALIAS")
	}
	if err == nil {
		err = ValidateModelName(r.Model)
	}
	if err != nil {
		return Ref{}, refError(s, err)
	}
	return r, nil
}

func parseNumber(ref, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "0") {
		return 0, E(KindInvalid, "version number %s is not a positive integer", quote(s))
	}
	return n, nil
}

func refError(ref string, err error) error {
	return E(KindInvalid, "invalid reference %s: %s", quote(ref), Message(err))
}
