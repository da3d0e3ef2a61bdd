package fastws_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"sync"
	"time"

	"github.com/fastws/fastws"
)

// echoHandler sends every message back.
type echoHandler struct{}

func (echoHandler) OnOpen(*fastws.Session, *fastws.OpenRequest) {}

func (echoHandler) OnMessage(s *fastws.Session, typ fastws.MessageType, msg []byte) {
	_ = s.WriteMessage(typ, msg) // queued, never blocks; msg is copied
}

func (echoHandler) OnClose(*fastws.Session, fastws.CloseEvent) {}

// An echo server on a listener of its own: the Server parses the
// handshake itself and runs the Handler for each connection, on event
// loops where the platform has them.
func ExampleServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a program would listen on its own address
	if err != nil {
		log.Fatal(err)
	}
	srv := fastws.NewServer(echoHandler{}, nil)
	go srv.Serve(ln)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := fastws.Dial(ctx, "ws://"+ln.Addr().String()+"/", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	_ = c.WriteMessage(ctx, fastws.Text, []byte("hello"))
	_, reply, err := c.ReadMessage(ctx)
	fmt.Printf("%s %v\n", reply, err)
	// Output: hello <nil>
}

// room broadcasts every message to every connection, including the
// sender. A write never blocks, so one slow reader cannot hold up the
// others: its queue fills, and the default policy refuses what does not
// fit (QueueDrop or QueueClose change that).
type room struct {
	mu      sync.Mutex
	members map[*fastws.Session]bool
	joined  chan string
}

func (r *room) OnOpen(s *fastws.Session, req *fastws.OpenRequest) {
	r.mu.Lock()
	r.members[s] = true
	r.mu.Unlock()
	r.joined <- req.Path()
}

func (r *room) OnMessage(_ *fastws.Session, typ fastws.MessageType, msg []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for m := range r.members {
		_ = m.WriteMessage(typ, msg)
	}
}

func (r *room) OnClose(s *fastws.Session, _ fastws.CloseEvent) {
	r.mu.Lock()
	delete(r.members, s)
	r.mu.Unlock()
}

// A broadcast to all connections, with a graceful shutdown that sends
// each of them 1001.
func ExampleServer_broadcast() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	r := &room{members: map[*fastws.Session]bool{}, joined: make(chan string, 2)}
	srv := fastws.NewServer(r, nil)
	go srv.Serve(ln)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var clients []*fastws.Conn
	for range 2 {
		c, _, err := fastws.Dial(ctx, "ws://"+ln.Addr().String()+"/lobby", nil)
		if err != nil {
			log.Fatal(err)
		}
		defer c.CloseNow()
		<-r.joined
		clients = append(clients, c)
	}
	_ = clients[0].WriteMessage(ctx, fastws.Text, []byte("hi all"))
	for i, c := range clients {
		_, msg, _ := c.ReadMessage(ctx)
		fmt.Printf("client %d got %q\n", i, msg)
	}
	_ = srv.Shutdown(ctx)
	_, _, err = clients[1].ReadMessage(ctx)
	fmt.Println(fastws.CloseStatus(err))
	// Output:
	// client 0 got "hi all"
	// client 1 got "hi all"
	// 1001 (going away)
}

// counter keeps per-connection state in Session.Data: the callbacks of
// one connection never overlap, so it needs no lock of its own.
type counter struct{ done chan int }

type connStats struct{ messages int }

func (counter) OnOpen(s *fastws.Session, _ *fastws.OpenRequest) { s.Data = &connStats{} }

func (counter) OnMessage(s *fastws.Session, _ fastws.MessageType, _ []byte) {
	st := s.Data.(*connStats)
	st.messages++
	_ = s.WriteMessage(fastws.Text, fmt.Appendf(nil, "message %d", st.messages))
}

func (h counter) OnClose(s *fastws.Session, ev fastws.CloseEvent) {
	h.done <- s.Data.(*connStats).messages
}

// A handler with per-connection user data, and the CloseEvent that says
// how the connection ended.
func ExampleSession_Data() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	h := counter{done: make(chan int, 1)}
	srv := fastws.NewServer(h, nil)
	go srv.Serve(ln)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := fastws.Dial(ctx, "ws://"+ln.Addr().String()+"/", nil)
	if err != nil {
		log.Fatal(err)
	}
	for range 3 {
		_ = c.WriteMessage(ctx, fastws.Text, []byte("ping"))
		_, reply, _ := c.ReadMessage(ctx)
		fmt.Println(string(reply))
	}
	_ = c.Close(fastws.CloseNormal, "")
	fmt.Println("server counted", <-h.done)
	// Output:
	// message 1
	// message 2
	// message 3
	// server counted 3
}
