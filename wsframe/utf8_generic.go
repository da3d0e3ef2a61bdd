//go:build !amd64 || purego

package wsframe

import "unicode/utf8"

// useAVX2 is never set without the amd64 assembly; it exists so that the
// tests comparing the two paths build everywhere.
var useAVX2 = false

// validAVX2 is not available here; validWhole never calls it.
func validAVX2(p []byte) bool { return utf8.Valid(p) }

// validWhole reports whether p is valid UTF-8 ending on a sequence
// boundary, with the standard library's validator.
func validWhole(p []byte) bool { return utf8.Valid(p) }
