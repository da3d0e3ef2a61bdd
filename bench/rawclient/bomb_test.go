package rawclient

import "testing"

// A bomb inflates to exactly its size, all zeros, and is about a
// thousandth of it.
func TestBombInflates(t *testing.T) {
	const size = 4<<20 + 3
	z, err := Bomb(size)
	if err != nil {
		t.Fatal(err)
	}
	if len(z) > size/500 {
		t.Errorf("%d bytes compress to %d", size, len(z))
	}
	n, err := inflate(z, Zeros, make([]byte, readBufferSize))
	if err != nil || n != size {
		t.Fatalf("inflated to %d bytes, %v; want %d", n, err, size)
	}
}
