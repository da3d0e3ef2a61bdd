package loadgen

import (
	"testing"

	"github.com/fastws/fastws/wsframe"
)

// TestReceiverAcceptsAnySplit feeds a fragmented echo, with a ping between
// its frames, in every possible pair of pieces and byte by byte.
func TestReceiverAcceptsAnySplit(t *testing.T) {
	want := Payload(300)
	var stream []byte
	stream = append(stream, serverFrame(wsframe.OpBinary, false, want[:200])...)
	stream = append(stream, serverFrame(wsframe.OpPing, true, []byte("hi"))...)
	stream = append(stream, serverFrame(wsframe.OpContinuation, false, nil)...)
	stream = append(stream, serverFrame(wsframe.OpContinuation, true, want[200:])...)

	for cut := range len(stream) + 1 {
		var r receiver
		done1, err1 := r.feed(stream[:cut], want, true)
		done2, err2 := r.feed(stream[cut:], want, true)
		if err1 != nil || err2 != nil || done1 != (cut == len(stream)) || done2 != (cut < len(stream)) {
			t.Fatalf("cut %d: done %v %v, errors %v %v", cut, done1, done2, err1, err2)
		}
	}
	var r receiver
	for i, b := range stream {
		done, err := r.feed([]byte{b}, want, true)
		if err != nil || done != (i == len(stream)-1) {
			t.Fatalf("byte %d: done %v, error %v", i, done, err)
		}
	}
}

func TestReceiverRejects(t *testing.T) {
	want := Payload(10)
	for name, stream := range map[string][]byte{
		"wrong payload": serverFrame(wsframe.OpBinary, true, Payload(11)[1:]),
		"too long":      serverFrame(wsframe.OpBinary, true, Payload(11)),
		"too short":     serverFrame(wsframe.OpBinary, true, Payload(9)),
		"close":         serverFrame(wsframe.OpClose, true, nil),
		"continuation":  serverFrame(wsframe.OpContinuation, true, want),
		"trailing":      append(serverFrame(wsframe.OpBinary, true, want), 0),
	} {
		var r receiver
		if done, err := r.feed(stream, want, true); err == nil {
			t.Errorf("%s: accepted (done %v)", name, done)
		}
	}
}
