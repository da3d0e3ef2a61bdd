package servers

import (
	"net"

	"github.com/lxzan/gws"
)

// gwsEcho is gws's event API: OnMessage echoes and then gives the message
// buffer back to gws's pool.
type gwsEcho struct {
	gws.BuiltinEventHandler
}

func (gwsEcho) OnMessage(c *gws.Conn, m *gws.Message) {
	_ = c.WriteMessage(m.Opcode, m.Bytes())
	_ = m.Close()
}

// quietLogger drops gws's error log: every connection the load generator
// closes abruptly would otherwise be logged.
type quietLogger struct{}

func (quietLogger) Error(...any) {}

// serveGws uses gws.NewServer, which parses the handshake itself (without
// net/http) and runs a read loop per connection goroutine. Compressed,
// PermessageDeflate{Enabled: true} and nothing else, gws's defaults: no
// context takeover either way (ServerContextTakeover and
// ClientContextTakeover are off unless set), level 1 (BestSpeed) with
// klauspost/compress, messages under 512 bytes uncompressed, a pool of 32
// compressors shared by all connections.
func serveGws(ln net.Listener, compress bool) error {
	srv := gws.NewServer(gwsEcho{}, &gws.ServerOption{
		ReadMaxPayloadSize:  MaxMessageSize,
		WriteMaxPayloadSize: MaxMessageSize,
		Logger:              quietLogger{},
		PermessageDeflate:   gws.PermessageDeflate{Enabled: compress},
	})
	srv.OnError = func(net.Conn, error) {}
	return srv.RunListener(ln)
}
