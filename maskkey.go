package fastws

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"sync"
)

// maskKeys hands out ChaCha8 generators seeded from crypto/rand. ChaCha8 is
// a cryptographically secure generator, so masking keys stay unpredictable
// (RFC 6455 section 10.3) while costing no system call per frame: a
// generator is seeded once and then reused from the pool.
var maskKeys = sync.Pool{New: func() any {
	var seed [32]byte
	crand.Read(seed[:])
	return rand.NewChaCha8(seed)
}}

func newMaskKey() (key [4]byte) {
	r := maskKeys.Get().(*rand.ChaCha8)
	binary.LittleEndian.PutUint32(key[:], uint32(r.Uint64()))
	maskKeys.Put(r)
	return key
}
