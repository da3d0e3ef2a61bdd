package fastws

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fastws/fastws/wsframe"
)

// Close performs the closing handshake with code and reason, then closes
// the connection, giving up after ConnOptions.CloseTimeout. It is
// CloseContext with a background context.
func (c *Conn) Close(code CloseCode, reason string) error {
	return c.CloseContext(context.Background(), code, reason)
}

// CloseContext performs the closing handshake: it sends a close frame with
// code and reason (CloseNoStatus sends an empty one; the reason must be
// UTF-8 of at most 123 bytes), waits for the peer's close frame, and closes
// the transport: a server at once, a client once the server has closed
// its end (RFC 6455 section 7.1.1). If ctx ends or CloseTimeout passes
// first, the transport is closed anyway and the error says so.
//
// If another goroutine is in a read call, it receives the peer's close
// frame (as *CloseError) and Close waits for it. Otherwise Close reads by
// itself and discards data messages that arrive meanwhile: by calling
// Close the application said it wants no more. To receive every message
// up to the peer's close frame, call WriteClose and keep reading instead.
// Close returns nil when the handshake completed, whichever side began it,
// so calling it again, or after the peer closed, is harmless.
func (c *Conn) CloseContext(ctx context.Context, code CloseCode, reason string) error {
	if err := wsframe.CheckClose(code, reason); err != nil {
		return fmt.Errorf("fastws: Close: %w", err)
	}
	// CloseTimeout bounds the whole handshake, sending the close frame
	// included: a writer stuck on a peer that reads nothing holds the
	// wire, and the close timer only starts once the frame has left.
	ctx, cancel := context.WithTimeout(ctx, c.opts.closeTimeout())
	defer cancel()
	if _, err := c.sendClose(ctx, code, reason); err != nil {
		c.closeTransport()
		return c.closeResult(err)
	}
	if c.handling.Load() {
		// A HandleMessages handler runs, inside the read that will get
		// the peer's close frame: waiting here would wait for ourselves.
		return nil
	}
	for !c.isClosed() {
		switch err := c.readMu.lock(ctx, c.closed); err {
		case nil:
			stop := c.rdl.watch(ctx, c.closeFn)
			c.awaitClose()
			c.endRead(stop)
		case ErrClosed:
		default:
			c.closeTransport()
			return c.closeResult(err)
		}
	}
	return c.closeResult(nil)
}

// closeResult says how the closing handshake ended: nil if the peer's close
// frame arrived, else what stopped it.
func (c *Conn) closeResult(err error) error {
	c.stateMu.Lock()
	peer := c.peerClose
	c.stateMu.Unlock()
	if peer != nil {
		return nil
	}
	if err == nil {
		err = errors.New("no close frame from the peer before the connection ended")
	}
	return fmt.Errorf("fastws: closing handshake did not complete: %w", err)
}

// sendClose sends a close frame unless one was sent already, and arms the
// timer that closes the transport if the handshake does not finish in
// time.
func (c *Conn) sendClose(ctx context.Context, code CloseCode, reason string) (sent bool, err error) {
	stop, err := c.beginWrite(ctx)
	if err != nil {
		return false, err
	}
	defer c.endWrite(stop)
	if c.sender.CloseSent() {
		return false, nil
	}
	var buf [wsframe.MaxControlPayload]byte
	payload := wsframe.AppendClosePayload(buf[:0], code, reason)
	err = c.writeFrameLocked(wsframe.Header{Fin: true, Opcode: wsframe.OpClose}, payload)
	return err == nil, ctxErr(ctx, err)
}

// answerClose replies to the peer's close frame, echoing its code, and
// finishes the handshake. The caller holds the read side.
func (c *Conn) answerClose(code CloseCode) {
	if c.flushFirst != nil {
		c.flushFirst()
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.closeTimeout())
	defer cancel()
	if code == CloseAbnormal || !code.ValidOnWire() {
		code = CloseNoStatus
	}
	if _, err := c.sendClose(ctx, code, ""); err != nil {
		c.closeTransport()
		return
	}
	c.awaitClose()
}

