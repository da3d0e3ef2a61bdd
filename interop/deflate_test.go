package interop

// The harness of the permessage-deflate variants (see doc.go): what a
// variant is, the canonical form of a negotiated extension, the checks of
// what each side says it negotiated, and the compression probe on both
// sides.

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/flatecheck"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/wsframe"
)

// deflateVariant is one way of negotiating permessage-deflate with a peer:
// what the fastws side asks for, what the peer is configured with, and the
// extension both must end up with.
type deflateVariant struct {
	name string
	// fastws is the fastws side's CompressionOptions.
	fastws fastws.CompressionOptions
	// peer is the peer's configuration, passed to its script as JSON: for
	// ws the perMessageDeflate option, for websockets the keyword
	// arguments of its PerMessageDeflateFactory; nil means the peer's
	// defaults.
	peer any
	// want is the negotiated Sec-WebSocket-Extensions in canonical form
	// (see canonicalDeflate); "" means the offer is declined and the
	// connections go uncompressed.
	want string
	// full runs the full deflate list, not the short one; big adds
	// random-16MiB.
	full, big bool
}

// deflateParams are the parameters of permessage-deflate in the order
// canonicalDeflate writes them.
var deflateParams = []string{"server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits", "client_max_window_bits"}

// canonicalDeflate rewrites a Sec-WebSocket-Extensions value holding
// permessage-deflate alone with its parameters in the order of
// deflateParams, so that two sides that format the same agreement
// differently compare equal. "" stays "".
func canonicalDeflate(header string) (string, error) {
	if strings.TrimSpace(header) == "" {
		return "", nil
	}
	exts, err := fastws.ParseExtensions(header)
	if err != nil {
		return "", fmt.Errorf("%q: %w", header, err)
	}
	if len(exts) != 1 || exts[0].Name != "permessage-deflate" {
		return "", fmt.Errorf("%q: want permessage-deflate and nothing else", header)
	}
	params := map[string]fastws.ExtensionParam{}
	for _, p := range exts[0].Params {
		if !slices.Contains(deflateParams, p.Name) {
			return "", fmt.Errorf("%q: unknown parameter %q", header, p.Name)
		}
		if _, dup := params[p.Name]; dup {
			return "", fmt.Errorf("%q: %s given twice", header, p.Name)
		}
		params[p.Name] = p
	}
	var b strings.Builder
	b.WriteString("permessage-deflate")
	for _, name := range deflateParams {
		if p, ok := params[name]; ok {
			b.WriteString("; " + name)
			if p.HasValue {
				b.WriteString("=" + p.Value)
			}
		}
	}
	return b.String(), nil
}

// checkNegotiated says how the Sec-WebSocket-Extensions value got differs
// from want (canonical), or returns nil.
func checkNegotiated(got, want string) error {
	c, err := canonicalDeflate(got)
	if err != nil {
		return fmt.Errorf("negotiated extensions: %w", err)
	}
	if c != want {
		return fmt.Errorf("negotiated %q, want %q", got, want)
	}
	return nil
}

// deflateTerms are the terms a side applies: no context takeover and the
// window of each side's compressor.
type deflateTerms struct {
	ServerNoContextTakeover bool `json:"server_no_context_takeover"`
	ClientNoContextTakeover bool `json:"client_no_context_takeover"`
	ServerMaxWindowBits     int  `json:"server_max_window_bits"`
	ClientMaxWindowBits     int  `json:"client_max_window_bits"`
}

func (d *deflateTerms) String() string {
	if d == nil {
		return "none"
	}
	return fmt.Sprintf("{snct %v, cnct %v, server window %d, client window %d}",
		d.ServerNoContextTakeover, d.ClientNoContextTakeover, d.ServerMaxWindowBits, d.ClientMaxWindowBits)
}

