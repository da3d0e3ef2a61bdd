package main

import (
	"bufio"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// Two Chromium pages chat on one server (interop/node/chat-driver.js
// says what is checked: a refused name, joins, messages with markup shown
// as text, the live panel, reconnection after the server drops them, a
// leave and a closed page). Screenshots are logged, and kept with
// go test -artifacts.
func TestChatInChromium(t *testing.T) {
	requireChromium(t)
	leakcheck.Check(t)
	srv, addr := startServe(t, testChatConfig(), nil)
	runChatDriver(t, []*demoServer{srv}, "http://"+addr+"/", "http://"+addr+"/")
}

// The same with each page on its own node, the nodes joined through a
// NATS server: rooms, notices and member lists span both.
func TestChatAcrossNodesInChromium(t *testing.T) {
	requireChromium(t)
	leakcheck.Check(t)
	cfg := clusterConfig()
	cfg.natsURL = startNATS(t)
	a, addrA := startServe(t, cfg, nil)
	b, addrB := startServe(t, cfg, nil)
	runChatDriver(t, []*demoServer{a, b}, "http://"+addrA+"/", "http://"+addrB+"/")
}

// runChatDriver runs chat-driver.js with page A on urlA and page B on
// urlB; when it asks, every chat connection of servers is cut.
func runChatDriver(t *testing.T, servers []*demoServer, urlA, urlB string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(3*time.Minute))
	defer cancel()
	shots := t.ArtifactDir()
	cmd := driverCommand(ctx, "chat-driver.js", urlA, urlB, t.TempDir(), shots)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var report string
	lines := bufio.NewScanner(stdout)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		if lines.Text() == "drop" {
			for _, srv := range servers {
				srv.chat.dropAll()
			}
			continue
		}
		report = lines.Text()
	}
	werr := cmd.Wait()
	var seen struct {
		Screenshots []string          `json:"screenshots"`
		Stats       map[string]string `json:"stats"`
		DropNotice  string            `json:"dropNotice"`
		Log         []string          `json:"log"`
		FailedAt    string            `json:"failedAt"`
		Error       string            `json:"error"`
	}
	if err := json.Unmarshal([]byte(report), &seen); err != nil {
		t.Fatalf("no report from the driver (%v): %q\n%s", werr, report, stderr.String())
	}
	for _, s := range seen.Screenshots {
		t.Logf("screenshot: %s", s)
	}
	if werr != nil || seen.FailedAt != "" {
		t.Fatalf("driver: %v, at step %q: %s\n%s", werr, seen.FailedAt, seen.Error, stderr.String())
	}
	t.Logf("alice's log: %q", seen.Log)
	t.Logf("live panel: %v; after the drop: %q", seen.Stats, seen.DropNotice)
	if !strings.HasPrefix(seen.DropNotice, "closed (1006") {
		t.Errorf("after the server cut the connection the page said %q, want closed (1006)", seen.DropNotice)
	}
	if n := seen.Stats["stat-nodes"]; n != strconv.Itoa(len(servers)) {
		t.Errorf("the live panel shows %s nodes, want %d", n, len(servers))
	}
}

// dropAll cuts every chat connection in a room at once, without a
// closing handshake, as a failing network would.
func (svc *chatService) dropAll() {
	svc.mu.Lock()
	var sessions []*fastws.Session
	for _, here := range svc.rooms {
		for s := range here {
			sessions = append(sessions, s)
		}
	}
	svc.mu.Unlock()
	for _, s := range sessions {
		s.CloseNow()
	}
}
