package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// inputSplitter cuts stdin into messages: lines (without their \n or
// \r\n), NUL-terminated records with -0, or with -binary whatever each
// read returns (at most 64 KiB or -max-message). A last line or record
// without its terminator is a message too; an empty stdin sends nothing.
type inputSplitter struct {
	sc     *bufio.Scanner
	r      io.Reader
	chunk  []byte
	binary bool
	max    int
	n      int // messages so far, for errors that name one
}

// chunkSize bounds a -binary message read from stdin.
const chunkSize = 64 << 10

func newInputSplitter(r io.Reader, f *connectFlags) *inputSplitter {
	in := &inputSplitter{r: r, binary: f.binary, max: int(min(int64(f.maxMessage), 1<<31-1))}
	if f.binary {
		in.chunk = make([]byte, max(1, min(chunkSize, in.max)))
		return in
	}
	in.sc = bufio.NewScanner(r)
	in.sc.Buffer(make([]byte, 0, min(64<<10, in.max+1)), in.max+1)
	if f.nul {
		in.sc.Split(scanNUL)
	}
	return in
}

// next is the next message, valid until the following call, or io.EOF.
func (in *inputSplitter) next() ([]byte, error) {
	in.n++
	if in.binary {
		for {
			n, err := in.r.Read(in.chunk)
			if n > 0 {
				return in.chunk[:n], nil
			}
			if err != nil {
				return nil, stdinError(err)
			}
		}
	}
	if !in.sc.Scan() {
		if err := in.sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				return nil, fmt.Errorf("message %d of stdin is longer than -max-message (%d bytes): nothing of it was sent", in.n, in.max)
			}
			return nil, stdinError(err)
		}
		return nil, io.EOF
	}
	msg := in.sc.Bytes()
	if len(msg) > in.max {
		return nil, fmt.Errorf("message %d of stdin is longer than -max-message (%d bytes): nothing of it was sent", in.n, in.max)
	}
	if !utf8.Valid(msg) {
		return nil, fmt.Errorf("message %d of stdin is not UTF-8, which a text message must be: use -binary to send bytes as they are", in.n)
	}
	return msg, nil
}

func stdinError(err error) error {
	if err == io.EOF {
		return io.EOF
	}
	return fmt.Errorf("reading stdin: %v", innermost(err))
}

// scanNUL splits at NUL bytes, as find -print0 writes.
func scanNUL(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
