package fileio

import (
	"errors"
	"io/fs"
	"os"
)

// linkNoReplace puts from at to unless to exists, reporting whether it did:
// the portable way to rename without replacing.
func linkNoReplace(from, to string) (bool, error) {
	err := os.Link(from, to)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	os.Remove(from) // a leftover temp file is removed by the owner's cleanup
	return true, nil
}
