package servers

import (
	"encoding/binary"
	"net"
	"syscall"

	"github.com/fastws/fastws/wsframe"
)

// Floor is the reference server: not a library, but the least a
// goroutine-per-connection echo server on Go's network poller can do per
// message, as a yardstick for what such a design can reach at all.
// (It unmasks with fastws's wsframe.Mask, the fastest masking at hand.)
//
// After gobwas's handshake, each connection's goroutine stays inside one
// syscall.RawConn.Read call for its whole life. Its callback reads with
// read(2) into a buffer that grows to twice the largest frame, unmasks
// and echoes every whole frame in place with one write, and reads again
// until EAGAIN, as edge-triggered polling requires (an end of stream that
// came with the data raises no new edge). Frames are parsed just enough
// to echo them: no limits, no UTF-8 check, no fragmentation or
// control-frame rules, no closing handshake. It would be wrong to use it
// for anything but this benchmark.
const Floor = "floor"

// serveFloor serves the reference echo on ln.
func serveFloor(ln net.Listener) error {
	return acceptEach(ln, upgradedByGobwas(func(nc net.Conn) {
		tc, ok := nc.(*net.TCPConn)
		if !ok {
			return
		}
		raw, err := tc.SyscallConn()
		if err != nil {
			return
		}
		e := &floorEcho{conn: tc}
		_ = raw.Read(e.onReadable)
	}))
}

// floorEcho is one connection's state: the bytes read and not yet
// echoed (a partial frame at most), and the reply being built.
type floorEcho struct {
	conn *net.TCPConn
	in   []byte // in[:n] holds unparsed input
	n    int
	out  []byte
	done bool
}

// floorMinBuffer is the read buffer a connection starts with; it grows to
// twice the largest frame seen.
const floorMinBuffer = 16 << 10

// onReadable is the RawConn.Read callback. Returning true ends the
// connection; false waits for more data.
func (e *floorEcho) onReadable(fd uintptr) bool {
	for {
		if e.in == nil {
			e.in = make([]byte, floorMinBuffer)
		}
		n, err := syscall.Read(int(fd), e.in[e.n:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return false
		case err != nil || n == 0:
			return true
		}
		e.n += n
		if !e.echo() {
			return true
		}
	}
}

// echo writes back every whole frame in the buffer, unmasked, keeps a
// partial frame at the front and grows the buffer if that frame will not
// fit. A lone frame is answered in place, its reply header written over
// the end of its own header and masking key, so that nothing is copied;
// several are gathered into one write. It reports false if the connection
// must end.
func (e *floorEcho) echo() bool {
	b := e.in[:e.n]
	var reply []byte
	e.out = e.out[:0]
	for frames := 0; ; frames++ {
		r, size, closing, ok := floorAnswer(b)
		if !ok {
			break
		}
		if frames == 1 {
			e.out = append(e.out, reply...) // a second frame: gather
		}
		if frames == 0 {
			reply = r
		} else {
			e.out = append(e.out, r...)
		}
		if closing {
			e.done = true // a close frame, echoed: the peer closes next
		}
		b = b[size:]
	}
	if len(e.out) > 0 {
		reply = e.out
	}
	if len(reply) > 0 {
		// net.Conn's Write, which waits on the poller if the socket's
		// buffer is full; it takes the write lock, not the read lock this
		// callback runs under.
		if _, err := e.conn.Write(reply); err != nil {
			return false
		}
	}
	e.n = copy(e.in, b)
	if need, _, _, _ := FloorFrame(b); need > len(e.in) {
		// Twice the frame: room for the next one behind it, so that
		// reads of a stream of such frames come back short.
		grown := make([]byte, 2*need)
		copy(grown, b)
		e.in = grown
	}
	return !e.done
}

// floorAnswer turns the whole masked client frame at the start of b, if
// there is one, into its echo in place: it unmasks the payload and writes
// the reply's header over the end of the frame's header and masking key
// (the reply's header is as long as the request's without the key). It
// returns the reply, a subslice of b, the frame's size in b, and whether
// it was a close frame. Both reference servers answer with it, so that
// they do the same work per message.
func floorAnswer(b []byte) (reply []byte, size int, closing, ok bool) {
	size, hdr, length, ok := FloorFrame(b)
	if !ok {
		return nil, size, false, false
	}
	// FIN, RSV1 and opcode: with permessage-deflate agreed without
	// context takeover either way (the compressed epoll-floor), the
	// client's compressed message is a valid echo as it is.
	op := b[0] & 0xcf
	wsframe.Mask([4]byte(b[hdr:hdr+4]), 0, b[hdr+4:size])
	r := b[4:size]
	r[0] = op
	switch hdr {
	case 2:
		r[1] = byte(length)
	case 4:
		r[1] = 126
		binary.BigEndian.PutUint16(r[2:], uint16(length))
	default:
		r[1] = 127
		binary.BigEndian.PutUint64(r[2:], uint64(length))
	}
	return r, size, op&0x0f == 0x8, true
}

// FloorFrame looks at the masked client frame at the start of b: its size
// in all, the length of its header before the masking key, its payload
// length, and whether all of it is in b. With fewer than 14 bytes it may
// report the size it needs to know more. A 64-bit length is clamped to
// 2^40, so that no length overflows an int; callers refuse what is over
// their own limit. The echo and fan-out floors share it.
func FloorFrame(b []byte) (size, hdr, length int, whole bool) {
	if len(b) < 2 {
		return 2, 0, 0, false
	}
	hdr, length = 2, int(b[1]&0x7f)
	switch length {
	case 126:
		if len(b) < 4 {
			return 4, 0, 0, false
		}
		hdr, length = 4, int(binary.BigEndian.Uint16(b[2:]))
	case 127:
		if len(b) < 10 {
			return 10, 0, 0, false
		}
		hdr, length = 10, int(min(binary.BigEndian.Uint64(b[2:]), 1<<40))
	}
	size = hdr + 4 + length
	return size, hdr, length, len(b) >= size
}