// awaitClose runs on the read side once this end has sent its close frame:
// it reads until the peer's close frame, then closes the transport, a
// client only after the server closed its end. The close timer bounds it.
func (c *Conn) awaitClose() {
	for !c.isClosed() {
		c.stateMu.Lock()
		done := c.peerClose != nil && c.closeSent
		c.stateMu.Unlock()
		if done {
			if c.role == ClientSide {
				c.drain()
			}
			c.closeTransport()
			return
		}
		if c.readErr != nil {
			c.closeTransport()
			return
		}
		if err := c.next(); err != nil && c.peerClose == nil {
			c.closeTransport()
			return
		}
	}
}

// drain reads and discards until the peer ends the connection or the close
// timer does, without touching the read buffer (a returned frame may still
// point into it).
func (c *Conn) drain() {
	var scratch [512]byte
	for {
		if _, err := c.t.Read(scratch[:]); err != nil {
			return
		}
	}
}

// failWith sends a close frame with code and reason because this end can
// no longer go on. The transport is closed by the read side once the peer
// answers, or by the close timer.
func (c *Conn) failWith(code CloseCode, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.closeTimeout())
	defer cancel()
	if _, err := c.sendClose(ctx, code, reason); err != nil {
		c.closeTransport()
	}
}

// linger ends the connection after a failure found on the read side: the
// parser can no longer make sense of the input, so instead of waiting for
// the peer's close frame it half-closes (so the peer sees our close frame
// and then the end of the stream, and answers promptly), reads until the
// peer closes too, then closes. Closing at once could reset the connection
// and destroy the close frame before the peer reads it. It runs on its own
// goroutine, which the close timer ends at the latest.
func (c *Conn) linger() {
	if _, ok := c.t.(*h2Stream); ok {
		// A server's HTTP/2 stream has no half-close (it ends when the
		// handler returns, after Close), and ending it cannot destroy
		// the close frame already flushed, as a TCP reset can: waiting
		// for the client would keep it until the close timer, since the
		// client rightly waits for the server to end first.
		c.closeTransport()
		return
	}
	if cw, ok := c.t.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	c.drain()
	c.closeTransport()
}

// closeFrameSent records that this end sent its close frame, by whatever
// API, and arms the timer that closes the transport if the handshake does
// not finish in time.
func (c *Conn) closeFrameSent() {
	c.stateMu.Lock()
	c.closeSent = true
	if c.killTimer == nil {
		c.killTimer = time.AfterFunc(c.opts.closeTimeout(), c.closeTransport)
	}
	c.stateMu.Unlock()
}

// WriteClose sends a close frame with code and reason and returns without
// waiting: the other half of the closing handshake is for the reader,
// which keeps receiving the peer's messages until its close frame arrives
// (as *CloseError), after which the connection closes. Use it instead of
// Close to be sure of receiving every message the peer sent before it
// closed. ConnOptions.CloseTimeout still bounds the handshake.
func (c *Conn) WriteClose(ctx context.Context, code CloseCode, reason string) error {
	if err := wsframe.CheckClose(code, reason); err != nil {
		return fmt.Errorf("fastws: WriteClose: %w", err)
	}
	_, err := c.sendClose(ctx, code, reason)
	return err
}

// closeTransport closes the transport once; blocked reads and writes
// return.
func (c *Conn) closeTransport() {
	c.closeOnce.Do(func() {
		close(c.closed)
		_ = c.t.Close()
		c.stateMu.Lock()
		if c.killTimer != nil {
			c.killTimer.Stop()
		}
		c.stateMu.Unlock()
		c.dropPartialMessage()
	})
}

// dropPartialMessage gives back what a message left half received holds
// (pooled chunks, its share of the memory budget) when no read is running
// to do it: a read that is running does it when it fails.
func (c *Conn) dropPartialMessage() {
	if !c.readMu.tryLock() {
		return
	}
	c.msg.spill.settle()
	if c.hs != nil {
		c.hs.partial, c.hs.big = false, nil
		c.hs.settle()
	}
	c.readMu.unlock()
}
