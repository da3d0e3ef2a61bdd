module github.com/fastws/fastws/examples

go 1.26.0

require (
	github.com/fastws/fastws v0.0.0
	github.com/hashicorp/yamux v0.1.2
)

require (
	github.com/klauspost/compress v1.20.3 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/fastws/fastws => ../