// termsOf returns the terms a canonical extension value settles (nil for
// ""): a window not given is 15 bits.
func termsOf(want string) *deflateTerms {
	if want == "" {
		return nil
	}
	d := &deflateTerms{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
	for _, p := range strings.Split(want, "; ")[1:] {
		name, value, _ := strings.Cut(p, "=")
		bits, _ := strconv.Atoi(value)
		switch name {
		case "server_no_context_takeover":
			d.ServerNoContextTakeover = true
		case "client_no_context_takeover":
			d.ClientNoContextTakeover = true
		case "server_max_window_bits":
			d.ServerMaxWindowBits = bits
		case "client_max_window_bits":
			if bits != 0 {
				d.ClientMaxWindowBits = bits
			}
		}
	}
	return d
}

// peerNegotiation is what a peer reports of one connection: the
// Sec-WebSocket-Extensions value it received (client) or sent (server),
// and the terms it applies (absent when it cannot tell: a browser).
type peerNegotiation struct {
	Path       string        `json:"path"`
	Extensions string        `json:"extensions"`
	Agreed     *deflateTerms `json:"agreed"`
}

// check says how n differs from want; agreedKnown says the peer reports
// the terms it applies.
func (n peerNegotiation) check(want string, agreedKnown bool) error {
	if err := checkNegotiated(n.Extensions, want); err != nil {
		return err
	}
	if !agreedKnown {
		return nil
	}
	if w := termsOf(want); n.Agreed.String() != w.String() {
		return fmt.Errorf("applies %v, want %v", n.Agreed, w)
	}
	return nil
}

// variantPaths are the paths of one variant whose negotiation is checked.
func variantPaths(prefix string) []string {
	return []string{prefix + "/main", prefix + "/server-close", prefix + "/probe"}
}

// checkClientNegotiations checks what a peer client reports of its
// connections under prefix.
func checkClientNegotiations(t *testing.T, rep clientReport, prefix, want string, agreedKnown bool) {
	t.Helper()
	for _, path := range variantPaths(prefix) {
		i := slices.IndexFunc(rep.Connections, func(n peerNegotiation) bool { return n.Path == path })
		if i < 0 {
			t.Errorf("%s reported no negotiation for %s", rep.Peer, path)
			continue
		}
		if err := rep.Connections[i].check(want, agreedKnown); err != nil {
			t.Errorf("%s on %s: %v", rep.Peer, path, err)
		} else {
			t.Logf("%s on %s: %q", rep.Peer, path, rep.Connections[i].Extensions)
		}
	}
}

// checkPeerServerNegotiations checks what a peer server reports of the
// connections under prefix.
func checkPeerServerNegotiations(t *testing.T, s *peerServer, prefix, want string) {
	t.Helper()
	for _, path := range variantPaths(prefix) {
		r, ok := s.waitClose(t, path)
		if !ok {
			continue
		}
		n := peerNegotiation{Path: path, Extensions: r.Extensions, Agreed: r.Agreed}
		if err := n.check(want, true); err != nil {
			t.Errorf("%s on %s: %v", s.name, path, err)
		} else {
			t.Logf("%s on %s: %q", s.name, path, r.Extensions)
		}
	}
}

// checkServerDeflate checks the fastws server's side of a variant: the
// extension each connection under prefix negotiated, and the probe.
func checkServerDeflate(t *testing.T, e *echoServer, prefix, want string) {
	t.Helper()
	recs := e.waitRecords(t, variantPaths(prefix)...)
	for _, path := range variantPaths(prefix) {
		for _, r := range recs[path] {
			r.mu.Lock()
			if err := checkNegotiated(r.extensions, want); err != nil {
				t.Errorf("fastws server on %s: %v", path, err)
			} else {
				t.Logf("fastws server on %s: %q", path, r.extensions)
			}
			r.mu.Unlock()
		}
	}
	rs := recs[prefix+"/probe"]
	if len(rs) != 1 {
		t.Errorf("echo server: %d connections on %s/probe, want 1", len(rs), prefix)
		return
	}
	r := rs[0]
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, err := range r.errs {
		t.Errorf("echo server: %s: %v", r.path, err)
	}
	if r.peerClose == nil || r.peerClose.Code != fastws.CloseNormal {
		t.Errorf("echo server: %s ended with %v (read error %v), want the client's close 1000", r.path, r.peerClose, r.readErr)
	}
	if r.probe == nil {
		t.Errorf("echo server: %s: no probe message", r.path)
		return
	}
	p := r.probe
	terms := termsOf(want)
	window := 0
	if terms != nil {
		window = 1 << terms.ClientMaxWindowBits
	}
	if err := p.msg.check(terms != nil, window); err != nil {
		t.Errorf("echo server: %s: the client's message: %v", r.path, err)
	}
	switch {
	case terms != nil && p.echoWire >= int64(len(p.msg.payload))/2:
		t.Errorf("echo server: %s: our echo of %d bytes took %d bytes on the wire: not compressed", r.path, len(p.msg.payload), p.echoWire)
	case terms == nil && p.echoWire < int64(len(p.msg.payload)):
		t.Errorf("echo server: %s: our echo of %d bytes took %d bytes on the wire without permessage-deflate", r.path, len(p.msg.payload), p.echoWire)
	default:
		t.Logf("probe on %s: %s; our echo took %d bytes on the wire", r.path, p.msg, p.echoWire)
	}
}

// probeSize is the size of the compressible JSON-like text of the probe.
const probeSize = 64 << 10

// countingConn counts the bytes read from and written to a connection.
type countingConn struct {
	net.Conn
	read, written atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// countingHijacker hands fastws.Upgrade a countingConn when it hijacks the
// connection (HTTP/1.1), and counts what is written through it otherwise
// (HTTP/2, where the WebSocket's frames go out through the
// ResponseWriter, which Unwrap gives http.ResponseController).
type countingHijacker struct {
	http.ResponseWriter
	conn     *countingConn
	streamed atomic.Int64
}

func (h *countingHijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }

func (h *countingHijacker) Write(p []byte) (int, error) {
	n, err := h.ResponseWriter.Write(p)
	h.streamed.Add(int64(n))
	return n, err
}

// written is how many bytes went out since the upgrade, by either way.
func (h *countingHijacker) written() int64 {
	if h.conn != nil {
		return h.conn.written.Load()
	}
	return h.streamed.Load()
}

func (h *countingHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &countingConn{Conn: nc}
	return h.conn, brw, nil
}

// rawMessage is one data message as ReadFrame returned its frames:
// compressed or not, as it was on the wire.
type rawMessage struct {
	typ     fastws.MessageType
	frames  int
	rsv1    bool   // the first frame carried RSV1
	rsvLate bool   // a continuation frame carried a reserved bit
	wire    []byte // the payloads of the frames, joined
	payload []byte // the message: wire inflated if rsv1
	err     error  // the inflater's error
}

// readRawMessage reads the next data message frame by frame, skipping
// control frames, and inflates it if its first frame has RSV1. This is
// only sound for the first compressed message a peer sends on a
// connection: its compressor's window is then empty. The connection's own
// inflater does not see the message, so nothing may be read after it
// but the close.
func readRawMessage(ctx context.Context, c *fastws.Conn) (*rawMessage, error) {
	m := &rawMessage{}
	for m.frames < 10000 {
		f, err := c.ReadFrame(ctx)
		if err != nil {
			return nil, fmt.Errorf("ReadFrame after %d frames: %w", m.frames, err)
		}
		if f.Opcode.IsControl() {
			continue
		}
		if m.frames == 0 {
			m.typ = fastws.MessageType(f.Opcode)
			m.rsv1 = f.Rsv&wsframe.Rsv1 != 0
		} else if f.Rsv != 0 {
			m.rsvLate = true
		}
		m.frames++
		m.wire = append(m.wire, f.Payload...)
		if f.Fin {
			m.payload = m.wire
			if m.rsv1 {
				m.payload, m.err = inflateMessage(m.wire)
			}
			return m, nil
		}
	}
	return nil, errors.New("more than 10000 frames")
}

// inflateMessage inflates a whole permessage-deflate message sent with an
// empty window: the message, then the tail RFC 7692 has the sender strip,
// then an empty final block so the inflater ends cleanly.
func inflateMessage(wire []byte) ([]byte, error) {
	end := []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}
	r := flate.NewReader(io.MultiReader(bytes.NewReader(wire), bytes.NewReader(end)))
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 64<<20))
}

