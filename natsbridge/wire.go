package natsbridge

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/fastws/fastws"
)

// The wire format of a bridged message, the body of one NATS message (the
// topic is in the subject, see the package doc):
//
//	offset  size  field
//	0       1     version, 1
//	1       1     flags: bit 0 set for a binary message, clear for text;
//	              bit 1 set when the publisher asked for
//	              fastws.Uncompressed; the other bits are 0
//	2       16    origin: the publishing node's ID, random per Bridge
//	18      8     sequence: big-endian, 1 for the node's first message
//	              and one more for each later one, over all topics
//	26      ...   payload, the rest of the NATS message
//
// A node that receives a message of another version, or version 1 with a
// flag it does not know, drops it and counts it in Stats.BadMessages
// rather than guessing at its meaning: nodes must be upgraded to a new
// version's reader before any of them writes it.
const (
	wireVersion = 1
	headerLen   = 2 + idLen + 8
	idLen       = 16

	flagBinary       = 1 << 0
	flagUncompressed = 1 << 1
	knownFlags       = flagBinary | flagUncompressed
)

// nodeID is a node's origin ID on the wire.
type nodeID [idLen]byte

// wireMessage is a decoded bridged message. payload aliases the decoded
// bytes.
type wireMessage struct {
	typ     fastws.MessageType
	origin  nodeID
	seq     uint64
	payload []byte
}

// Errors of decode; a decoded message that fails them is counted in
// Stats.BadMessages.
var (
	errShort   = errors.New("natsbridge: message shorter than its header")
	errVersion = errors.New("natsbridge: unknown wire format version")
	errFlags   = errors.New("natsbridge: unknown flags")
)

// appendMessage appends the encoding of pm from origin with sequence seq
// to dst.
func appendMessage(dst []byte, origin nodeID, seq uint64, pm *fastws.PreparedMessage) []byte {
	var flags byte
	if pm.Type()&^fastws.Uncompressed == fastws.Binary {
		flags |= flagBinary
	}
	if pm.Type()&fastws.Uncompressed != 0 {
		flags |= flagUncompressed
	}
	dst = append(dst, wireVersion, flags)
	dst = append(dst, origin[:]...)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	return append(dst, pm.Payload()...)
}

// decode parses a bridged message. It allocates nothing: the payload is
// a slice of b.
func decode(b []byte) (wireMessage, error) {
	if len(b) < 2 {
		return wireMessage{}, fmt.Errorf("%w (%d bytes)", errShort, len(b))
	}
	// The version is checked before the length, since another version may
	// have another header size.
	if b[0] != wireVersion {
		return wireMessage{}, fmt.Errorf("%w %d (this node reads %d)", errVersion, b[0], wireVersion)
	}
	if len(b) < headerLen {
		return wireMessage{}, fmt.Errorf("%w (%d bytes, the header is %d)", errShort, len(b), headerLen)
	}
	flags := b[1]
	if flags&^knownFlags != 0 {
		return wireMessage{}, fmt.Errorf("%w %#02x", errFlags, flags&^knownFlags)
	}
	m := wireMessage{typ: fastws.Text, seq: binary.BigEndian.Uint64(b[2+idLen:]), payload: b[headerLen:]}
	if flags&flagBinary != 0 {
		m.typ = fastws.Binary
	}
	if flags&flagUncompressed != 0 {
		m.typ |= fastws.Uncompressed
	}
	copy(m.origin[:], b[2:2+idLen])
	return m, nil
}
