//go:build !js

package fastws

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// h2ClientStream is the client's side of an HTTP/2 stream as a WebSocket
// transport: the response body in (through a resumableReader, so that
// read deadlines leave it usable), the request body out through a pipe
// that net/http's HTTP/2 client drains into DATA frames, flushing each
// piece. A write deadline that passes while a write is under way ends
// the stream, as Conn's contract for write timeouts allows; one that has
// passed before a write begins fails it without harm.
type h2ClientStream struct {
	*resumableReader
	w   *io.PipeWriter
	end context.CancelFunc // ends the request's context, and with it the stream
	own net.Conn           // the connection, when no other stream shares it

	local, remote net.Addr // the HTTP/2 connection's, as net/http's trace gave it

	mu       sync.Mutex
	deadline time.Time
	writing  bool
	timer    *time.Timer
	once     sync.Once
}

func (s *h2ClientStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	if !s.deadline.IsZero() && !time.Now().Before(s.deadline) {
		s.mu.Unlock()
		return 0, os.ErrDeadlineExceeded
	}
	s.writing = true
	s.arm()
	s.mu.Unlock()
	n, err := s.w.Write(p)
	s.mu.Lock()
	s.writing = false
	s.disarm()
	s.mu.Unlock()
	return n, err
}

// arm starts the timer for the write under way; s.mu is held.
func (s *h2ClientStream) arm() {
	s.disarm()
	if !s.writing || s.deadline.IsZero() {
		return
	}
	s.timer = time.AfterFunc(time.Until(s.deadline), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.writing {
			s.w.CloseWithError(os.ErrDeadlineExceeded)
		}
	})
}

func (s *h2ClientStream) disarm() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// SetWriteDeadline moves the deadline, for a write under way too.
func (s *h2ClientStream) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	s.deadline = t
	s.arm()
	s.mu.Unlock()
	return nil
}

func (s *h2ClientStream) LocalAddr() net.Addr  { return s.local }
func (s *h2ClientStream) RemoteAddr() net.Addr { return s.remote }

// CloseWrite ends the request body: the server sees END_STREAM.
func (s *h2ClientStream) CloseWrite() error { return s.w.Close() }

func (s *h2ClientStream) Close() error {
	s.once.Do(func() {
		s.w.Close()
		s.resumableReader.Close()
		s.end()
		if s.own != nil {
			s.own.Close()
		}
	})
	return nil
}
