package conformance

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/wsframe"
)

// faults are the defects a naive testee server can be built with.
type faults struct {
	skipUTF8        bool // echo text without checking it
	ignoreClose     bool // never answer a close frame
	acceptUnmasked  bool // take client frames without a mask
	validateAtEnd   bool // check UTF-8 only when a message is complete (legal, but not fail-fast)
	ignoreBadFrames bool // skip frames that break a rule instead of failing the connection
}

// naiveServer is a small echo server written directly on wsframe's header
// codec, correct except for the faults it is given: the suite must tell
// those apart and nothing else.
func naiveServer(t *testing.T, f faults) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go naiveConn(conn, f)
		}
	}()
	return "ws://" + ln.Addr().String() + "/"
}

func naiveConn(conn net.Conn, f faults) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	if err != nil || checkUpgrade(req) != nil {
		io.WriteString(conn, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
		return
	}
	io.WriteString(conn, switching(req))
	send := func(op wsframe.Opcode, p []byte) {
		conn.Write(append(wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Opcode: op, Length: int64(len(p))}), p...))
	}
	failWith := func(code uint16) {
		send(wsframe.OpClose, binary.BigEndian.AppendUint16(nil, code))
	}
	var msg []byte
	var msgOp wsframe.Opcode
	var v wsframe.UTF8
	for {
		var hb [14]byte
		if _, err := io.ReadFull(br, hb[:2]); err != nil {
			return
		}
		n := 2 + map[byte]int{126: 2, 127: 8}[hb[1]&0x7f]
		if hb[1]&0x80 != 0 {
			n += 4
		}
		if _, err := io.ReadFull(br, hb[2:n]); err != nil {
			return
		}
		h, _, err := wsframe.ParseHeader(hb[:n])
		if err != nil || h.Length > 64<<20 {
			failWith(1002)
			return
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		if !h.Masked && !f.acceptUnmasked {
			failWith(1002)
			return
		}
		if h.Masked {
			wsframe.Mask(h.Mask, 0, p)
		}
		if h.Rsv != 0 || h.Opcode.IsReserved() || h.Opcode.IsControl() && (!h.Fin || len(p) > 125) {
			if f.ignoreBadFrames {
				continue
			}
			failWith(1002)
			return
		}
		switch h.Opcode {
		case wsframe.OpPing:
			send(wsframe.OpPong, p)
			continue
		case wsframe.OpPong:
			continue
		case wsframe.OpClose:
			if f.ignoreClose {
				continue
			}
			code, _, err := wsframe.ParseClosePayload(p)
			if err != nil {
				var pe *wsframe.ProtocolError
				errorsAs(err, &pe)
				failWith(uint16(pe.Code))
				return
			}
			if code == wsframe.CloseNoStatus {
				send(wsframe.OpClose, nil)
			} else {
				failWith(uint16(code))
			}
			return
		case wsframe.OpContinuation:
			if msgOp == 0 {
				failWith(1002)
				return
			}
		default:
			if msgOp != 0 {
				failWith(1002)
				return
			}
			msgOp, msg = h.Opcode, msg[:0]
			v.Reset()
		}
		msg = append(msg, p...)
		if msgOp == wsframe.OpText && !f.skipUTF8 && !f.validateAtEnd && !v.Feed(p) {
			failWith(1007)
			return
		}
		if !h.Fin {
			continue
		}
		if msgOp == wsframe.OpText && !f.skipUTF8 && !utf8.Valid(msg) {
			failWith(1007)
			return
		}
		send(msgOp, msg)
		msgOp = 0
	}
}

func errorsAs(err error, pe **wsframe.ProtocolError) {
	if p, ok := err.(*wsframe.ProtocolError); ok {
		*pe = p
		return
	}
	*pe = &wsframe.ProtocolError{Code: 1002}
}

func runAgainst(t *testing.T, url, patterns string) *Report {
	t.Helper()
	// The faults make cases wait for time limits that expire, and a
	// naive testee does next to no work: the limits are not stretched for
	// the race detector (only for a slow machine), and many cases wait at
	// once.
	cfg := runConfig(url, "naive", Select(Cases(ServerMode), patterns, "9.*"))
	cfg.TimeScale, cfg.Parallel = testtime.MachineScale(), 16
	rep, err := RunServer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func resultsByID(rep *Report) map[string]*Result {
	m := map[string]*Result{}
	for _, r := range rep.Results() {
		m[r.ID] = r
	}
	return m
}

// A correct but simple testee passes everything; checking UTF-8 only at
// the end of a message is exactly the NON-STRICT of the fail-fast cases.
func TestSuiteDoesNotCryWolf(t *testing.T) {
	leakcheck.Check(t)
	rep := runAgainst(t, naiveServer(t, faults{validateAtEnd: true}), "1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*")
	for id, r := range resultsByID(rep) {
		want := OK
		switch {
		case strings.HasPrefix(id, "6.4."):
			want = NonStrict
		case id == "7.1.6" || id == "7.13.1" || id == "7.13.2":
			if r.Result == Informational {
				continue
			}
		}
		if r.Result != want {
			t.Errorf("%s: %s (behavior %s, close %s) %v, want %s", id, r.Result, r.Behavior, r.BehaviorClose, r.Observed.Notes, want)
		}
	}
}

// Each deliberate fault is caught by the cases about it, and only by them.
func TestSuiteCatchesFaults(t *testing.T) {
	leakcheck.Check(t)
	cases := []struct {
		name    string
		f       faults
		must    []string // these cases must fail
		mustNot string   // cases that must still pass: the fault has nothing to do with them
	}{
		{"skips UTF-8 checks", faults{skipUTF8: true},
			[]string{"6.3.1", "6.3.2", "6.4.1", "6.4.2", "6.4.3", "6.4.4", "6.12.1", "6.20.1", "6.17.1"}, "6.2.*"},
		{"never answers close", faults{ignoreClose: true},
			[]string{"7.1.1", "7.1.2", "7.3.1", "7.3.3", "7.7.1", "2.7", "2.12", "1.1.1"}, "3.1,4.1.1,5.1,5.9"},
		{"accepts unmasked client frames", faults{acceptUnmasked: true},
			[]string{"1.3.1"}, "1.1.*"},
		{"ignores frames that break a rule", faults{ignoreBadFrames: true},
			[]string{"3.1", "3.5", "4.1.1", "4.2.1", "4.2.2"}, "1.1.1,6.2.*"},
	}
	// The faulty testees mostly make the suite wait for timeouts that
	// expire: they run side by side.
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := naiveServer(t, tc.f)
			rep := runAgainst(t, url, strings.Join(tc.must, ",")+","+tc.mustNot)
			results := resultsByID(rep)
			for _, id := range tc.must {
				if r := results[id]; r == nil || r.Result != Failed {
					t.Errorf("%s: %v, want FAILED", id, r)
				}
			}
			for id, r := range results {
				if matchAny(tc.mustNot, id, false) && r.Result != OK {
					t.Errorf("%s: %s, want OK (the fault has nothing to do with it)", id, r.Result)
				}
			}
		})
	}
}