// check says what is wrong with a probe message: compressed should say
// whether it must have RSV1, and window is the negotiated window of its
// sender, whose back-references may not reach further.
func (m *rawMessage) check(compressed bool, window int) error {
	switch {
	case m.rsv1 != compressed:
		return fmt.Errorf("RSV1 is %v on its first frame, want %v", m.rsv1, compressed)
	case m.rsvLate:
		return errors.New("a continuation frame carries a reserved bit")
	case m.err != nil:
		return fmt.Errorf("inflating %d bytes: %v", len(m.wire), m.err)
	case m.typ != fastws.Text || !bytes.HasPrefix(m.payload, []byte(`[{"id":`)) && !bytes.HasPrefix(m.payload, []byte(`fragment-me:[{"id":`)):
		return fmt.Errorf("got a %v message of %d bytes beginning %.20q, want the probe's JSON text", m.typ, len(m.payload), m.payload)
	case len(m.payload) < probeSize:
		return fmt.Errorf("got %d bytes, want at least %d", len(m.payload), probeSize)
	case compressed && len(m.wire) >= len(m.payload)/2:
		return fmt.Errorf("%d bytes of JSON-like text took %d compressed: the sender hardly compressed", len(m.payload), len(m.wire))
	}
	if compressed {
		if err := flatecheck.CheckDistances(m.wire, window); err != nil {
			return fmt.Errorf("the sender broke its %d-byte window: %v", window, err)
		}
	}
	return nil
}

