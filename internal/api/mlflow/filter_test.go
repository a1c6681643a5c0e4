package mlflow

import (
	"strings"
	"testing"
)

var versionAttrs = []string{"name", "run_id", "source_path", "version_number"}

func TestParseFilter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Clause
		err  string
	}{
		{in: "", want: nil},
		{in: "name = 'iris'", want: []Clause{{Key: "name", Op: "=", Values: []string{"iris"}}}},
		{in: `name LIKE "ir%"`, want: []Clause{{Key: "name", Op: "LIKE", Values: []string{"ir%"}}}},
		{in: "name ilike 'IR%'", want: []Clause{{Key: "name", Op: "ILIKE", Values: []string{"IR%"}}}},
		{in: "attribute.name != 'x'", want: []Clause{{Key: "name", Op: "!=", Values: []string{"x"}}}},
		{in: "tags.team = 'ml' and tag.`mlflow.prompt.is_prompt` != 'true'", want: []Clause{
			{Tag: true, Key: "team", Op: "=", Values: []string{"ml"}},
			{Tag: true, Key: "mlflow.prompt.is_prompt", Op: "!=", Values: []string{"true"}},
		}},
		{in: `tags."a key" = 'v'`, want: []Clause{{Tag: true, Key: "a key", Op: "=", Values: []string{"v"}}}},
		{in: "run_id IN ('a', 'b')", want: []Clause{{Key: "run_id", Op: "IN", Values: []string{"a", "b"}}}},
		{in: "version_number >= 3", want: []Clause{{Key: "version_number", Op: ">=", Values: []string{"3"}}}},
		{in: "name = 'a' OR name = 'b'", err: "Provide AND-ed expression list"},
		{in: "owner = 'x'", err: "Invalid attribute key 'owner'"},
		{in: "name = iris", err: "Expected a quoted string value"},
		{in: "name IN ('a')", err: "Invalid comparator for attribute 'name': IN"},
		{in: "name > 'a'", err: "Invalid comparator '>'"},
		{in: "version_number LIKE '1'", err: "Invalid comparator"},
		{in: "version_number = 'x'", err: "expected a number"},
		{in: "name = 'unterminated", err: "unterminated quote"},
		{in: "run_id IN ('a'", err: "unterminated IN list"},
		{in: "run_id IN (a)", err: "expected string value"},
		{in: "name =", err: "missing value"},
		{in: "tags. = 'x'", err: "tag key is empty"},
		{in: "params.lr = '0.1'", err: "'params' keys are not supported"},
		{in: "metrics.acc > 0.5", err: "'metrics' keys are not supported"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseFilter(tc.in, versionAttrs)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseFilter(%q) error = %v, want one containing %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFilter(%q): %v", tc.in, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("ParseFilter(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			for i := range got {
				if got[i].Tag != tc.want[i].Tag || got[i].Key != tc.want[i].Key || got[i].Op != tc.want[i].Op ||
					strings.Join(got[i].Values, "|") != strings.Join(tc.want[i].Values, "|") {
					t.Fatalf("clause %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	attrs := map[string]string{"name": "Iris-v2", "run_id": "abc", "version_number": "3"}
	tags := map[string]string{"team": "ml"}
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{"", true},
		{"name LIKE 'Iris%'", true},
		{"name LIKE 'iris%'", false}, // LIKE is case-sensitive
		{"name ILIKE 'iris%'", true},
		{"name LIKE 'Iris-v_'", true},
		{"name LIKE 'Iris-v__'", false},
		{"name = 'Iris-v2' AND tags.team = 'ml'", true},
		{"tags.team != 'ml'", false},
		{"tags.missing != 'x'", false}, // a missing tag matches nothing
		{"tag.`mlflow.prompt.is_prompt` != 'true'", true},
		{"run_id IN ('x', 'abc')", true},
		{"run_id IN ('x')", false},
		{"version_number > 2", true},
		{"version_number < 3", false},
		{"version_number != 3", false},
	} {
		f, err := ParseFilter(tc.filter, versionAttrs)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", tc.filter, err)
		}
		if got := f.Match(func(k string) string { return attrs[k] }, tags); got != tc.want {
			t.Errorf("%q matched %v, want %v", tc.filter, got, tc.want)
		}
	}
}

var testRunGrammar = Grammar{Attrs: []string{"status", "start_time"}, Numeric: []string{"start_time"}, Params: true, Metrics: true}

func TestRunFilter(t *testing.T) {
	params := map[string]string{"lr": "0.1"}
	metrics := map[string]string{"acc": "0.9"}
	attrs := map[string]string{"status": "FINISHED", "start_time": "1000"}
	get := func(c Clause) (string, bool) {
		switch c.Kind {
		case "param":
			v, ok := params[c.Key]
			return v, ok
		case "metric":
			v, ok := metrics[c.Key]
			return v, ok
		}
		return attrs[c.Key], true
	}
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{"metrics.acc > 0.5", true},
		{"metrics.acc >= 0.95", false},
		{"metrics.loss < 1", false}, // no such metric
		{"params.lr = '0.1' AND attributes.status = 'FINISHED'", true},
		{"params.lr != '0.1'", false},
		{"attribute.start_time > 999", true},
		{"status LIKE 'FIN%'", true},
	} {
		f, err := ParseFilterWith(tc.filter, testRunGrammar)
		if err != nil {
			t.Fatalf("ParseFilterWith(%q): %v", tc.filter, err)
		}
		if got := f.MatchWith(get); got != tc.want {
			t.Errorf("%q matched %v, want %v", tc.filter, got, tc.want)
		}
	}
	if _, err := ParseFilterWith("metrics.acc LIKE '1'", testRunGrammar); err == nil {
		t.Error("LIKE on a metric was accepted")
	}
	if _, err := ParseFilterWith("metrics.acc > 'high'", testRunGrammar); err == nil {
		t.Error("a metric compared with a string was accepted")
	}
}

func TestLike(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"%", "", true}, {"a%c", "abbbc", true}, {"a%c", "abbb", false}, {"%b%", "abc", true},
		{"_", "", false}, {"a_c", "abc", true}, {"%%a", "ba", true}, {"100%", "100%", true}, {"x", "X", false},
	} {
		if got := like(tc.pattern, tc.s, false); got != tc.want {
			t.Errorf("like(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// FuzzParseFilter checks that the parser never panics, and that whatever it
// accepts can be matched without panicking.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{
		"", "name = 'iris'", "name LIKE 'a%' AND tags.`x.y` != 'true'", "run_id IN ('a','b')",
		"version_number >= 10", `tags."k" ILIKE '%'`, "name = 'a' OR", "((", "tag.", "run_id IN (", "'", "`",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s, versionAttrs)
		if err != nil {
			return
		}
		for _, c := range flt {
			if len(c.Values) == 0 {
				t.Fatalf("ParseFilter(%q) accepted a clause without values: %+v", s, c)
			}
		}
		flt.Match(func(string) string { return "x" }, map[string]string{"k": "v"})
		// Every accepted filter translates into a search the store runs.
		if err := versionSearch(flt, nil, 0, 1).Validate(); err != nil {
			t.Fatalf("ParseFilter(%q) accepted a filter whose search is invalid: %v", s, err)
		}
	})
}
