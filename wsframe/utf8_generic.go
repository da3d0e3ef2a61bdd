//go:build !amd64 || purego

package wsframe

import "unicode/utf8"

// useAVX2 and useSSE2 are never set without the amd64 assembly; they
// exist so that the tests switching paths build everywhere.
var (
	useAVX2 = false
	useSSE2 = false
)

// validAVX2 is not available here; validWhole never calls it.
func validAVX2(p []byte) bool { return utf8.Valid(p) }

// asciiPrefixSSE2 is not available here; validWhole never calls it.
func asciiPrefixSSE2(p []byte) int { return asciiPrefix(p) }

// validWhole reports whether p is valid UTF-8 ending on a sequence
// boundary, in portable Go.
func validWhole(p []byte) bool { return validGo(p) }
