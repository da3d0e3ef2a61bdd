module github.com/fastws/fastws

go 1.26

require (
	github.com/hashicorp/yamux v0.1.2
	github.com/klauspost/compress v1.20.3
)
