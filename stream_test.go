package fastws

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net/rpc"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws/wsframe"
)

// streamPair returns the two ends of a connection as streams of typ.
func streamPair(t *testing.T, typ MessageType, opts *StreamOptions) (server, client *Stream) {
	t.Helper()
	s, c := pair(t, false, nil, nil)
	return NewStream(s, typ, opts), NewStream(c, typ, opts)
}

func TestStreamLines(t *testing.T) {
	server, client := streamPair(t, Text, nil)
	go func() {
		w := bufio.NewWriter(client)
		for i := range 1000 {
			fmt.Fprintf(w, "line %d: %s\n", i, strings.Repeat("é", i%50))
			if i%7 == 0 {
				w.Flush() // messages of arbitrary size, cut anywhere, even inside 'é'
			}
		}
		w.Flush()
		client.Close()
	}()
	sc := bufio.NewScanner(server)
	n := 0
	for sc.Scan() {
		if want := fmt.Sprintf("line %d: %s", n, strings.Repeat("é", n%50)); sc.Text() != want {
			t.Fatalf("line %d: %q", n, sc.Text())
		}
		n++
	}
	if err := sc.Err(); err != nil || n != 1000 {
		t.Fatalf("%d lines, %v", n, err)
	}
}

type record struct {
	ID   int
	Name string
	Tags []string
	Blob []byte
}

