package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/testcert"
)

// serverStats is what the server reports on its plain-HTTP stats port.
type serverStats struct {
	TCPConns   int64  `json:"tcpConns"`   // TLS connections accepted
	WebSockets int64  `json:"webSockets"` // open now
	H2         int64  `json:"h2"`         // WebSockets opened over HTTP/2
	GoBytes    uint64 `json:"goBytes"`    // heap in use plus stacks, after a GC
	RSS        uint64 `json:"rss"`        // bytes
	CPU        int64  `json:"cpuNs"`      // user plus system time so far
}

// runServer serves echo over TLS with HTTP/1.1 and HTTP/2 (streams
// without limit), prints its addresses and certificate, and serves its
// stats until stdin closes.
func runServer(maxReadFrame int) int {
	cert, err := testcert.New(24 * time.Hour)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var tcp, open, h2 atomic.Int64
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := fastws.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		open.Add(1)
		if r.ProtoMajor == 2 {
			h2.Add(1)
		}
		defer open.Add(-1)
		ctx := context.Background()
		var buf []byte
		for {
			typ, msg, err := c.AppendMessage(ctx, buf[:0])
			if err != nil {
				break
			}
			buf = msg
			if c.WriteMessage(ctx, typ, msg) != nil {
				break
			}
		}
		<-c.Done()
	})
	srv := &http.Server{
		Handler:   handler,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		HTTP2:     &http.HTTP2Config{MaxConcurrentStreams: 1 << 20, MaxReadFrameSize: maxReadFrame},
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				tcp.Add(1)
			}
		},
	}
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetHTTP2(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	statsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go srv.ServeTLS(ln, "", "")
	go http.Serve(statsLn, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") != "0" {
			runtime.GC()
			debug.FreeOSMemory()
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		json.NewEncoder(w).Encode(serverStats{
			TCPConns: tcp.Load(), WebSockets: open.Load(), H2: h2.Load(),
			GoBytes: ms.HeapInuse + ms.StackInuse, RSS: rss(),
			CPU: ru.Utime.Nano() + ru.Stime.Nano(),
		})
	}))
	fmt.Printf("%s %s %s\n", ln.Addr(), statsLn.Addr(), base64.StdEncoding.EncodeToString(cert.Leaf.Raw))
	bufio.NewReader(os.Stdin).ReadByte() // until the benchmark closes stdin
	return 0
}

// rss is the process's resident set from /proc, in bytes.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