func (m *rawMessage) String() string {
	return fmt.Sprintf("%d bytes in %d frames, %d on the wire (RSV1 %v)", len(m.payload), m.frames, len(m.wire), m.rsv1)
}

// probeRecord is what the fastws server saw of the probe.
type probeRecord struct {
	msg      *rawMessage
	echoWire int64 // bytes our echo took on the wire
}

// serveProbe returns the handler of PREFIX/probe: the compression probe's
// server side. It reads the client's first message frame by frame,
// inflating it itself, so that the record shows whether and how the
// client compressed it; echoes it with WriteMessage, counting the bytes
// the echo takes on the wire; and waits for the client's close.
func (e *echoServer) serveProbe(copts *fastws.CompressionOptions) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec, end := e.begin(r)
		defer end()
		hw := &countingHijacker{ResponseWriter: w}
		c, err := e.upgrade(hw, r, rec, copts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(e.ctx, itemTimeout)
		defer cancel()
		m, err := readRawMessage(ctx, c)
		if err != nil {
			rec.fail(err)
			return
		}
		before := hw.written()
		if err := c.WriteMessage(ctx, m.typ, m.payload); err != nil {
			rec.fail(fmt.Errorf("echoing the probe: %w", err))
			return
		}
		p := &probeRecord{msg: m, echoWire: hw.written() - before}
		_, _, err = c.ReadMessage(ctx)
		var ce *fastws.CloseError
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.probe = p
		if errors.As(err, &ce) {
			rec.peerClose = ce
		} else {
			rec.readErr = err
		}
	}
}

// compressionProbe is the probe's client side, for a fastws client: on a
// connection of its own (PREFIX/probe) it sends "fragment-me:" and 64 KiB
// of JSON-like text, counting what that took on the wire, and reads the
// fragmented echo frame by frame, inflating it itself: the first frame
// must carry RSV1 (and no other frame), the text must have compressed
// well, and the server's back-references must stay within its window.
func compressionProbe(ctx context.Context, c *echoClient) (string, error) {
	var counted *countingConn
	conn, err := c.dialWith(ctx, "/probe", func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		counted = &countingConn{Conn: nc}
		return counted, nil
	})
	if err != nil {
		return "", fmt.Errorf("Dial /probe: %w", err)
	}
	defer conn.CloseNow()
	msg := append([]byte("fragment-me:"), jsonText(probeSize)()...)
	before := counted.written.Load()
	if err := conn.WriteMessage(ctx, fastws.Text, msg); err != nil {
		return "", fmt.Errorf("WriteMessage: %w", err)
	}
	sent := counted.written.Load() - before
	m, err := readRawMessage(ctx, conn)
	if err != nil {
		return "", err
	}
	terms := termsOf(c.want)
	window := 0
	if terms != nil {
		window = 1 << terms.ServerMaxWindowBits
	}
	switch {
	case terms != nil && sent >= int64(len(msg))/2:
		return "", fmt.Errorf("fastws sent %d bytes of JSON-like text as %d bytes on the wire: not compressed", len(msg), sent)
	case terms == nil && sent < int64(len(msg)):
		return "", fmt.Errorf("fastws sent %d bytes as %d on the wire without permessage-deflate", len(msg), sent)
	}
	if err := m.check(terms != nil, window); err != nil {
		return "", fmt.Errorf("the echo: %w", err)
	}
	if m.frames < 2 {
		return "", fmt.Errorf("the echo came in %d frame, want a fragmented message", m.frames)
	}
	if !bytes.Equal(m.payload, msg) {
		return "", sameMessage(m.typ, m.payload, fastws.Text, msg)
	}
	if err := conn.CloseContext(ctx, fastws.CloseNormal, ""); err != nil {
		return "", fmt.Errorf("Close: %w", err)
	}
	return fmt.Sprintf("sent %d bytes as %d on the wire; echo: %v, intact", len(msg), sent, m), nil
}

