// Package metatest is the conformance suite for registry.Store: the
// behaviour every metadata backend must have, written once and run by each
// backend's own tests (see internal/storage/meta/sqlite/sqlite_test.go).
// It holds no store of its own and is imported only from tests.
//
// The suite reads the contract in internal/registry/store.go literally, and
// pins down what that leaves open so that backends agree: the exact
// KindNotFound messages, that listings under a missing model are
// KindNotFound, that a failed statement leaves the transaction usable, that
// maps and slices come back non-nil, and that times come back in UTC.
package metatest

import (
	"testing"

	"github.com/modelry/modelry/internal/registry"
)

// test is one conformance check; it gets a new, empty store.
type test struct {
	name string
	run  func(t *testing.T, s registry.Store)
}

// Run runs the suite. open must return a new, empty store on each call and
// close it when t ends (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) registry.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Models", modelTests},
		{"ListModels", listModelTests},
		{"Versions", versionTests},
		{"FindVersion", findTests},
		{"ListVersions", listVersionTests},
		{"SearchVersions", searchTests},
		{"Aliases", aliasTests},
		{"AliasHistory", historyTests},
		{"Events", eventTests},
		{"Tokens", tokenTests},
		{"Rename", renameTests},
		{"Lineage", lineageTests},
		{"Transactions", txTests},
		{"ConcurrentUpdates", concurrentTests},
		{"Shapes", shapeTests},
		{"ReferencedDigests", referenceTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.run(t, open(t))
				})
			}
		})
	}
}
