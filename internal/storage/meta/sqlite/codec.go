package sqlite

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// nanos is how a time is stored: unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos reads a stored time back, in UTC.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// nullNanos stores an optional time: NULL for nil.
func nullNanos(t *time.Time) any {
	if t == nil {
		return nil
	}
	return nanos(*t)
}

func fromNullNanos(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

// encodeJSON renders v for a JSON column. The values stored are maps of
// strings and numbers and plain structs, which cannot fail to encode unless
// a caller passes an unencodable value in Event.Data.
func encodeJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", registry.Wrap(registry.KindInvalid, err, "value cannot be stored as JSON")
	}
	return string(b), nil
}

// decodeMap reads a JSON object column into a map that is never nil.
func decodeMap[V any](s string) (map[string]V, error) {
	if s == "" || s == "{}" {
		return map[string]V{}, nil
	}
	var m map[string]V
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	if m == nil { // the column held JSON null
		m = map[string]V{}
	}
	return m, nil
}

// pageSize applies registry.DefaultPageSize and registry.MaxPageSize.
func pageSize(n int) int {
	if n <= 0 {
		return registry.DefaultPageSize
	}
	return min(n, registry.MaxPageSize)
}

// Page tokens are base64url of a kind letter and the last key returned:
// "m"+name for models, "v"+number for versions, "h"+seq for alias history.
// The letter keeps a token of one listing from being accepted by another.
const (
	modelToken   = 'm'
	versionToken = 'v'
	historyToken = 'h'
)

// page cuts a listing fetched with LIMIT size+1 down to size and returns
// the token of the next page, or "" when this page is the last.
func page[T any](items []T, size int, kind byte, key func(T) string) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	items = items[:size]
	return items, encodeToken(kind, key(items[size-1]))
}

func encodeToken(kind byte, key string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{kind}, key...))
}

var errBadToken = registry.E(registry.KindInvalid, "page token is not valid")

func decodeToken(kind byte, token string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 2 || b[0] != kind {
		return "", errBadToken
	}
	return string(b[1:]), nil
}

func decodeNumberToken(kind byte, token string) (int64, error) {
	key, err := decodeToken(kind, token)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil || n <= 0 {
		return 0, errBadToken
	}
	return n, nil
}

// prefixEnd returns the smallest string greater than every string that
// starts with prefix, for an indexable range scan; false when there is none.
func prefixEnd(prefix string) (string, bool) {
	b := []byte(strings.TrimRight(prefix, "\xff"))
	if len(b) == 0 {
		return "", false
	}
	b[len(b)-1]++
	return string(b), true
}

// where joins conditions into a WHERE clause ("" for none).
func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
