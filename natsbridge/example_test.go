package natsbridge_test

import (
	"fmt"
	"log"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/hub"
	"github.com/fastws/fastws/natsbridge"
	"github.com/nats-io/nats-server/v2/server"
)

// printer stands for a WebSocket connection (a *fastws.Session is a
// hub.Subscriber too): it passes on what it is given.
type printer struct {
	node string
	got  chan string
}

func (p *printer) WritePrepared(pm *fastws.PreparedMessage) error {
	p.got <- fmt.Sprintf("%s got %q", p.node, pm.Payload())
	return nil
}

func (p *printer) next() string {
	select {
	case s := <-p.got:
		return s
	case <-time.After(10 * time.Second):
		return p.node + " got nothing"
	}
}

// Two nodes, each with its own hub, joined through a NATS server: a
// message published on one reaches the subscribers of both.
func ExampleConnect() {
	// A NATS server for the example; a program is given the URL of one.
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		log.Fatal(err)
	}
	go ns.Start()
	defer ns.WaitForShutdown()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		log.Fatal("nats-server did not start")
	}

	hubA, hubB := hub.New(), hub.New()
	a, err := natsbridge.Connect(ns.ClientURL(), hubA, &natsbridge.Options{Name: "a"})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	b, err := natsbridge.Connect(ns.ClientURL(), hubB, &natsbridge.Options{Name: "b"})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	subA := &printer{node: "a", got: make(chan string, 1)}
	subB := &printer{node: "b", got: make(chan string, 1)}
	hubA.Subscribe(subA, "lobby")
	hubB.Subscribe(subB, "lobby")

	_ = hubA.Publish("lobby", fastws.Text, []byte("hello from a"))
	fmt.Println(subA.next()) // delivered locally, during Publish
	fmt.Println(subB.next()) // through NATS
	_ = hubB.Publish("lobby", fastws.Text, []byte("hello from b"))
	fmt.Println(subB.next())
	fmt.Println(subA.next())

	_ = a.Close() // once closed, its counters are final
	st := a.Stats()
	fmt.Printf("a: sent %d, received %d, delivered %d\n", st.Sent, st.Received, st.Delivered)
	// Output:
	// a got "hello from a"
	// b got "hello from a"
	// b got "hello from b"
	// a got "hello from b"
	// a: sent 1, received 1, delivered 1
}
