package flatecheck

import (
	"bytes"
	"compress/flate"
	"math/rand/v2"
	"testing"
)

func TestOracle(t *testing.T) {
	unit := make([]byte, 1000)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range unit {
		unit[i] = byte(r.Uint32())
	}
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, 6)
	w.Write(bytes.Repeat(unit, 5))
	w.Flush()
	if err := CheckDistances(buf.Bytes(), 32768); err != nil {
		t.Fatalf("full window: %v", err)
	}
	if err := CheckDistances(buf.Bytes(), 512); err == nil {
		t.Fatal("1000-byte references passed a 512-byte window")
	}
	if err := CheckDistances([]byte{0xff, 0xff, 0xff}, 32768); err == nil {
		t.Fatal("garbage passed")
	}
}
