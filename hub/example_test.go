package hub_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"strings"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/hub"
)

// chat puts each connection in the room its path names and sends every
// message to everyone in that room, encoded once.
type chat struct{ rooms *hub.Hub }

func (c chat) OnOpen(s *fastws.Session, req *fastws.OpenRequest) {
	room := strings.TrimPrefix(req.Path(), "/")
	s.Data = room
	c.rooms.Subscribe(s, room)
}

func (c chat) OnMessage(s *fastws.Session, typ fastws.MessageType, msg []byte) {
	_ = c.rooms.Publish(s.Data.(string), typ, msg) // copies msg once, whatever the room's size
}

func (c chat) OnClose(s *fastws.Session, _ fastws.CloseEvent) { c.rooms.UnsubscribeAll(s) }

// A one-node chat: rooms are topics, and a reader that falls behind loses
// its oldest messages instead of holding the others up or growing the
// server's memory.
func Example_chat() {
	rooms := hub.New()
	srv := fastws.NewServer(chat{rooms}, &fastws.ServerOptions{QueuePolicy: fastws.QueueDropOldest})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := func(room string) *fastws.Conn {
		c, _, err := fastws.Dial(ctx, "ws://"+ln.Addr().String()+"/"+room, nil)
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	ann, bob, eve := dial("garden"), dial("garden"), dial("kitchen")
	defer ann.CloseNow()
	defer bob.CloseNow()
	defer eve.CloseNow()
	for rooms.Subscribers("garden") < 2 || rooms.Subscribers("kitchen") < 1 {
		time.Sleep(time.Millisecond) // OnOpen runs just after the handshake
	}

	_ = ann.WriteMessage(ctx, fastws.Text, []byte("the roses are out"))
	_, msg, _ := bob.ReadMessage(ctx)
	fmt.Printf("bob reads: %s\n", msg)
	_, msg, _ = ann.ReadMessage(ctx)
	fmt.Printf("ann reads her own: %s\n", msg)
	fmt.Println(rooms.Topics())
	// Output:
	// bob reads: the roses are out
	// ann reads her own: the roses are out
	// [{garden 2} {kitchen 1}]
}
