// Package loadgen is the load generator every echo server is measured
// with: many WebSocket client connections, each with one message in flight
// (send, wait for the whole echo, send again), driven by a few epoll event
// loops so that the generator stays cheaper per message than the servers.
// The event loops are Linux-only; the handshake, the messages, the echo
// receiver and the histogram build everywhere.
//
// It lives in the library module's internal tree so that both the bench
// module and the fastws command (fastws bench) drive servers with the same
// generator.
package loadgen
