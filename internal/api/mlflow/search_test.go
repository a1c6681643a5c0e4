package mlflow

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

// The store runs searches as registry.VersionSearch; metatest checks every
// store against VersionSearch.Match and Compare. These tests close the loop:
// for generated versions, filters and orders, the translated search selects
// and orders exactly what the in-memory search did before it moved into the
// store (oldSearch, kept here as the reference).

// oldSearch is the former handler's semantics: prompt versions out unless
// the filter names the prompt tag, Filter.Match, then the order keys with
// name ascending and version descending as tie-breaks.
func oldSearch(vs []registry.Version, f Filter, keys []orderKey) []registry.Version {
	var hits []registry.Version
	for _, v := range vs {
		if !f.Mentions(promptTag) && v.Tags[promptTag] == "true" {
			continue
		}
		if f.Match(oldVersionAttr(v), v.Tags) {
			hits = append(hits, v)
		}
	}
	if len(keys) == 0 {
		keys = []orderKey{{field: "created", desc: true}}
	}
	sortBy(hits, append(keys, orderKey{field: "name"}, orderKey{field: "version", desc: true}),
		func(field string, a, b registry.Version) int {
			switch field {
			case "version":
				return cmp3(a.Number, b.Number)
			case "created":
				return cmp3(a.CreatedAt.UnixNano(), b.CreatedAt.UnixNano())
			}
			return cmp3(a.Model, b.Model)
		})
	return hits
}

func oldVersionAttr(v registry.Version) func(string) string {
	return func(key string) string {
		switch key {
		case "name":
			return v.Model
		case "version_number":
			return strconv.FormatInt(v.Number, 10)
		case "run_id", "source_path":
			if v.Source.Run == nil {
				return ""
			}
			if key == "run_id" {
				return v.Source.Run.ID
			}
			return v.Source.Run.URI
		}
		return ""
	}
}

// newSearch is what the handler now asks the store for, answered by the
// registry's reference semantics.
func newSearch(vs []registry.Version, f Filter, keys []orderKey) []registry.Version {
	q := versionSearch(f, keys, 0, registry.MaxSearchLimit)
	if err := q.Validate(); err != nil {
		panic(fmt.Sprintf("translated search is invalid: %v", err))
	}
	var hits []registry.Version
	for _, v := range vs {
		if q.Match(v) {
			hits = append(hits, v)
		}
	}
	slices.SortFunc(hits, q.Compare)
	return hits
}

var (
	genModels = []string{"iris", "Iris", "rose"}
	genValues = []string{"", "prod", "Prod", "true", "false", "a_b", "\u212aelvin", "Ébène"}
	genRuns   = []string{"", "r1", "R1", "r2"}
	genURIs   = []string{"", "runs:/r1/model", "s3://b/x"}
	// genClauses are filter clauses in MLflow's grammar; %s takes a value.
	genClauses = []string{
		"name = '%s'", "name != '%s'", "name LIKE '%%%s'", "name ILIKE '%s%%'", "attributes.name = 'iris'",
		"run_id = '%s'", "run_id != '%s'", "run_id IN ('%s', 'r2')", "run_id ILIKE '%s%%'",
		"source_path = '%s'", "source_path LIKE 'runs:/%s%%'", "source_path ILIKE '%%%s'",
		"version_number = 3", "version_number != 2.0", "version_number < 4.5", "version_number >= 5", "version_number > 1e1",
		"tags.stage = '%s'", "tags.stage != '%s'", "tag.stage LIKE '%s%%'", "tags.`owner` ILIKE '%%%s'",
		"tags.`mlflow.prompt.is_prompt` = '%s'", "tags.`mlflow.prompt.is_prompt` != '%s'",
		"tags.\"mlflow.prompt.is_prompt\" LIKE '%s%%'", "tags.`mlflow.prompt.is_prompt` ILIKE 'FALSE'",
	}
	genOrders = []string{"name", "name DESC", "version_number", "version_number DESC", "creation_timestamp",
		"last_updated_timestamp DESC", "timestamp ASC"}
)

func genVersions(r *rand.Rand) []registry.Version {
	var vs []registry.Version
	base := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, m := range genModels {
		for n := int64(1); n <= 15; n++ {
			v := registry.Version{Model: m, Number: n, Tags: map[string]string{},
				CreatedAt: base.Add(time.Duration(r.IntN(6)) * time.Second)}
			for _, k := range []string{"stage", "owner", promptTag} {
				if r.IntN(2) == 0 {
					v.Tags[k] = genValues[r.IntN(len(genValues))]
				}
			}
			if r.IntN(3) > 0 {
				v.Source.Run = &registry.RunSource{ID: genRuns[r.IntN(len(genRuns))], URI: genURIs[r.IntN(len(genURIs))]}
			}
			vs = append(vs, v)
		}
	}
	return vs
}