// peerDeflateConfig is the JSON a peer client script gets to run the
// deflate list: its permessage-deflate configuration (null for its
// defaults), whether to run the full list and whether to add random-16MiB.
func peerDeflateConfig(v deflateVariant) string {
	b, err := json.Marshal(map[string]any{"list": "deflate", "deflate": v.peer, "full": v.full, "big": v.big})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// peerServerVariants is the JSON a peer server script gets: the
// configuration of each variant, served under /NAME.
func peerServerVariants(vs []deflateVariant) string {
	m := map[string]any{}
	for _, v := range vs {
		m[v.name] = v.peer
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// variantTimeout bounds one variant's client run.
var variantTimeout = testtime.Limit(time.Minute)

// runPeerClientVariants runs a peer's client script once per variant
// (argv builds its command line from its base URL and its configuration)
// against one fastws server serving each variant under /NAME, and checks
// the client's report, what the server saw and what both sides say they
// negotiated. The variants run concurrently (see runVariants).
func runPeerClientVariants(t *testing.T, vs []deflateVariant, env []string, browserList bool, peerPings []string, argv func(base, config string) []string) {
	t.Helper()
	e := newEchoServer(t, acceptAnyOrigin)
	for _, v := range vs {
		e.addVariant("/"+v.name, &v.fastws)
	}
	runVariants(t, vs, func(t *testing.T, v deflateVariant) {
		prefix := "/" + v.name
		rep, exitErr := runPeerClient(t, variantTimeout, env, argv(e.url+prefix, peerDeflateConfig(v))...)
		checkClientReport(t, rep, exitErr, deflateListNames(v.full, v.big, browserList))
		checkClientNegotiations(t, rep, prefix, v.want, true)
		checkEchoServerRecordsAt(t, e, prefix, peerPings)
		checkServerDeflate(t, e, prefix, v.want)
	})
}

// runPeerServerVariants runs the deflate list with a fastws client once
// per variant against a peer's echo server serving each variant under
// /NAME (argv, without the port and variants), and checks what the server
// saw and what both sides say they negotiated. The variants run
// concurrently (see runVariants).
func runPeerServerVariants(t *testing.T, vs []deflateVariant, env []string, argv ...string) {
	t.Helper()
	s := startPeerServerArgs(t, time.Duration(len(vs))*variantTimeout, env, argv, peerServerVariants(vs))
	runVariants(t, vs, func(t *testing.T, v deflateVariant) {
		prefix := "/" + v.name
		c := &echoClient{base: s.url + prefix, compression: &v.fastws, want: v.want}
		runList(t, c, deflateList(v.full, v.big))
		checkPeerServerReportsAt(t, s, prefix)
		checkPeerServerNegotiations(t, s, prefix, v.want)
	})
}

// variantsAtOnce is how many variants run at once. Each is a pipeline
// that keeps the test process and the peer busy in turn, so three of them
// keep two cores busy.
const variantsAtOnce = 3

// runVariants runs one subtest per variant, variantsAtOnce at a time,
// and returns when all have ended. (t.Run may be called from several
// goroutines; t.Parallel would be bounded by -parallel, GOMAXPROCS by
// default.)
func runVariants(t *testing.T, vs []deflateVariant, run func(*testing.T, deflateVariant)) {
	t.Helper()
	sem := make(chan struct{}, variantsAtOnce)
	var wg sync.WaitGroup
	for _, v := range vs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t.Run(v.name, func(t *testing.T) { run(t, v) })
		}()
	}
	wg.Wait()
}
