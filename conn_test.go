package fastws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/wsframe"
)

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestEchoSizes(t *testing.T) {
	for _, viaHTTP := range []bool{false, true} {
		t.Run(fmt.Sprintf("http=%v", viaHTTP), func(t *testing.T) {
			server, client := pair(t, viaHTTP, nil, nil)
			done := echo(server)
			ctx := testCtx(t)
			for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 20, 4 << 20} {
				for _, typ := range []MessageType{Binary, Text} {
					msg := randomBytes(uint64(n), n)
					if typ == Text {
						msg = bytes.Repeat([]byte("é"), n/2)
					}
					if err := client.WriteMessage(ctx, typ, msg); err != nil {
						t.Fatalf("write %d: %v", n, err)
					}
					gotTyp, got, err := client.ReadMessage(ctx)
					if err != nil {
						t.Fatalf("read %d: %v", n, err)
					}
					if gotTyp != typ || !bytes.Equal(got, msg) {
						t.Fatalf("%v of %d bytes came back as %v of %d bytes", typ, len(msg), gotTyp, len(got))
					}
				}
			}
			if err := client.Close(CloseNormal, "done"); err != nil {
				t.Fatalf("Close: %v", err)
			}
			err := <-done
			var ce *CloseError
			if !errors.As(err, &ce) || ce.Code != CloseNormal || ce.Reason != "done" {
				t.Fatalf("server saw %v, want close 1000 done", err)
			}
		})
	}
}

func TestStreamingReaderWriter(t *testing.T) {
	server, client := pair(t, false, nil, nil)
	ctx := testCtx(t)
	msg := randomBytes(7, 3<<20+17)
	errc := make(chan error, 1)
	go func() {
		w, err := client.NextWriter(ctx, Binary)
		if err != nil {
			errc <- err
			return
		}
		// Odd-sized writes, some larger than the writer's buffer.
		for rest, i := msg, 0; len(rest) > 0; i++ {
			n := min(len(rest), []int{1, 100, 5000, 40000, 70001}[i%5])
			if _, err := w.Write(rest[:n]); err != nil {
				errc <- err
				return
			}
			rest = rest[n:]
		}
		errc <- w.Close()
	}()
	typ, r, err := server.NextReader(ctx)
	if err != nil || typ != Binary {
		t.Fatalf("NextReader: %v %v", typ, err)
	}
	var got bytes.Buffer
	buf := make([]byte, 7777)
	if _, err := io.CopyBuffer(&got, r, buf); err != nil {
		t.Fatalf("copy: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if !bytes.Equal(got.Bytes(), msg) {
		t.Fatalf("got %d bytes, want %d", got.Len(), len(msg))
	}
	if _, err := r.Read(buf); err != io.EOF {
		t.Fatalf("read after EOF: %v", err)
	}
	// A stale reader is refused once the next message begins.
	if err := client.WriteMessage(ctx, Text, []byte("next")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.NextReader(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(buf); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("stale reader: %v", err)
	}
}

// One reader and many writers at once; every message arrives whole. Run
// with -race.
func TestConcurrentWriters(t *testing.T) {
	server, client := pair(t, false, nil, nil)
	done := echo(server)
	ctx := testCtx(t)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				msg := fmt.Sprintf("%d:%d:%s", w, i, strings.Repeat("x", (w*131+i*17)%3000))
				var err error
				if i%3 == 0 {
					var wr io.WriteCloser
					if wr, err = client.NextWriter(ctx, Text); err == nil {
						half := len(msg) / 2
						_, err = wr.Write([]byte(msg[:half]))
						if err == nil {
							_, err = wr.Write([]byte(msg[half:]))
						}
						if cerr := wr.Close(); err == nil {
							err = cerr
						}
					}
				} else {
					err = client.WriteMessage(ctx, Text, []byte(msg))
				}
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				if i%10 == 0 {
					pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					if err := client.Ping(pctx, []byte(fmt.Sprint(w, i))); err != nil {
						t.Errorf("ping: %v", err)
					}
					cancel()
				}
			}
		}()
	}
	seen := map[string]bool{}
	for range writers * each {
		_, msg, err := client.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var w, i int
		var pad string
		if _, err := fmt.Sscanf(string(msg), "%d:%d:%s", &w, &i, &pad); err != nil && len(pad) != 0 {
			t.Fatalf("mangled message %.40q: %v", msg, err)
		}
		if want := (w*131 + i*17) % 3000; len(pad) != want && !(want == 0 && pad == "") {
			t.Fatalf("message %d:%d has %d bytes of padding, want %d", w, i, len(pad), want)
		}
		seen[fmt.Sprint(w, ":", i)] = true
	}
	wg.Wait()
	if len(seen) != writers*each {
		t.Fatalf("saw %d distinct messages, want %d", len(seen), writers*each)
	}
	client.Close(CloseNormal, "")
	<-done
}

