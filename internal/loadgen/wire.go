package loadgen

// Wire counts the bytes of echoed messages, in both directions.
type Wire struct {
	Messages   uint64 // echoes counted
	Sent       uint64 // bytes of the frames sent, headers included
	Received   uint64 // bytes of the echoes' frames, headers included
	Payload    uint64 // payload bytes of the messages, uncompressed
	Compressed uint64 // echoes that came back compressed (RSV1)
}

func (w *Wire) add(sent, payload int, received int64, compressed bool) {
	w.Messages++
	w.Sent += uint64(sent)
	w.Payload += uint64(payload)
	w.Received += uint64(received)
	if compressed {
		w.Compressed++
	}
}

func (w *Wire) merge(o Wire) {
	w.Messages += o.Messages
	w.Sent += o.Sent
	w.Received += o.Received
	w.Payload += o.Payload
	w.Compressed += o.Compressed
}
