// Package fileio holds the few Linux file calls that Modelry's transfers
// use for speed and safety, with portable fallbacks elsewhere: O_DIRECT on
// an open file, preallocation, early writeback, and rename without replace.
// The blob store and the Go client share them.
package fileio