func genFilter(r *rand.Rand) string {
	var clauses []string
	for range r.IntN(4) {
		c := genClauses[r.IntN(len(genClauses))]
		if strings.Contains(c, "%s") {
			pool := [][]string{genModels, genValues, genRuns, genURIs}[r.IntN(4)]
			c = fmt.Sprintf(c, strings.ReplaceAll(pool[r.IntN(len(pool))], "'", ""))
		}
		clauses = append(clauses, c)
	}
	return strings.Join(clauses, " AND ")
}

func TestVersionSearchKeepsTheOldSemantics(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	vs := genVersions(r)
	nonEmpty := 0
	for i := range 3000 {
		filter := genFilter(r)
		var order []string
		for range r.IntN(3) {
			order = append(order, genOrders[r.IntN(len(genOrders))])
		}
		f, err := ParseFilter(filter, []string{"name", "run_id", "source_path", "version_number"})
		if err != nil {
			t.Fatalf("generated filter %q: %v", filter, err)
		}
		keys, err := parseOrderBy(order, versionOrderFields)
		if err != nil {
			continue // a duplicate key; the handler refuses it before searching
		}
		want, got := oldSearch(vs, f, keys), newSearch(vs, f, keys)
		if !slices.EqualFunc(got, want, func(a, b registry.Version) bool { return a.Model == b.Model && a.Number == b.Number }) {
			t.Fatalf("case %d: filter %q order %q:\n got %v\nwant %v", i, filter, order, refs(got), refs(want))
		}
		if len(want) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 1000 {
		t.Errorf("only %d of 3000 generated searches found anything", nonEmpty)
	}
}

func refs(vs []registry.Version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%s/%d", v.Model, v.Number)
	}
	return out
}

// TestVersionSearchTranslation pins down the translation of the clauses
// whose meaning is not a plain comparison.
func TestVersionSearchTranslation(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   []registry.VersionCond
	}{
		{"", []registry.VersionCond{
			{Field: registry.FieldTag, Key: promptTag, Op: registry.OpNe, Values: []string{"true"}, IfMissing: true},
		}},
		{"tags.`mlflow.prompt.is_prompt` = 'false'", []registry.VersionCond{
			{Field: registry.FieldTag, Key: promptTag, Op: registry.OpEq, Values: []string{"false"}, IfMissing: true},
		}},
		{"tags.`mlflow.prompt.is_prompt` = 'true'", []registry.VersionCond{
			{Field: registry.FieldTag, Key: promptTag, Op: registry.OpEq, Values: []string{"true"}},
		}},
		{"version_number <= 2.5 AND run_id IN ('a', 'b')", []registry.VersionCond{
			{Field: registry.FieldNumber, Op: registry.OpLe, Number: 2.5},
			{Field: registry.FieldRunID, Op: registry.OpIn, Values: []string{"a", "b"}},
			{Field: registry.FieldTag, Key: promptTag, Op: registry.OpNe, Values: []string{"true"}, IfMissing: true},
		}},
	} {
		f, err := ParseFilter(tc.filter, []string{"name", "run_id", "source_path", "version_number"})
		if err != nil {
			t.Fatal(err)
		}
		q := versionSearch(f, nil, 3, 7)
		if fmt.Sprint(q.Where) != fmt.Sprint(tc.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.filter, q.Where, tc.want)
		}
		wantOrder := []registry.VersionOrder{{Field: registry.FieldCreated, Desc: true}}
		if !slices.Equal(q.Order, wantOrder) || q.Offset != 3 || q.Limit != 7 {
			t.Errorf("%q: order %+v window %d,%d; want newest first, 3,7", tc.filter, q.Order, q.Offset, q.Limit)
		}
	}
}

// TestLatestInStageKeepsTheOldSemantics checks the per-stage searches of
// latestInStages against latestPerStage over generated versions, stage tags
// included (missing, empty, canonical, other spellings).
func TestLatestInStageKeepsTheOldSemantics(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for range 300 {
		var vs []registry.Version
		for n := int64(1); n <= int64(1+r.IntN(12)); n++ {
			v := registry.Version{Model: "iris", Number: n, Tags: map[string]string{}}
			if r.IntN(3) > 0 {
				v.Tags[stageTag] = []string{"", "None", "Staging", "Production", "Archived", "staging"}[r.IntN(6)]
			}
			vs = append(vs, v)
		}
		r.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
		var got []registry.Version
		for _, st := range stages {
			q := latestInStage("iris", st)
			var hits []registry.Version
			for _, v := range vs {
				if q.Match(v) {
					hits = append(hits, v)
				}
			}
			slices.SortFunc(hits, q.Compare)
			got = append(got, hits[:min(len(hits), q.Limit)]...)
		}
		if want := latestPerStage(vs, nil); !slices.EqualFunc(got, want, func(a, b registry.Version) bool { return a.Number == b.Number }) {
			t.Fatalf("per-stage searches give %v, latestPerStage %v, over %v", refs(got), refs(want), vs)
		}
	}
}
