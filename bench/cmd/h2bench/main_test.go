package main

import (
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
)

// TestMain lets the test binary serve, as the command does: the
// benchmark runs its own executable with -serve.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-serve" {
		frame := 0
		if len(os.Args) > 2 {
			frame, _ = strconv.Atoi(strings.TrimPrefix(os.Args[2], "-max-read-frame="))
		}
		os.Exit(runServer(frame))
	}
	flag.Parse()
	os.Exit(m.Run())
}

// TestCells runs a tiny cell of each transport and checks its figures
// are those of what it claims to measure.
func TestCells(t *testing.T) {
	for _, mode := range []fastws.HTTP2Mode{fastws.HTTP2Only, fastws.HTTP2Off} {
		r, err := runCell(mode, 3, 64, 200*time.Millisecond, 16384)
		if err != nil {
			t.Fatal(err)
		}
		wantTCP, wantH2 := int64(1), int64(3)
		if mode == fastws.HTTP2Off {
			wantTCP, wantH2 = 3, 0
		}
		if r.tcp != wantTCP || r.h2 != wantH2 || r.msgsPerSec <= 0 || r.serverCPUPerMsgUs <= 0 {
			t.Errorf("%s: %d TCP connections, %d over HTTP/2, %.0f msgs/s, %.1f µs/msg; want %d, %d and some traffic",
				r.mode, r.tcp, r.h2, r.msgsPerSec, r.serverCPUPerMsgUs, wantTCP, wantH2)
		}
	}
}
