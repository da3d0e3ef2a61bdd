module github.com/fastws/fastws/cmd/fastws

go 1.26.0

require (
	github.com/fastws/fastws v0.0.0
	github.com/fastws/fastws/natsbridge v0.0.0
	github.com/nats-io/nats-server/v2 v2.15.3
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
)

require (
	github.com/antithesishq/antithesis-sdk-go v0.9.0-default-no-op // indirect
	github.com/google/go-tpm v0.9.8 // indirect
	github.com/klauspost/compress v1.20.4 // indirect
	github.com/minio/highwayhash v1.0.4 // indirect
	github.com/nats-io/jwt/v2 v2.8.3 // indirect
	github.com/nats-io/nats.go v1.56.0 // indirect
	github.com/nats-io/nkeys v0.4.17 // indirect
	github.com/nats-io/nuid v1.0.1 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace (
	github.com/fastws/fastws => ../../
	github.com/fastws/fastws/natsbridge => ../../natsbridge
)
