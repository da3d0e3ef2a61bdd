package conformance

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/wsframe"
)

// liarServer negotiates permessage-deflate agreeing to whatever the offer
// asks, then compresses with a full 15-bit window and context takeover
// whatever it agreed: the suite must catch both lies.
func liarServer(t *testing.T) string {
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
			go liarConn(conn)
		}
	}()
	return "ws://" + ln.Addr().String() + "/"
}

func liarConn(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	if err != nil || checkUpgrade(req) != nil {
		return
	}
	offers, _ := parseDeflate(req.Header.Get("Sec-WebSocket-Extensions"))
	if len(offers) == 0 {
		io.WriteString(conn, switching(req))
		return
	}
	o := offers[0]
	answer := "permessage-deflate"
	if o.serverNoContext {
		answer += "; server_no_context_takeover"
	}
	if o.serverBits > 0 {
		answer += "; server_max_window_bits=" + itoa(o.serverBits)
	}
	io.WriteString(conn, switching(req, "Sec-WebSocket-Extensions: "+answer))
	var out bytes.Buffer
	w, _ := flate.NewWriter(&out, 9) // one writer for the whole connection: context kept
	var history []byte
	for {
		var hb [14]byte
		if _, err := io.ReadFull(br, hb[:2]); err != nil {
			return
		}
		n := 2 + map[byte]int{126: 2, 127: 8}[hb[1]&0x7f] + 4
		if _, err := io.ReadFull(br, hb[2:n]); err != nil {
			return
		}
		h, _, _ := wsframe.ParseHeader(hb[:n])
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		wsframe.Mask(h.Mask, 0, p)
		switch {
		case h.Opcode == wsframe.OpClose:
			conn.Write(append(wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Opcode: wsframe.OpClose, Length: int64(len(p))}), p...))
			return
		case h.Opcode.IsControl():
			continue
		case !h.Fin || h.Rsv == 0:
			return // the cases this server is for send whole compressed messages
		}
		r := flate.NewReaderDict(io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})), history)
		msg, err := io.ReadAll(r)
		if err != nil {
			return
		}
		history = append(history, msg...)
		out.Reset()
		w.Write(msg)
		w.Flush()
		comp := bytes.TrimSuffix(out.Bytes(), []byte{0, 0, 0xff, 0xff})
		frame := wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: h.Opcode, Length: int64(len(comp))})
		conn.Write(append(frame, comp...))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// The suite catches a server that compresses beyond the window or with the
// context it agreed not to use, and passes it where it kept its word.
func TestSuiteCatchesDeflateLies(t *testing.T) {
	leakcheck.Check(t)
	rep, err := RunServer(context.Background(), runConfig(liarServer(t), "liar", Select(Cases(ServerMode), "13.1.2,13.2.2,13.3.2,13.4.2", "")))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Verdict{
		"13.1.2": OK,     // no promises asked: context and a full window are fine
		"13.4.2": OK,     // a 15-bit window asked: kept
		"13.2.2": Failed, // promised no context takeover
		"13.3.2": Failed, // promised an 8-bit window
	}
	for _, r := range rep.Results() {
		if r.Result != want[r.ID] {
			t.Errorf("%s: %s %v, want %s", r.ID, r.Result, r.Observed.Notes, want[r.ID])
		}
	}
}
