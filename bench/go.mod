module github.com/fastws/fastws/bench

go 1.26.0

require (
	github.com/coder/websocket v1.8.15
	github.com/fastws/fastws v0.0.0
	github.com/gobwas/ws v1.5.0
	github.com/gorilla/websocket v1.5.3
	github.com/lesismal/nbio v1.6.7
	github.com/lxzan/gws v1.8.9
	github.com/nats-io/nats-server/v2 v2.15.3
	golang.org/x/sys v0.50.0
)

require (
	golang.org/x/net v0.63.0
	golang.org/x/text v0.44.0 // indirect
)

require (
	github.com/antithesishq/antithesis-sdk-go v0.9.0-default-no-op // indirect
	github.com/dolthub/maphash v0.1.0 // indirect
	github.com/fastws/fastws/natsbridge v0.0.0
	github.com/gobwas/httphead v0.1.0 // indirect
	github.com/google/go-tpm v0.9.8 // indirect
	github.com/klauspost/compress v1.20.4
	github.com/lesismal/llib v1.2.2 // indirect
	github.com/minio/highwayhash v1.0.4 // indirect
	github.com/nats-io/jwt/v2 v2.8.3 // indirect
	github.com/nats-io/nats.go v1.56.0 // indirect
	github.com/nats-io/nkeys v0.4.17 // indirect
	github.com/nats-io/nuid v1.0.1 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/fastws/fastws => ../

replace github.com/fastws/fastws/natsbridge => ../natsbridge