func TestRawFrames(t *testing.T) {
	server, client := pair(t, false, nil, nil)
	ctx := testCtx(t)
	frames := []Frame{
		{Fin: false, Opcode: wsframe.OpText, Payload: []byte("frag")},
		{Fin: true, Opcode: wsframe.OpPing, Payload: []byte("in between")},
		{Fin: false, Opcode: wsframe.OpContinuation, Payload: []byte("ment")},
		{Fin: true, Opcode: wsframe.OpContinuation, Payload: []byte("ed")},
		{Fin: true, Opcode: wsframe.OpBinary, Payload: bytes.Repeat([]byte{1}, 100000)},
	}
	go func() {
		for _, f := range frames {
			if err := client.WriteFrame(ctx, f); err != nil {
				t.Errorf("WriteFrame: %v", err)
			}
		}
	}()
	for i, want := range frames {
		got, err := server.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if got.Fin != want.Fin || got.Opcode != want.Opcode || !bytes.Equal(got.Payload, want.Payload) {
			t.Fatalf("frame %d: got %v fin=%v %d bytes", i, got.Opcode, got.Fin, len(got.Payload))
		}
	}
	// The ping was answered automatically.
	f, err := client.ReadFrame(ctx)
	if err != nil || f.Opcode != wsframe.OpPong || string(f.Payload) != "in between" {
		t.Fatalf("pong: %v %q %v", f.Opcode, f.Payload, err)
	}
}

