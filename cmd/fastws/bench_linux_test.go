package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
)

// benchRun runs fastws bench and returns its exit status, stdout, stderr
// and the -json report.
func benchRun(t *testing.T, args ...string) (int, string, string, *benchReport) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "run.json")
	var out, errOut syncBuffer
	code := run(append([]string{"bench", "-json", file}, args...), nil, &out, &errOut)
	var rep *benchReport
	if b, err := os.ReadFile(file); err == nil {
		rep = new(benchReport)
		if err := json.Unmarshal(b, rep); err != nil {
			t.Fatalf("-json: %v", err)
		}
	}
	return code, out.String(), errOut.String(), rep
}

// A closed-loop run against fastws's echo server: every message counted
// and intact, the report's table and histogram printed, the JSON complete.
func TestBenchClosedLoop(t *testing.T) {
	leakcheck.Check(t)
	url := startEcho(t, defaultFlags())
	code, out, errOut, rep := benchRun(t, "-c", "8", "-messages", "800", "-size", "20B:50,1KiB:40,16KiB:10", url+"/echo")
	if code != exitNormal || errOut != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
	}
	if rep.Messages != 800 || rep.Mismatches != 0 || len(rep.Errors) != 0 || rep.Open != 8 || rep.Loop != "closed" {
		t.Fatalf("report %+v", rep)
	}
	var binned uint64
	for _, b := range rep.Histogram {
		binned += b.Count
		if b.ToMicros <= b.FromMicros {
			t.Errorf("bin %+v", b)
		}
	}
	if binned != 800 || rep.LatencyMicros["p50"] <= 0 || rep.LatencyMicros["max"] < rep.LatencyMicros["p99"] || rep.GeneratorCPUPerMessage <= 0 {
		t.Fatalf("latency %v, %d in the histogram, generator %v µs", rep.LatencyMicros, binned, rep.GeneratorCPUPerMessage)
	}
	// 40% of 800 messages of 1 KiB, 10% of 16 KiB, 50% of 20 B.
	if want := uint64(400*20 + 320*1024 + 80*16384); rep.PayloadBytes != want {
		t.Errorf("payload %d bytes, want %d", rep.PayloadBytes, want)
	}
	for _, re := range []string{
		`(?m)^target +` + regexp.QuoteMeta(url) + `/echo$`,
		`(?m)^load +8 connections, closed loop; 20:50,1KiB:40,16KiB:10 text messages$`,
		`(?m)^messages +800 echoed, [\d,]+/s; every echo identical to the message sent$`,
		`(?m)^latency +p50 \S+  p90 \S+  p99 \S+  p99\.9 \S+  max \S+$`,
		`(?m)^generator +[\d.]+ µs of CPU per message`,
		`(?m)^errors +none$`,
		`(?m)^latency histogram$`,
		`(?m)^ +\S+ - \S+ +#+ +[\d.]+%  +[\d.]+%$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("report lacks %s:\n%s", re, out)
		}
	}
}

// An open loop at a rate, with compression: the messages are the rate's,
// compressed, and still checked byte for byte.
func TestBenchOpenLoopCompressed(t *testing.T) {
	leakcheck.Check(t)
	url := startEcho(t, defaultFlags())
	code, out, errOut, rep := benchRun(t, "-c", "4", "-rate", "400", "-messages", "80", "-compress", url)
	if code != exitNormal || errOut != "" || rep.Messages != 80 || rep.Mismatches != 0 || rep.Loop != "open" || rep.Rate != 400 ||
		!strings.Contains(rep.Extensions, "permessage-deflate") || rep.SentBytes >= rep.PayloadBytes {
		t.Fatalf("exit %d, stderr %q, report %+v\n%s", code, errOut, rep, out)
	}
}

// A server whose echoes differ: every mismatch counted, and the exit
// status says so.
func TestBenchCountsMismatches(t *testing.T) {
	leakcheck.Check(t)
	url := serveConns(t, func(c *fastws.Conn) {
		ctx := context.Background()
		for i := 0; ; i++ {
			typ, msg, err := c.ReadMessage(ctx)
			if err != nil {
				return
			}
			if i%4 == 3 {
				msg[0] ^= 0x20 // a letter's case
			}
			if c.WriteMessage(ctx, typ, msg) != nil {
				return
			}
		}
	})
	code, out, _, rep := benchRun(t, "-c", "2", "-messages", "40", "-size", "100", url)
	if code != exitPeerClose || rep.Messages != 40 || rep.Mismatches != 10 || !strings.Contains(out, "10 echoes DIFFERED") {
		t.Fatalf("exit %d, report %+v\n%s", code, rep, out)
	}
}

// Connections the server closes are counted by kind; the others go on.
func TestBenchCountsErrors(t *testing.T) {
	leakcheck.Check(t)
	url := serveConns(t, func(c *fastws.Conn) {
		ctx := context.Background()
		for i := 0; ; i++ {
			typ, msg, err := c.ReadMessage(ctx)
			if err != nil || i == 5 {
				return // the handler ends: the connection drops
			}
			if c.WriteMessage(ctx, typ, msg) != nil {
				return
			}
		}
	})
	code, out, _, rep := benchRun(t, "-c", "3", "-messages", "60", "-size", "10", url)
	if code != exitPeerClose || rep.Messages != 15 || rep.Errors["closed by the server"] != 3 || rep.Open != 0 ||
		!strings.Contains(out, "closed by the server: 3") {
		t.Fatalf("exit %d, report %+v\n%s", code, rep, out)
	}
}

func TestBenchCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "want the echo server's URL"},
		{[]string{"-c", "0", "ws://127.0.0.1/"}, "-c: want at least one connection"},
		{[]string{"-size", "1KiB:0", "ws://127.0.0.1/"}, "weight \"0\" of size 1KiB"},
		{[]string{"-size", "huge", "ws://127.0.0.1/"}, `size "huge"`},
		{[]string{"-messages", "10", "-warmup", "1s", "ws://127.0.0.1/"}, "-warmup is for -duration runs"},
		{[]string{"wss://127.0.0.1/"}, "drives ws:// only"},
		{[]string{"ws://127.0.0.1/", "extra"}, `unexpected argument "extra"`},
	} {
		code, _, errOut, _ := benchRun(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 2 {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
	// An unreachable server is one line, as with connect.
	code, _, errOut, _ := benchRun(t, "ws://"+closedPort(t)+"/")
	if code != exitNetwork || !strings.Contains(errOut, "nothing accepts connections") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// -progress on (auto when stderr is a terminal) rewrites one status line
// in place while measuring, and clears it before the report.
func TestBenchProgressLine(t *testing.T) {
	leakcheck.Check(t)
	url := startEcho(t, defaultFlags())
	code, out, errOut, _ := benchRun(t, "-progress", "on", "-c", "2", "-duration", "1200ms", "-warmup", "0s", url)
	if code != exitNormal || !strings.Contains(out, "echoed") {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
	}
	line := regexp.MustCompile(`\r\x1b\[Kmeasuring: 2/2 connections \| \d+ msg/s \| p50 \S+ p99 \S+ \| 0 errors \| \ds/1.2s`)
	if !line.MatchString(errOut) || !strings.HasSuffix(errOut, "\r\x1b[K") {
		t.Fatalf("stderr %q", errOut)
	}
}

// fastws connect and fastws bench against fastws serve: its echo
// endpoint under load, and a chat join through connect.
func TestCommandsAgainstServe(t *testing.T) {
	leakcheck.Check(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServeServer(defaultFlags(), defaultChatConfig())
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	base := "ws://" + ln.Addr().String()

	code, out, errOut, rep := benchRun(t, "-c", "4", "-messages", "400", "-compress", base+"/echo")
	if code != exitNormal || rep.Messages != 400 || rep.Mismatches != 0 || len(rep.Errors) != 0 {
		t.Fatalf("bench: exit %d, stderr %q, report %+v\n%s", code, errOut, rep, out)
	}
	code, out, errOut = connect(t, strings.NewReader(`{"type":"join","room":"lobby","name":"ann"}`+"\n"+`{"type":"say","text":"hi"}`+"\n"), "-q", base+"/chat")
	if code != exitNormal || !strings.Contains(out, `{"type":"joined","room":"lobby","name":"ann"}`) ||
		!strings.Contains(out, `"type":"message","room":"lobby","name":"ann","text":"hi"`) {
		t.Fatalf("connect: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
