//go:build unix

package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/internal/xconnect"
)

// TestMain lets the tests run the command itself as a child process:
// FASTWS_TEST_MAIN holds its arguments, tab-separated, or is "argv" for
// the process's own arguments (the test binary run as fastws through a
// link of that name, as the completion test does).
func TestMain(m *testing.M) {
	xconnect.Enable() // TestConnectOverHTTP2 serves extended CONNECT
	switch args := os.Getenv("FASTWS_TEST_MAIN"); args {
	case "":
	case "argv":
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	default:
		os.Exit(run(strings.Split(args, "\t"), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// SIGTERM makes `fastws echo` close every connection with 1001 and exit
// 0, on each driver, rather than leave its clients to see 1006.
func TestEchoShutsDownOnSIGTERM(t *testing.T) {
	for _, driver := range []string{"goroutines", "auto"} {
		t.Run(driver, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "FASTWS_TEST_MAIN=echo\t-addr\t127.0.0.1:0\t-driver\t"+driver)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			lines := bufio.NewReader(stdout)
			first, err := lines.ReadString('\n')
			url, ok := strings.CutPrefix(strings.TrimSpace(first), "fastws echo: listening on ")
			if err != nil || !ok {
				t.Fatalf("first line %q, %v", first, err)
			}
			ctx := testCtx(t)
			c, _, err := fastws.Dial(ctx, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			if err := c.WriteMessage(ctx, fastws.Text, []byte("hi")); err != nil {
				t.Fatal(err)
			}
			if _, msg, err := c.ReadMessage(ctx); err != nil || string(msg) != "hi" {
				t.Fatalf("echo %q, %v", msg, err)
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			var ce *fastws.CloseError
			if _, _, err := c.ReadMessage(ctx); !errors.As(err, &ce) || ce.Code != fastws.CloseGoingAway {
				t.Fatalf("the client read %v, want close 1001", err)
			}
			rest, _ := io.ReadAll(lines)
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("fastws echo exited with %v; output %q", err, rest)
				}
			case <-time.After(testtime.Limit(10 * time.Second)):
				t.Fatal("fastws echo did not exit after SIGTERM")
			}
			if !strings.Contains(string(rest), "shutting down") {
				t.Errorf("output after SIGTERM %q", rest)
			}
		})
	}
}
