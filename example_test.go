package fastws_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/rpc"
	"strings"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/wsframe"
)

// An echo server on net/http, and a client that sends a message and reads
// the echo. The README quotes this example.
func Example() {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		c, err := fastws.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade has answered the client (403, 426, ...)
		}
		defer c.CloseNow()
		ctx := r.Context()
		for {
			typ, msg, err := c.ReadMessage(ctx)
			if err != nil {
				return // the peer closed (a *fastws.CloseError) or broke the protocol
			}
			if err := c.WriteMessage(ctx, typ, msg); err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(mux) // a program would call http.ListenAndServe("127.0.0.1:8080", mux)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/echo"

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := fastws.Dial(ctx, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.WriteMessage(ctx, fastws.Text, []byte("hello")); err != nil {
		log.Fatal(err)
	}
	_, reply, err := c.ReadMessage(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", reply)
	if err := c.Close(fastws.CloseNormal, "bye"); err != nil {
		log.Fatal(err)
	}
	// Output: hello
}

// AppendMessage reads into a buffer the caller keeps, so a connection
// that echoes allocates nothing per message.
func ExampleConn_AppendMessage() {
	server, client := connectedPair()
	go func() {
		ctx := context.Background()
		var buf []byte
		for {
			typ, msg, err := server.AppendMessage(ctx, buf[:0])
			if err != nil {
				return
			}
			if err := server.WriteMessage(ctx, typ, msg); err != nil {
				return
			}
			buf = msg // reuse the grown buffer for the next message
		}
	}()
	ctx := context.Background()
	client.WriteMessage(ctx, fastws.Binary, []byte{1, 2, 3})
	_, msg, err := client.ReadMessage(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msg)
	client.Close(fastws.CloseNormal, "")
	// Output: [1 2 3]
}

// Accept serves WebSocket on a raw listener, with fastws's own
// allocation-free request parser instead of net/http.
func ExampleAccept() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c, err := fastws.Accept(nc, &fastws.AcceptOptions{Subprotocols: []string{"greeting.v1"}})
				if err != nil {
					return
				}
				c.WriteMessage(context.Background(), fastws.Text, []byte("hello, "+c.Subprotocol()))
				c.Close(fastws.CloseNormal, "")
			}()
		}
	}()

	c, _, err := fastws.Dial(context.Background(), "ws://"+ln.Addr().String(), &fastws.DialOptions{Subprotocols: []string{"greeting.v1"}})
	if err != nil {
		log.Fatal(err)
	}
	_, msg, _ := c.ReadMessage(context.Background())
	fmt.Println(string(msg))
	_, _, err = c.ReadMessage(context.Background())
	fmt.Println(fastws.CloseStatus(err))
	// Output:
	// hello, greeting.v1
	// 1000 (normal closure)
}

// The raw frame API shows frames as they are on the wire, FIN included.
func ExampleConn_ReadFrame() {
	server, client := connectedPair()
	ctx := context.Background()
	go func() {
		client.WriteFrame(ctx, fastws.Frame{Opcode: wsframe.OpText, Payload: []byte("Hel")})
		client.WriteFrame(ctx, fastws.Frame{Fin: true, Opcode: wsframe.OpContinuation, Payload: []byte("lo")})
	}()
	for i := 0; i < 2; i++ {
		f, err := server.ReadFrame(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%v fin=%v %q\n", f.Opcode, f.Fin, f.Payload)
	}
	// Output:
	// text fin=false "Hel"
	// continuation fin=true "lo"
}

// NextWriter and NextReader stream a message of any size in constant memory.
func ExampleConn_NextWriter() {
	server, client := connectedPair()
	ctx := context.Background()
	go func() {
		w, _ := client.NextWriter(ctx, fastws.Binary)
		io.Copy(w, strings.NewReader(strings.Repeat("x", 1<<20)))
		w.Close()
	}()
	_, r, err := server.NextReader(ctx)
	if err != nil {
		log.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, r)
	fmt.Println(n)
	// Output: 1048576
}

// connectedPair returns a server and a client connected over loopback.
func connectedPair() (server, client *fastws.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan *fastws.Conn)
	go func() {
		nc, _ := ln.Accept()
		c, _ := fastws.Accept(nc, nil)
		accepted <- c
	}()
	client, _, err = fastws.Dial(context.Background(), "ws://"+ln.Addr().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	return <-accepted, client
}

// A line protocol over a WebSocket: the stream is a net.Conn, so
// bufio.Scanner and fmt.Fprintf work on it as on TCP.
func ExampleNewStream() {
	server, client := connectedPair()
	go func() {
		s := fastws.NewStream(server, fastws.Text, nil)
		sc := bufio.NewScanner(s)
		for sc.Scan() {
			fmt.Fprintf(s, "echo: %s\n", sc.Text())
		}
		s.Close()
	}()
	s := fastws.NewStream(client, fastws.Text, nil)
	fmt.Fprintln(s, "hello")
	fmt.Fprintln(s, "world")
	sc := bufio.NewScanner(s)
	for i := 0; i < 2 && sc.Scan(); i++ {
		fmt.Println(sc.Text())
	}
	s.Close()
	// Output:
	// echo: hello
	// echo: world
}

// Calc is a net/rpc service for the example.
type Calc struct{}

// Add adds two numbers.
func (Calc) Add(args [2]int, sum *int) error { *sum = args[0] + args[1]; return nil }

// net/rpc over a WebSocket stream.
func ExampleNewStream_rpc() {
	server, client := connectedPair()
	srv := rpc.NewServer()
	srv.Register(Calc{})
	go srv.ServeConn(fastws.NewStream(server, fastws.Binary, nil))

	c := rpc.NewClient(fastws.NewStream(client, fastws.Binary, nil))
	var sum int
	if err := c.Call("Calc.Add", [2]int{2, 40}, &sum); err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum)
	c.Close()
	// Output: 42
}