func TestStreamGobAndJSON(t *testing.T) {
	server, client := streamPair(t, Binary, &StreamOptions{MaxFrameSize: 100})
	recs := make([]record, 200)
	for i := range recs {
		recs[i] = record{ID: i, Name: fmt.Sprint("r", i), Tags: []string{"a", "b"}, Blob: bytes.Repeat([]byte{byte(i)}, i*10)}
	}
	errc := make(chan error, 1)
	go func() {
		genc, jenc := gob.NewEncoder(client), json.NewEncoder(client)
		for _, r := range recs {
			if err := genc.Encode(r); err != nil {
				errc <- err
				return
			}
		}
		for _, r := range recs {
			if err := jenc.Encode(r); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	gdec := gob.NewDecoder(server)
	for i := range recs {
		var r record
		if err := gdec.Decode(&r); err != nil || r.ID != i || len(r.Blob) != i*10 {
			t.Fatalf("gob %d: %+v %v", i, r.ID, err)
		}
	}
	jdec := json.NewDecoder(server)
	for i := range recs {
		var r record
		if err := jdec.Decode(&r); err != nil || r.ID != i || r.Name != fmt.Sprint("r", i) {
			t.Fatalf("json %d: %v", i, err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// Arith is a net/rpc service.
type Arith struct{}

// Args are Arith's arguments.
type Args struct{ A, B int }

// Mul multiplies.
func (Arith) Mul(args Args, reply *int) error { *reply = args.A * args.B; return nil }

func TestStreamRPC(t *testing.T) {
	server, client := streamPair(t, Binary, nil)
	srv := rpc.NewServer()
	if err := srv.Register(Arith{}); err != nil {
		t.Fatal(err)
	}
	go srv.ServeConn(server)
	c := rpc.NewClient(client)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var reply int
			if err := c.Call("Arith.Mul", Args{i, 7}, &reply); err != nil || reply != i*7 {
				t.Errorf("call %d: %d %v", i, reply, err)
			}
		}()
	}
	wg.Wait()
	c.Close()
}

// TLS inside WebSocket: a TLS server and client speaking over the stream.
func TestStreamTLS(t *testing.T) {
	server, client := streamPair(t, Binary, nil)
	cert, pool := selfSigned(t, "inner.test")
	ts := tls.Server(server, &tls.Config{Certificates: []tls.Certificate{cert}})
	tc := tls.Client(client, &tls.Config{RootCAs: pool, ServerName: "inner.test"})
	errc := make(chan error, 1)
	go func() {
		buf := make([]byte, 1<<16)
		for {
			n, err := ts.Read(buf)
			if err != nil {
				errc <- err
				return
			}
			if _, err := ts.Write(bytes.ToUpper(buf[:n])); err != nil {
				errc <- err
				return
			}
		}
	}()
	msg := bytes.Repeat([]byte("secret inside a websocket "), 2000)
	go tc.Write(msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(tc, got); err != nil || !bytes.Equal(got, bytes.ToUpper(msg)) {
		t.Fatalf("over TLS: %v", err)
	}
	if st := tc.ConnectionState(); !st.HandshakeComplete || st.PeerCertificates[0].Subject.CommonName != "inner.test" {
		t.Fatal("no TLS handshake")
	}
	tc.Close()
	if err := <-errc; !errors.Is(err, io.EOF) {
		t.Fatalf("server side: %v", err)
	}
}

// selfSigned makes a certificate for name and a pool that trusts it.
func selfSigned(t *testing.T, name string) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// io.Copy of 1 GiB, checksummed on both ends.
func TestStreamCopyGiB(t *testing.T) {
	size := int64(1 << 30)
	if testing.Short() {
		size = 64 << 20
	}
	server, client := streamPair(t, Binary, nil)
	sum := make(chan [32]byte, 1)
	go func() {
		h := sha256.New()
		r := rand.New(rand.NewPCG(1, 2))
		src := io.TeeReader(io.LimitReader(randReader{r}, size), h)
		if _, err := io.Copy(client, src); err != nil {
			t.Error(err)
		}
		client.Close()
		var s [32]byte
		copy(s[:], h.Sum(nil))
		sum <- s
	}()
	h := sha256.New()
	n, err := io.Copy(h, server)
	if err != nil || n != size {
		t.Fatalf("copied %d bytes, %v", n, err)
	}
	if want := <-sum; !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("checksums differ")
	}
}

type randReader struct{ r *rand.Rand }

func (r randReader) Read(p []byte) (int, error) {
	for i := 0; i+8 <= len(p); i += 8 {
		v := r.r.Uint64()
		for j := range 8 {
			p[i+j] = byte(v >> (8 * j))
		}
	}
	return len(p) &^ 7, nil
}

func TestStreamDeadlines(t *testing.T) {
	server, client := streamPair(t, Binary, nil)
	done := make(chan error, 1)
	go func() {
		_, err := server.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	server.SetReadDeadline(time.Now()) // unblocks the pending Read
	if err := <-done; !os.IsTimeout(err) {
		t.Fatalf("pending Read: %v", err)
	}
	server.SetReadDeadline(time.Time{})
	client.Write([]byte("after the timeout"))
	buf := make([]byte, 100)
	n, err := server.Read(buf)
	if err != nil || string(buf[:n]) != "after the timeout" {
		t.Fatalf("%q %v", buf[:n], err)
	}
	if server.LocalAddr() == nil || server.RemoteAddr().String() != client.LocalAddr().String() {
		t.Fatal("addresses")
	}
}

// A peer's normal close is io.EOF; another close is a *CloseError.
func TestStreamEndings(t *testing.T) {
	server, client := streamPair(t, Binary, nil)
	client.Write([]byte("last words"))
	go client.Close()
	got, err := io.ReadAll(server)
	if err != nil || string(got) != "last words" {
		t.Fatalf("%q %v", got, err)
	}
	s2, c2 := pair(t, false, nil, nil)
	server2 := NewStream(s2, Binary, nil)
	go c2.Close(CloseTryAgainLater, "busy")
	_, err = io.ReadAll(server2)
	if CloseStatus(err) != CloseTryAgainLater {
		t.Fatalf("abnormal close: %v", err)
	}
}

// A binary stream refuses a text message with 1003, and the other way.
func TestStreamWrongType(t *testing.T) {
	s, c := pair(t, false, nil, nil)
	server := NewStream(s, Binary, nil)
	ctx := testCtx(t)
	go c.WriteMessage(ctx, Text, []byte("text!"))
	if _, err := server.Read(make([]byte, 10)); !errors.Is(err, ErrWrongMessageType) {
		t.Fatalf("server: %v", err)
	}
	if _, _, err := c.ReadMessage(ctx); CloseStatus(err) != CloseUnsupportedData {
		t.Fatalf("client saw %v, want 1003", err)
	}
}

// A text stream sends UTF-8 only, and a character split across Writes is
// sent whole.
func TestStreamTextSplitCharacter(t *testing.T) {
	s, c := pair(t, false, nil, nil)
	client := NewStream(c, Text, nil)
	ctx := testCtx(t)
	euro := "€" // e2 82 ac
	for _, part := range []string{"a" + euro[:1], euro[1:2], euro[2:] + "b" + "😀"[:3], "😀"[3:]} {
		if n, err := client.Write([]byte(part)); err != nil || n != len(part) {
			t.Fatalf("Write(%q): %d %v", part, n, err)
		}
	}
	var got []byte
	for len(got) < len("a€b😀") {
		_, m, err := s.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m...)
	}
	if string(got) != "a€b😀" {
		t.Fatalf("%q", got)
	}
	if _, err := client.Write([]byte{0xff}); !errors.Is(err, wsframe.ErrInvalidUTF8) {
		t.Fatalf("invalid byte: %v", err)
	}
	client.Write([]byte(euro[:2]))
	go io.Copy(io.Discard, NewStream(s, Text, nil)) // answers the close
	if err := client.Close(); !errors.Is(err, wsframe.ErrInvalidUTF8) {
		t.Fatalf("Close inside a character: %v", err)
	}
}

func TestStreamEvents(t *testing.T) {
	events := make(chan StreamEvent, 8)
	s, c := pair(t, false, nil, nil)
	server := NewStream(s, Binary, &StreamOptions{Events: events})
	client := NewStream(c, Binary, nil)
	ctx := testCtx(t)
	go io.Copy(io.Discard, client) // reads the pong
	type result struct {
		got []byte
		err error
	}
	read := make(chan result, 1)
	go func() {
		got, err := io.ReadAll(server) // the reader sees the pong Ping waits for
		read <- result{got, err}
	}()
	if err := server.Ping(ctx, []byte("from server")); err != nil {
		t.Fatal(err)
	}
	c.WriteFrame(ctx, Frame{Fin: true, Opcode: wsframe.OpPing, Payload: []byte("hello")})
	client.Write([]byte("data"))
	c.Close(4000, "done")
	r := <-read
	if string(r.got) != "data" || CloseStatus(r.err) != 4000 {
		t.Fatalf("%q %v", r.got, r.err)
	}
	var kinds []StreamEventKind
	for len(events) > 0 {
		e := <-events
		kinds = append(kinds, e.Kind)
		if e.Kind == EventClose && (e.Code != 4000 || e.Reason != "done") {
			t.Fatalf("close event %+v", e)
		}
	}
	want := map[StreamEventKind]bool{EventPing: true, EventPong: true, EventClose: true}
	for _, k := range kinds {
		delete(want, k)
	}
	if len(want) > 0 {
		t.Fatalf("events %v, missing %v", kinds, want)
	}
}

// An observer that never reads cannot stall the stream: events are
// dropped and counted.
func TestStreamSlowObserver(t *testing.T) {
	events := make(chan StreamEvent) // unbuffered and never read
	s, c := pair(t, false, nil, nil)
	server := NewStream(s, Binary, &StreamOptions{Events: events})
	ctx := testCtx(t)
	go func() {
		for range 100 {
			c.WriteFrame(ctx, Frame{Fin: true, Opcode: wsframe.OpPing})
		}
		c.WriteMessage(ctx, Binary, []byte("through"))
	}()
	go io.Copy(io.Discard, NewStream(c, Binary, nil))
	buf := make([]byte, 10)
	n, err := server.Read(buf)
	if err != nil || string(buf[:n]) != "through" {
		t.Fatalf("%q %v", buf[:n], err)
	}
	if server.drops.Load() != 100 {
		t.Fatalf("%d events dropped, want 100", server.drops.Load())
	}
}

func TestStreamUnwrap(t *testing.T) {
	server, client := streamPair(t, Binary, nil)
	client.Write([]byte("12345"))
	buf := make([]byte, 2)
	server.Read(buf) // half a message read
	if _, ok := server.Unwrap(); ok {
		t.Fatal("unwrapped with a message half read")
	}
	server.Read(make([]byte, 3))
	blocked := make(chan struct{})
	go func() {
		close(blocked)
		server.Read(make([]byte, 10)) // in flight
	}()
	<-blocked
	time.Sleep(20 * time.Millisecond)
	if _, ok := server.Unwrap(); ok {
		t.Fatal("unwrapped with a Read in flight")
	}
	client.Write([]byte("x"))
	time.Sleep(20 * time.Millisecond)
	c, ok := server.Unwrap()
	if !ok || c == nil {
		t.Fatal("not unwrapped when idle")
	}
	if _, err := server.Read(buf); !errors.Is(err, ErrUnwrapped) {
		t.Fatalf("Read after Unwrap: %v", err)
	}
	ctx := testCtx(t)
	go client.Write([]byte("to the conn"))
	if _, m, err := c.ReadMessage(ctx); err != nil || string(m) != "to the conn" {
		t.Fatalf("the unwrapped Conn: %q %v", m, err)
	}
}

// One goroutine reads while several write: messages never interleave.
func TestStreamConcurrentWriters(t *testing.T) {
	server, client := streamPair(t, Text, nil)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				fmt.Fprintf(client, "%d:%d:%s\n", w, i, strings.Repeat("x", (w*7+i)%200))
			}
		}()
	}
	go func() { wg.Wait(); client.Close() }()
	sc := bufio.NewScanner(server)
	n := 0
	for sc.Scan() {
		var w, i int
		var pad string
		fmt.Sscanf(sc.Text(), "%d:%d:%s", &w, &i, &pad)
		if len(pad) != (w*7+i)%200 {
			t.Fatalf("mangled line %q", sc.Text())
		}
		n++
	}
	if n != 800 {
		t.Fatalf("%d lines", n)
	}
}
