package natsbridge

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/hub"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// roomHandler is a chat server's handler: a connection joins the room its
// path names, and what it sends is published to that room.
type roomHandler struct {
	h      *hub.Hub
	joined chan struct{}
}

func (rh *roomHandler) OnOpen(s *fastws.Session, req *fastws.OpenRequest) {
	room := strings.TrimPrefix(req.Path(), "/")
	s.Data = room
	rh.h.Subscribe(s, room)
	rh.joined <- struct{}{}
}

func (rh *roomHandler) OnMessage(s *fastws.Session, typ fastws.MessageType, msg []byte) {
	_ = rh.h.Publish(s.Data.(string), typ, msg)
}

func (rh *roomHandler) OnClose(s *fastws.Session, _ fastws.CloseEvent) { rh.h.UnsubscribeAll(s) }

// startWS serves nd's hub to WebSocket clients on 127.0.0.1.
func startWS(t *testing.T, nd *node, clients int) (url string, rh *roomHandler) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rh = &roomHandler{h: nd.h, joined: make(chan struct{}, clients)}
	srv := fastws.NewServer(rh, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return "ws://" + ln.Addr().String(), rh
}

// Clients of WebSocket servers on two nodes talk in one room: every
// client receives every client's messages once, in the order each client
// sent them.
func TestWebSocketRoom(t *testing.T) {
	leakcheck.Check(t)
	ns := startNATS(t, -1)
	const (
		nodes   = 2
		clients = 2 // per node
		n       = 100
	)
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(20*time.Second))
	defer cancel()
	type client struct {
		name string
		c    *fastws.Conn
	}
	var all []client
	var nds []*node
	for i := range nodes {
		nd := newNode(t, ns.ClientURL(), fmt.Sprintf("n%d", i), nil)
		nds = append(nds, nd)
		url, rh := startWS(t, nd, clients)
		for j := range clients {
			c, _, err := fastws.Dial(ctx, url+"/lobby", nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.CloseNow() })
			<-rh.joined
			all = append(all, client{name: fmt.Sprintf("n%dc%d", i, j), c: c})
		}
	}
	want := map[string]int{}
	for _, cl := range all {
		want[cl.name] = n
	}

	var wg sync.WaitGroup
	got := make([][]string, len(all))
	for i, cl := range all {
		wg.Go(func() {
			for range len(all) * n {
				_, m, err := cl.c.ReadMessage(ctx)
				if err != nil {
					t.Errorf("%s: ReadMessage after %d messages: %v", cl.name, len(got[i]), err)
					return
				}
				got[i] = append(got[i], string(m))
			}
		})
		wg.Go(func() {
			for k := 1; k <= n; k++ {
				if err := cl.c.WriteMessage(ctx, fastws.Text, []byte(msg(cl.name, k))); err != nil {
					t.Errorf("%s: WriteMessage: %v", cl.name, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i, cl := range all {
		checkStream(t, cl.name, got[i], want)
	}
	// Nothing more comes: no node got its own messages back.
	for _, cl := range all {
		short, cancel := context.WithTimeout(ctx, testtime.Limit(50*time.Millisecond))
		if _, m, err := cl.c.ReadMessage(short); err == nil {
			t.Errorf("%s got one message too many: %q", cl.name, m)
		}
		cancel()
	}
	for _, nd := range nds {
		others := int64((nodes - 1) * clients * n)
		waitUntil(t, nd.name+" counted its deliveries", func() bool { return nd.b.Stats().Delivered >= clients*others })
		if st := nd.b.Stats(); st.Sent != clients*n || st.Received != others || st.Delivered != clients*others || st.OwnEchoesDropped != 0 {
			t.Errorf("%s: stats %+v", nd.name, st)
		}
	}
}
