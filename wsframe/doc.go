// Package wsframe is the sans-I/O protocol core of fastws: the RFC 6455 frame
// header codec, masking, incremental UTF-8 validation, close payloads, and the
// receive and send state machines that enforce the protocol's rules.
//
// Nothing in this package touches a socket, a clock or a goroutine. A
// [Parser] is fed bytes in any chunking (one byte at a time works) and reports
// frames, payload parts and protocol violations; a [Sender] checks and encodes
// what a connection is about to send. The blocking driver in package fastws
// and any event-loop driver share these rules, which is why a bug fixed here
// is fixed everywhere.
//
// Every violation by the peer is reported as a *[ProtocolError] carrying the
// close code the connection must be failed with (1002, 1007, 1009, ...), and
// every rule has a sentinel error so that callers can use [errors.Is].
package wsframe
