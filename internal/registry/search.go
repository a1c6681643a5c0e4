package registry

import (
	"cmp"
	"context"
	"strings"
	"unicode"
)

// SearchField is what a search condition or ordering key reads from a
// version.
type SearchField string

// Search fields.
const (
	FieldModel   SearchField = "model"   // the model's name
	FieldNumber  SearchField = "number"  // the version number, compared as a number
	FieldRunID   SearchField = "run_id"  // Source.Run.ID; "" when there is no run
	FieldRunURI  SearchField = "run_uri" // Source.Run.URI; "" when there is no run
	FieldTag     SearchField = "tag"     // the value of tag Key (conditions only)
	FieldCreated SearchField = "created" // CreatedAt, to the nanosecond (ordering only)
)

// SearchOp compares a field with a condition's values.
type SearchOp string

// Search operators. Like and ILike are SQL LIKE (see MatchLike); In takes
// several values; the order operators apply to FieldNumber only.
const (
	OpEq    SearchOp = "="
	OpNe    SearchOp = "!="
	OpLike  SearchOp = "LIKE"
	OpILike SearchOp = "ILIKE"
	OpIn    SearchOp = "IN"
	OpLt    SearchOp = "<"
	OpLe    SearchOp = "<="
	OpGt    SearchOp = ">"
	OpGe    SearchOp = ">="
)

// VersionCond is one condition of a VersionSearch.
type VersionCond struct {
	Field SearchField
	Key   string // the tag key, for FieldTag
	Op    SearchOp
	// Values holds the one value of a string comparison, or the values of
	// OpIn. FieldNumber compares with Number instead.
	Values []string
	Number float64
	// IfMissing is the outcome for a version that has no tag Key
	// (FieldTag only): a missing tag fails a condition unless this is set.
	IfMissing bool
}

// VersionOrder is one ordering key of a VersionSearch.
type VersionOrder struct {
	Field SearchField // FieldModel, FieldNumber or FieldCreated
	Desc  bool
}

// VersionSearch selects live versions of models (never of datasets): those
// meeting every condition, sorted by Order and then by model name ascending
// and number descending (so the order is total), and cut to the window
// Offset, Limit. It is the query behind MLflow's search_model_versions;
// Match and Compare define its meaning, which every store must implement
// exactly (internal/storage/meta/metatest checks it).
type VersionSearch struct {
	Where  []VersionCond
	Order  []VersionOrder
	Offset int
	Limit  int // at least 1
}

// MaxSearchLimit caps VersionSearch.Limit.
const MaxSearchLimit = 1_000_000

// VersionSearcher runs version searches.
type VersionSearcher interface {
	// SearchVersions returns the versions q selects, at most q.Limit of
	// them, in q's order; q has been validated. Found versions carry
	// Model, Number, Description, Tags, Aliases, CreatedBy, CreatedAt and
	// the ID and URI of Source.Run (nil when both are empty): what a
	// search shows, not their files, metrics, params, lineage, label,
	// digest or run system.
	SearchVersions(ctx context.Context, q VersionSearch) ([]Version, error)
}

// Validate checks that every condition and key is one a store can run.
func (q VersionSearch) Validate() error {
	if q.Offset < 0 || q.Limit < 1 || q.Limit > MaxSearchLimit {
		return E(KindInvalid, "search window offset %d, limit %d: the offset must be at least 0 and the limit from 1 to %d", q.Offset, q.Limit, MaxSearchLimit)
	}
	for _, c := range q.Where {
		if err := c.validate(); err != nil {
			return err
		}
	}
	for _, o := range q.Order {
		switch o.Field {
		case FieldModel, FieldNumber, FieldCreated:
		default:
			return E(KindInvalid, "versions cannot be ordered by %q; use model, number or created", o.Field)
		}
	}
	return nil
}

