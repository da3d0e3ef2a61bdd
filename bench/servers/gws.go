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
// compressors shared by all connections. A Limit of 0 is
// ReadMaxPayloadSize 0, gws's default; the write limit stays
// MaxMessageSize whatever the read limit, so that an echo is never refused
// by the writer.
func serveGws(ln net.Listener, o Options) error {
	srv := gws.NewServer(gwsEcho{}, &gws.ServerOption{
		ReadMaxPayloadSize:  int(o.Limit),
		WriteMaxPayloadSize: MaxMessageSize,
		Logger:              quietLogger{},
		PermessageDeflate:   gws.PermessageDeflate{Enabled: o.Compress},
	})
	srv.OnError = func(net.Conn, error) {}
	return srv.RunListener(parkOnClose{ln})
}
