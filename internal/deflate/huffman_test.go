package deflate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/fastws/fastws/internal/loadgen"
)

// sortLeaves orders leaves exactly as a comparison sort of the
// frequency<<9|symbol integers does, for frequencies on both sides of
// its counted range.
func TestSortLeavesMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for range 2000 {
		n := 1 + r.IntN(numLitLen)
		f := make([]uint32, numLitLen)
		var syms []uint16
		for sym := range n {
			if r.IntN(3) > 0 {
				f[sym] = 1 + uint32(r.IntN([]int{4, leafBuckets, 4 * leafBuckets, 1 << 20}[r.IntN(4)]))
				syms = append(syms, uint16(sym))
			}
		}
		want := make([]uint32, len(syms))
		for i, sym := range syms {
			want[i] = f[sym]<<9 | uint32(sym)
		}
		slices.Sort(want)
		got := make([]uint32, len(syms))
		sortLeaves(got, syms, f)
		if !slices.Equal(got, want) {
			t.Fatalf("sortLeaves(%v) = %v, want %v", syms, got, want)
		}
	}
}

// blockFreqs returns the symbol frequencies of the blocks an encoder
// with context takeover makes of the compressed echo's messages.
func blockFreqs(size int) []*blockBuf {
	e := newEncoder(15)
	var blocks []*blockBuf
	for i := range 24 {
		e.write(loadgen.JSONMessage(size, i))
		b, _ := e.nextBlock() // kept, not given back to the pool
		if i >= 8 {
			blocks = append(blocks, b)
		}
	}
	return blocks
}

// BenchmarkHuffmanBuild builds the codes of a block (literals and
// lengths, distances, and the code-length code of its header) from the
// frequencies of the compressed echo's blocks: the part of writing a
// block that does not depend on its length.
func BenchmarkHuffmanBuild(b *testing.B) {
	for _, size := range []int{1 << 10, 16 << 10} {
		blocks := blockFreqs(size)
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			e := newEncoder(15)
			for i := 0; b.Loop(); i++ {
				blk := blocks[i%len(blocks)]
				blk.lit.build(blk.litFreq[:numLitLen], 15, &blk.scratch)
				blk.dist.build(blk.distFreq[:], 15, &blk.scratch)
				e.codeLengths(blk, numLitLen, numDist)
			}
		})
	}
}
