package rawclient

import (
	"bytes"
	"compress/flate"
	"errors"
)

// Bomb returns a permessage-deflate message payload that inflates to size
// zero bytes: flate at its best compression, sync-flushed, with the flush's
// tail stripped as RFC 7692 has a sender do. 256 MiB take about 260 KB
// (about 1,000:1, flate's limit: a 258-byte match per couple of bits) and
// half a second to build.
func Bomb(size int64) ([]byte, error) {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	zeros := make([]byte, 1<<20)
	for left := size; left > 0; left -= int64(len(zeros)) {
		if _, err := w.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
			return nil, err
		}
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	z, ok := bytes.CutSuffix(b.Bytes(), []byte(deflateTail[:4]))
	if !ok {
		return nil, errors.New("rawclient: flate sync flush without its tail")
	}
	return z, nil
}
