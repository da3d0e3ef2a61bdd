package deflate

// On a server, many other connections run between two messages of one
// connection, so the encoder's hash table and window have left the nearer
// caches by the time the connection's next message is compressed.
// Matching then touches them at random, and each miss waits for the one
// before, since where to look next depends on what was found. Reading the
// same bytes in order first lets them stream in at the memory's
// bandwidth. (The decompressor's history is not warmed: the inflater
// copies mostly from its recent end, and a paired run of warming it made
// the echo dearer; DESIGN.md.) The sums are kept only so that the reads
// are not optimized away.

// warmBytes reads one byte of each 64-byte cache line of b.
func warmBytes(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 64 {
		sum += uint32(b[i])
	}
	return sum
}

// warmTable reads one entry of each cache line of t.
func warmTable(t *hashTable) uint32 {
	var sum uint32
	for i := 0; i < len(t); i += 64 / 2 {
		sum += uint32(t[i])
	}
	return sum
}
