package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints aligned columns with a header row.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(headers...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// humanBytes renders a size in decimal units: 0 B, 999 B, 1.2 MB.
func humanBytes(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	f := float64(n)
	for _, unit := range []string{"kB", "MB", "GB", "TB", "PB"} {
		f /= 1000
		if f < 999.95 {
			return strconv.FormatFloat(f, 'f', 1, 64) + " " + unit
		}
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " EB"
}

// shortDigest cuts "sha256:<64 hex>" to "sha256:<12 hex>" for tables.
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// when renders a time for tables, in UTC to the second.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// joinMap renders a map as sorted "k=v" pairs.
func joinMap[V any](m map[string]V) string {
	if len(m) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+formatValue(m[k]))
	}
	return strings.Join(parts, " ")
}

// formatValue prints numbers without exponents (JSON numbers arrive as
// float64) and anything else with %v.
func formatValue(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func versionOrDash(n int64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

// parseKV parses repeated key=value flags into a map.
func parseKV(cmd *cobra.Command, flag string, pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usageErr(cmd, "%s %q is not key=value", flag, p)
		}
		if _, dup := m[k]; dup {
			return nil, usageErr(cmd, "%s key %q is given twice", flag, k)
		}
		m[k] = v
	}
	return m, nil
}

// parseMetrics parses repeated name=number flags.
func parseMetrics(cmd *cobra.Command, pairs []string) (map[string]float64, error) {
	kv, err := parseKV(cmd, "--metric", pairs)
	if err != nil || kv == nil {
		return nil, err
	}
	m := make(map[string]float64, len(kv))
	for k, v := range kv {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, usageErr(cmd, "--metric %s=%s: %q is not a number", k, v, v)
		}
		m[k] = f
	}
	return m, nil
}