func TestRawFrameMisuseIsAnError(t *testing.T) {
	_, client := pair(t, false, nil, nil)
	ctx := testCtx(t)
	cases := []struct {
		f    Frame
		want error
	}{
		{Frame{Fin: true, Opcode: wsframe.OpContinuation}, wsframe.ErrUnexpectedContinuation},
		{Frame{Fin: true, Opcode: wsframe.OpPing, Payload: make([]byte, 126)}, wsframe.ErrControlTooLong},
		{Frame{Fin: false, Opcode: wsframe.OpPing}, wsframe.ErrControlFragmented},
		{Frame{Fin: true, Opcode: 3}, wsframe.ErrReservedOpcode},
		{Frame{Fin: true, Opcode: wsframe.OpBinary, Rsv: wsframe.Rsv2}, wsframe.ErrReservedBits},
		{Frame{Fin: true, Opcode: wsframe.OpText, Payload: []byte{0xff}}, wsframe.ErrInvalidUTF8},
	}
	for _, tc := range cases {
		if err := client.WriteFrame(ctx, tc.f); !errors.Is(err, tc.want) {
			t.Errorf("%v: got %v, want %v", tc.f.Opcode, err, tc.want)
		}
	}
	// The connection is still fine.
	if err := client.WriteMessage(ctx, Text, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	if err := client.WriteMessage(ctx, Text, []byte{0xc3}); !errors.Is(err, wsframe.ErrInvalidUTF8) {
		t.Fatalf("invalid text message: %v", err)
	}
}

func TestPing(t *testing.T) {
	server, client := pair(t, false, nil, nil)
	done := echo(server)
	ctx := testCtx(t)
	go func() {
		// Someone must read for the pong to be seen.
		for {
			if _, _, err := client.ReadMessage(context.Background()); err != nil {
				return
			}
		}
	}()
	for i := range 5 {
		if err := client.Ping(ctx, []byte(fmt.Sprint("p", i))); err != nil {
			t.Fatalf("ping %d: %v", i, err)
		}
	}
	if err := client.Close(CloseGoingAway, ""); err != nil {
		t.Fatal(err)
	}
	if code := CloseStatus(<-done); code != CloseGoingAway {
		t.Fatalf("server saw %v", code)
	}
}

func TestPingHandlersAndDisabledAutoPong(t *testing.T) {
	pings := make(chan string, 1)
	server, client := pair(t, false, &AcceptOptions{ConnOptions: ConnOptions{
		DisableAutoPong: true,
		OnPing:          func(p []byte) { pings <- string(p) },
	}}, nil)
	ctx := testCtx(t)
	if err := client.WriteFrame(ctx, Frame{Fin: true, Opcode: wsframe.OpPing, Payload: []byte("hi")}); err != nil {
		t.Fatal(err)
	}
	if err := client.WriteMessage(ctx, Binary, []byte("after")); err != nil {
		t.Fatal(err)
	}
	_, msg, err := server.ReadMessage(ctx)
	if err != nil || string(msg) != "after" {
		t.Fatalf("read: %q %v", msg, err)
	}
	if got := <-pings; got != "hi" {
		t.Fatalf("OnPing got %q", got)
	}
	// No automatic pong: the next frame the client sees is the server's
	// message.
	if err := server.WriteMessage(ctx, Text, []byte("x")); err != nil {
		t.Fatal(err)
	}
	f, err := client.ReadFrame(ctx)
	if err != nil || f.Opcode != wsframe.OpText {
		t.Fatalf("got %v %v, want the text message and no pong", f.Opcode, err)
	}
}

func TestServerInitiatedClose(t *testing.T) {
	server, client := pair(t, true, nil, nil)
	ctx := testCtx(t)
	clientErr := make(chan error, 1)
	go func() {
		_, _, err := client.ReadMessage(ctx)
		clientErr <- err
	}()
	if err := server.Close(CloseTryAgainLater, "busy"); err != nil {
		t.Fatalf("server Close: %v", err)
	}
	err := <-clientErr
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != CloseTryAgainLater || ce.Reason != "busy" {
		t.Fatalf("client read: %v", err)
	}
	// Both ends are closed, and further use says so.
	if err := client.WriteMessage(ctx, Text, []byte("late")); !errors.Is(err, ErrClosed) && !errors.Is(err, wsframe.ErrCloseSent) {
		t.Fatalf("write after close: %v", err)
	}
	if _, _, err := client.ReadMessage(ctx); !errors.As(err, &ce) {
		t.Fatalf("read after close: %v", err)
	}
}

// Close without any reader running reads the peer's answer itself.
func TestCloseWithoutReader(t *testing.T) {
	server, client := pair(t, false, nil, nil)
	done := echo(server)
	start := time.Now()
	if err := client.Close(CloseNormal, ""); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > DefaultCloseTimeout/2 {
		t.Fatalf("Close took %v: it waited for the close timeout", d)
	}
	if code := CloseStatus(<-done); code != CloseNormal {
		t.Fatalf("server saw %v", code)
	}
}

// A peer that never answers the close frame is given CloseTimeout.
func TestCloseTimeout(t *testing.T) {
	server, client := pair(t, false, nil, &DialOptions{ConnOptions: ConnOptions{CloseTimeout: 300 * time.Millisecond}})
	_ = server // reads nothing, answers nothing
	start := time.Now()
	err := client.Close(CloseNormal, "")
	if err == nil {
		t.Fatal("Close succeeded without the peer's close frame")
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > testtime.Limit(3*time.Second) {
		t.Fatalf("Close returned after %v, want about 300ms", d)
	}
}

// A writer stuck on a peer that reads nothing holds the wire: Close still
// gives up after CloseTimeout, closing the connection, which also frees
// the writer.
func TestCloseTimeoutWithAStuckWriter(t *testing.T) {
	server, client := pair(t, false, &AcceptOptions{ConnOptions: ConnOptions{CloseTimeout: 300 * time.Millisecond}}, nil)
	_ = client // reads nothing, so the server's big write fills the socket buffers and stops
	ctx := testCtx(t)
	written := make(chan error, 1)
	go func() { written <- server.WriteMessage(ctx, Binary, make([]byte, 64<<20)) }()
	time.Sleep(100 * time.Millisecond) // let the write begin and block
	start := time.Now()
	if err := server.Close(CloseNormal, ""); err == nil {
		t.Fatal("Close succeeded although its close frame could not be sent")
	}
	if d := time.Since(start); d > testtime.Limit(3*time.Second) {
		t.Fatalf("Close returned after %v, want about 300ms", d)
	}
	if err := <-written; err == nil {
		t.Fatal("the stuck write succeeded")
	}
}

func TestReadContextAndDeadline(t *testing.T) {
	server, client := pair(t, false, nil, nil)
	ctx := testCtx(t)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, _, err := server.ReadMessage(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadMessage with expiring context: %v", err)
	}
	// The connection survives: the next read works.
	go client.WriteMessage(ctx, Text, []byte("still here"))
	if _, msg, err := server.ReadMessage(ctx); err != nil || string(msg) != "still here" {
		t.Fatalf("read after timeout: %q %v", msg, err)
	}
	server.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	if _, _, err := server.ReadMessage(ctx); !os.IsTimeout(err) {
		t.Fatalf("read past deadline: %v", err)
	}
	server.SetReadDeadline(time.Time{})
	// A message interrupted halfway is continued by the next call.
	msg := randomBytes(3, 200000)
	sendSplit(ctx, client, msg, 300*time.Millisecond)
	short2, cancel2 := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel2()
	_, part, err := server.AppendMessage(short2, nil)
	if !errors.Is(err, context.DeadlineExceeded) || len(part) == 0 || len(part) >= len(msg) {
		t.Fatalf("interrupted read: %d bytes, %v", len(part), err)
	}
	_, all, err := server.AppendMessage(ctx, part)
	if err != nil || !bytes.Equal(all, msg) {
		t.Fatalf("continued read: %d bytes, %v", len(all), err)
	}
}

func TestWriteContextCancelledWhileWaiting(t *testing.T) {
	_, client := pair(t, false, nil, nil)
	ctx := testCtx(t)
	w, err := client.NextWriter(ctx, Text) // holds the message lock
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := client.WriteMessage(short, Text, []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WriteMessage while another message streams: %v", err)
	}
	w.Close()
	if err := client.WriteMessage(ctx, Text, []byte("x")); err != nil {
		t.Fatal(err)
	}
}

func TestMessageTooBig(t *testing.T) {
	server, client := pair(t, false, &AcceptOptions{ConnOptions: ConnOptions{MaxMessageSize: 1000}}, nil)
	ctx := testCtx(t)
	go client.WriteMessage(ctx, Binary, make([]byte, 1001))
	_, _, err := server.ReadMessage(ctx)
	var le *wsframe.LimitError
	if !errors.As(err, &le) || le.Limit != 1000 || !errors.Is(err, wsframe.ErrMessageTooBig) {
		t.Fatalf("server: %v", err)
	}
	_, _, err = client.ReadMessage(ctx)
	if code := CloseStatus(err); code != CloseMessageTooBig {
		t.Fatalf("client saw %v, want close 1009", err)
	}
}

func TestTextStreamRejectsInvalidUTF8(t *testing.T) {
	server, client := pair(t, false, nil, nil)
	ctx := testCtx(t)
	w, _ := client.NextWriter(ctx, Text)
	if _, err := w.Write([]byte("ok \xe2\x82")); err != nil {
		t.Fatal(err) // a character split across writes is fine
	}
	if _, err := w.Write([]byte("\xff")); !errors.Is(err, wsframe.ErrInvalidUTF8) {
		t.Fatalf("invalid byte: %v", err)
	}
	if _, err := w.Write([]byte("\xac done")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, msg, err := server.ReadMessage(ctx)
	if err != nil || string(msg) != "ok € done" {
		t.Fatalf("got %q %v", msg, err)
	}
}
