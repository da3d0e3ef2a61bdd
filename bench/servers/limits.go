package servers

import (
	"github.com/fastws/fastws"
	nbws "github.com/lesismal/nbio/nbhttp/websocket"
	"github.com/lxzan/gws"
)

// DefaultLimit is a library's message limit when its user sets none, as
// the library itself computes it (read from the library at run time where
// it can be), and where that value comes from.
type DefaultLimit struct {
	Bytes  int64 // 0: no limit
	Source string
}

// DefaultLimitOf returns the default message limit of the library behind
// the server called name (one of Limited).
func DefaultLimitOf(name string) (DefaultLimit, bool) {
	switch name {
	case Fastws, FastwsHandle, FastwsLoop:
		return DefaultLimit{fastws.DefaultMaxMessageSize,
			"`ConnOptions.MaxMessageSize` 0 means `fastws.DefaultMaxMessageSize`"}, true
	case "gorilla":
		return DefaultLimit{0,
			"`Conn.SetReadLimit` not called: no limit (and the limit, when set, counts the compressed bytes on the wire, not the inflated message)"}, true
	case "gws":
		// gws fills in the zero fields of the option it is given, so its
		// unexported default can be read back.
		o := &gws.ServerOption{}
		gws.NewUpgrader(gws.BuiltinEventHandler{}, o)
		return DefaultLimit{int64(o.ReadMaxPayloadSize),
			"`ServerOption.ReadMaxPayloadSize` 0 means gws's `defaultReadMaxPayloadSize` (option.go); the inflater is bounded by it too"}, true
	case "nbio":
		return DefaultLimit{int64(nbws.NewUpgrader().MessageLengthLimit),
			"`websocket.NewUpgrader` sets `MessageLengthLimit` to `websocket.DefaultMessageLengthLimit` (0 would mean no limit); the inflated size is bounded by it too"}, true
	}
	return DefaultLimit{}, false
}
