package registry

import (
	"strings"
	"unicode/utf8"
)

// ValidateSource checks a new version's provenance. A git commit is a full
// object name (40 or 64 lowercase hex digits); a diff digest is
// "sha256:<64 hex>" and only recorded for a dirty tree; every other field
// is at most MaxValueLen bytes of UTF-8 without control characters.
func ValidateSource(s Source) error {
	if g := s.Git; g != nil {
		if g.Commit != "" && !isObjectName(g.Commit) {
			return E(KindInvalid, "source.git.commit %s is not a full commit hash (40 or 64 lowercase hex digits, as git rev-parse HEAD prints)", quote(g.Commit))
		}
		if g.DiffDigest != "" && !g.Dirty {
			return E(KindInvalid, "source.git.diff_digest is set but source.git.dirty is false; a clean tree has no uncommitted diff")
		}
		if g.DiffDigest != "" && !isSHA256Digest(g.DiffDigest) {
			return E(KindInvalid, "source.git.diff_digest %s is not sha256:<64 lowercase hex digits>", quote(g.DiffDigest))
		}
		if err := validateSourceText("git", map[string]string{"remote": g.Remote, "branch": g.Branch}); err != nil {
			return err
		}
	}
	if r := s.Run; r != nil {
		return validateSourceText("run", map[string]string{"system": r.System, "id": r.ID, "uri": r.URI})
	}
	return nil
}

func validateSourceText(what string, fields map[string]string) error {
	for name, v := range fields {
		if len(v) > MaxValueLen {
			return E(KindInvalid, "source.%s.%s is %d bytes long; the limit is %d", what, name, len(v), MaxValueLen)
		}
		if !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return E(KindInvalid, "source.%s.%s %s contains control characters or invalid UTF-8", what, name, quote(v))
		}
	}
	return nil
}

func isObjectName(s string) bool {
	return (len(s) == 40 || len(s) == 64) && strings.IndexFunc(s, func(r rune) bool { return !isLowerHex(r) }) < 0
}

func isSHA256Digest(s string) bool {
	hex, ok := strings.CutPrefix(s, "sha256:")
	return ok && len(hex) == 64 && strings.IndexFunc(hex, func(r rune) bool { return !isLowerHex(r) }) < 0
}