// The reader/writer split: one goroutine reads while others write.
func ExampleConn_splitReaderWriters() {
	server, client := connectedPair()
	go func() { // the server echoes, reading in one goroutine
		ctx := context.Background()
		for {
			typ, msg, err := server.ReadMessage(ctx)
			if err != nil {
				return
			}
			server.WriteMessage(ctx, typ, msg)
		}
	}()
	ctx := context.Background()
	done := make(chan int)
	go func() { // the client's only reader
		n := 0
		for n < 3 {
			if _, _, err := client.ReadMessage(ctx); err != nil {
				break
			}
			n++
		}
		done <- n
	}()
	for i := 0; i < 3; i++ { // writers from any goroutine
		go client.WriteMessage(ctx, fastws.Text, []byte("hi"))
	}
	fmt.Println(<-done, "echoes")
	client.Close(fastws.CloseNormal, "")
	// Output: 3 echoes
}

// HandleMessages serves a connection with a handler per message; on a
// socket the handler runs from inside the connection's wait on the poller.
// The message is valid until the handler returns.
func ExampleConn_HandleMessages() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c, err := fastws.Accept(nc, nil)
		if err != nil {
			return
		}
		ctx := context.Background()
		served <- c.HandleMessages(ctx, func(typ fastws.MessageType, msg []byte) error {
			return c.WriteMessage(ctx, typ, []byte(strings.ToUpper(string(msg))))
		})
	}()

	ctx := context.Background()
	c, _, err := fastws.Dial(ctx, "ws://"+ln.Addr().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, word := range []string{"one", "two"} {
		c.WriteMessage(ctx, fastws.Text, []byte(word))
		_, msg, _ := c.ReadMessage(ctx)
		fmt.Println(string(msg))
	}
	c.Close(fastws.CloseNormal, "done")
	fmt.Println(<-served)
	// Output:
	// ONE
	// TWO
	// fastws: peer closed the connection: 1000 (normal closure): done
}

// One MemoryBudget shared by every connection of a server bounds what
// their messages in progress hold together; a connection whose message
// would pass it is closed with 1013 (try again later).
func ExampleMemoryBudget() {
	budget := fastws.NewMemoryBudget(256 << 20)
	opts := &fastws.AcceptOptions{ConnOptions: fastws.ConnOptions{MemoryBudget: budget}}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := fastws.Upgrade(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		_ = c.HandleMessages(r.Context(), func(typ fastws.MessageType, msg []byte) error {
			return c.WriteMessage(r.Context(), typ, msg)
		})
	})
	// A program serves mux, and can export the budget's figures:
	fmt.Println(budget.Limit()>>20, "MiB, in use:", budget.InUse(), "refused:", budget.Refused())
	// Output: 256 MiB, in use: 0 refused: 0
}

// A heartbeat. An idle WebSocket is normal, so fastws has no idle timeout
// once the handshake is done; a server that wants to notice a peer that
// vanished without closing pings it on a timer, and gives up on the
// connection when a pong does not come in time. Ping needs a reader
// running (here HandleMessages), which is what sees the pong.
func ExampleConn_Ping() {
	const interval, timeout = 20 * time.Millisecond, 5 * time.Second // a server would use about 30 s and 10 s
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := fastws.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		go func() {
			_ = c.HandleMessages(context.Background(), func(fastws.MessageType, []byte) error { return nil })
		}()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for i := 1; i <= 3; i++ { // a server would loop until the connection ends
			<-tick.C
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			err := c.Ping(ctx, []byte("hb"))
			cancel()
			if err != nil {
				return // no pong in time: the deferred CloseNow drops the peer
			}
			fmt.Println("pong", i)
		}
		_ = c.Close(fastws.CloseGoingAway, "done")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := fastws.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	// The client's read answers each ping with a pong as it goes.
	_, _, err = c.ReadMessage(ctx)
	fmt.Println("client:", fastws.CloseStatus(err))
	// Output:
	// pong 1
	// pong 2
	// pong 3
	// client: 1001 (going away)
}
