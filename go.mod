module github.com/fastws/fastws

go 1.26.0

require github.com/klauspost/compress v1.20.4

require golang.org/x/sys v0.50.0

require (
	golang.org/x/net v0.63.0
	golang.org/x/text v0.44.0 // indirect
)
