package registry

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Limits on names and metadata. They are part of the API contract.
const (
	MaxNameLen     = 255
	MaxAliasLen    = 63
	MaxLabelLen    = 128
	MaxKeyLen      = 250
	MaxValueLen    = 5000
	MaxDescription = 65536
	MaxMapEntries  = 1000
)

// ValidateModelName checks a model name: 1-255 characters from letters,
// digits, '-', '_' and '.', not "." or "..".
func ValidateModelName(name string) error {
	if name == "" {
		return E(KindInvalid, "model name is empty")
	}
	if len(name) > MaxNameLen {
		return E(KindInvalid, "model name is %d characters long; the limit is %d", len(name), MaxNameLen)
	}
	if name == "." || name == ".." {
		return E(KindInvalid, "model name %q is reserved", name)
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return !isNameRune(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return E(KindInvalid, "model name %s contains %s; use only letters, digits, '-', '_' and '.'", quote(name), describeRune(r))
	}
	return nil
}

// ValidateAlias checks an alias name: 1-63 characters from letters, digits,
// '-' and '_', starting with a letter or '_'. "latest" is reserved.
func ValidateAlias(alias string) error {
	if alias == "" {
		return E(KindInvalid, "alias is empty")
	}
	if len(alias) > MaxAliasLen {
		return E(KindInvalid, "alias is %d characters long; the limit is %d", len(alias), MaxAliasLen)
	}
	if alias == "latest" {
		return E(KindInvalid, `alias "latest" is reserved: a reference without a version already means the latest`)
	}
	first, _ := utf8.DecodeRuneInString(alias)
	if !isLetter(first) && first != '_' {
		return E(KindInvalid, "alias %s must start with a letter or '_'", quote(alias))
	}
	for _, r := range alias {
		if !isLetter(r) && !isDigit(r) && r != '-' && r != '_' {
			return E(KindInvalid, "alias %s contains %s; use only letters, digits, '-' and '_'", quote(alias), describeRune(r))
		}
	}
	return nil
}

// ValidateLabel checks a version label such as "1.0" or "v2-rc1": 1-128
// characters from letters, digits, '.', '-', '_' and '+', starting with a
// letter or digit.
func ValidateLabel(label string) error {
	if label == "" {
		return E(KindInvalid, "label is empty")
	}
	if len(label) > MaxLabelLen {
		return E(KindInvalid, "label is %d characters long; the limit is %d", len(label), MaxLabelLen)
	}
	first, _ := utf8.DecodeRuneInString(label)
	if !isLetter(first) && !isDigit(first) {
		return E(KindInvalid, "label %s must start with a letter or digit", quote(label))
	}
	for _, r := range label {
		if !isNameRune(r) && r != '+' {
			return E(KindInvalid, "label %s contains %s; use only letters, digits, '.', '-', '_' and '+'", quote(label), describeRune(r))
		}
	}
	return nil
}

// ValidateDigest checks a "sha256:<64 lowercase hex>" digest.
func ValidateDigest(d string) error {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) != 64 || strings.IndexFunc(hex, func(r rune) bool { return !isLowerHex(r) }) >= 0 {
		return E(KindInvalid, "digest %s is not of the form sha256:<64 lowercase hex digits>", quote(d))
	}
	return nil
}

// ValidateTags checks a map of tags (or params): keys 1-250 printable
// characters, values at most 5000 characters without control characters
// other than tab and newline.
func ValidateTags(what string, m map[string]string) error {
	if len(m) > MaxMapEntries {
		return E(KindInvalid, "%s has %d entries; the limit is %d", what, len(m), MaxMapEntries)
	}
	for k, v := range m {
		if err := validateKey(what, k); err != nil {
			return err
		}
		if len(v) > MaxValueLen {
			return E(KindInvalid, "%s %s: value is %d bytes long; the limit is %d", what, quote(k), len(v), MaxValueLen)
		}
		if !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' || r == 0x7f }) >= 0 {
			return E(KindInvalid, "%s %s: value contains control characters or invalid UTF-8", what, quote(k))
		}
	}
	return nil
}

// ValidateMetrics checks metric names and that every value is a finite number.
func ValidateMetrics(m map[string]float64) error {
	if len(m) > MaxMapEntries {
		return E(KindInvalid, "metrics has %d entries; the limit is %d", len(m), MaxMapEntries)
	}
	for k, v := range m {
		if err := validateKey("metric", k); err != nil {
			return err
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return E(KindInvalid, "metric %s is %v; metrics must be finite numbers", quote(k), v)
		}
	}
	return nil
}

// ValidateDescription checks a free-text description.
func ValidateDescription(d string) error {
	if len(d) > MaxDescription {
		return E(KindInvalid, "description is %d bytes long; the limit is %d", len(d), MaxDescription)
	}
	if !utf8.ValidString(d) || strings.ContainsRune(d, 0) {
		return E(KindInvalid, "description contains a NUL byte or invalid UTF-8")
	}
	return nil
}

func validateKey(what, k string) error {
	if k == "" {
		return E(KindInvalid, "%s key is empty", what)
	}
	if len(k) > MaxKeyLen {
		return E(KindInvalid, "%s key %s is %d bytes long; the limit is %d", what, quote(k[:40]+"..."), len(k), MaxKeyLen)
	}
	if !utf8.ValidString(k) || strings.IndexFunc(k, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '=' }) >= 0 {
		return E(KindInvalid, "%s key %s contains '=', control characters or invalid UTF-8", what, quote(k))
	}
	return nil
}

func isLetter(r rune) bool   { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }
func isDigit(r rune) bool    { return '0' <= r && r <= '9' }
func isLowerHex(r rune) bool { return isDigit(r) || 'a' <= r && r <= 'f' }
func isNameRune(r rune) bool { return isLetter(r) || isDigit(r) || r == '-' || r == '_' || r == '.' }

// quote renders user input safely inside a message, cut to 80 bytes.
func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return fmt.Sprintf("%q", s)
}

func describeRune(r rune) string {
	switch {
	case r == utf8.RuneError:
		return "invalid UTF-8"
	case r < 0x20 || r == 0x7f:
		return fmt.Sprintf("control character %U", r)
	}
	return fmt.Sprintf("%q", r)
}
