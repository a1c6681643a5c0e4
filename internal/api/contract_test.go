package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/modelry/modelry/internal/api"
)

// TestRoutesMatchSpec checks that the server registers exactly the
// operations openapi.yaml documents, no more and no fewer.
func TestRoutesMatchSpec(t *testing.T) {
	a := newTestAPI(t)
	var routes []string
	for _, p := range api.New(a.svc, api.Options{}).Routes() {
		if p == "/" {
			continue // the catch-all that answers ENDPOINT_NOT_FOUND
		}
		p = strings.Replace(p, "{path...}", "{path}", 1)
		routes = append(routes, p)
	}
	var documented []string
	for path, item := range contract.doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(routes)
	slices.Sort(documented)
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %q is served but not in openapi.yaml", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("operation %q is in openapi.yaml but not served", d)
		}
	}
}
