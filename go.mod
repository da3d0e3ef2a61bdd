module github.com/fastws/fastws

go 1.26

require github.com/klauspost/compress v1.20.3

require github.com/hashicorp/yamux v0.1.2