func (c VersionCond) validate() error {
	switch c.Field {
	case FieldNumber:
		switch c.Op {
		case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
			return nil
		}
	case FieldModel, FieldRunID, FieldRunURI, FieldTag:
		if c.Field == FieldTag && c.Key == "" {
			return E(KindInvalid, "a tag condition needs a tag key")
		}
		switch c.Op {
		case OpIn:
			if len(c.Values) > 0 {
				return nil
			}
		case OpEq, OpNe, OpLike, OpILike:
			if len(c.Values) == 1 {
				return nil
			}
		}
	default:
		return E(KindInvalid, "versions cannot be searched by %q", c.Field)
	}
	return E(KindInvalid, "search condition %s %s with %d values is not valid", c.Field, c.Op, len(c.Values))
}

// Match reports whether v meets every condition of q (the window aside).
func (q VersionSearch) Match(v Version) bool {
	for _, c := range q.Where {
		if !c.Match(v) {
			return false
		}
	}
	return true
}

// Match reports whether v meets c.
func (c VersionCond) Match(v Version) bool {
	var got string
	switch c.Field {
	case FieldNumber:
		return compareNumber(c.Op, float64(v.Number), c.Number)
	case FieldModel:
		got = v.Model
	case FieldRunID, FieldRunURI:
		if run := v.Source.Run; run != nil {
			got = run.ID
			if c.Field == FieldRunURI {
				got = run.URI
			}
		}
	case FieldTag:
		val, ok := v.Tags[c.Key]
		if !ok {
			return c.IfMissing
		}
		got = val
	}
	return c.matchString(got)
}

func (c VersionCond) matchString(got string) bool {
	switch c.Op {
	case OpEq:
		return got == c.Values[0]
	case OpNe:
		return got != c.Values[0]
	case OpLike:
		return MatchLike(c.Values[0], got, false)
	case OpILike:
		return MatchLike(c.Values[0], got, true)
	case OpIn:
		for _, want := range c.Values {
			if got == want {
				return true
			}
		}
	}
	return false
}

// compareNumber applies op; a NaN operand passes only !=.
func compareNumber(op SearchOp, got, want float64) bool {
	switch op {
	case OpEq:
		return got == want
	case OpNe:
		return got != want
	case OpLt:
		return got < want
	case OpLe:
		return got <= want
	case OpGt:
		return got > want
	case OpGe:
		return got >= want
	}
	return false
}

// Compare orders two versions as q sorts them: negative when a comes first.
func (q VersionSearch) Compare(a, b Version) int {
	for _, o := range q.Order {
		var c int
		switch o.Field {
		case FieldModel:
			c = strings.Compare(a.Model, b.Model)
		case FieldNumber:
			c = cmp.Compare(a.Number, b.Number)
		case FieldCreated:
			c = cmp.Compare(a.CreatedAt.UnixNano(), b.CreatedAt.UnixNano())
		}
		if o.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	if c := strings.Compare(a.Model, b.Model); c != 0 {
		return c
	}
	return cmp.Compare(b.Number, a.Number)
}

// MatchLike reports whether s matches the SQL LIKE pattern: % matches any
// run of characters, _ any one character (a rune; each byte of invalid
// UTF-8 counts as one), and there is no escape character. With fold, both
// sides are lowered with unicode.ToLower first (ILIKE).
func MatchLike(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.Map(unicode.ToLower, pattern), strings.Map(unicode.ToLower, s)
	}
	p, r := []rune(pattern), []rune(s)
	// Iterative matcher with backtracking to the last %.
	pi, ri, star, mark := 0, 0, -1, 0
	for ri < len(r) {
		switch {
		case pi < len(p) && p[pi] == '%':
			star, mark = pi, ri
			pi++
		case pi < len(p) && (p[pi] == '_' || p[pi] == r[ri]):
			pi++
			ri++
		case star >= 0:
			pi = star + 1
			mark++
			ri = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

// SearchVersions runs a version search for a reader and reports whether
// more versions follow the window.
func (s *Service) SearchVersions(ctx context.Context, q VersionSearch) (vs []Version, more bool, err error) {
	if err := q.Validate(); err != nil {
		return nil, false, err
	}
	limit := q.Limit
	q.Limit++ // one more, to learn whether the window is the last
	err = s.view(ctx, RoleReader, func(tx ReadTx) error {
		vs, err = tx.SearchVersions(ctx, q)
		return err
	})
	if len(vs) > limit {
		return vs[:limit], true, err
	}
	return vs, false, err
}
