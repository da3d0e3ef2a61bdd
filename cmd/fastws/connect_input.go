package main

import (
	"bufio"
	"fmt"
	"io"
	"unicode/utf8"
)

// inputSplitter cuts stdin into messages: lines (without their \n or
// \r\n), NUL-terminated records with -0, or with -binary whatever each
// read returns (at most 64 KiB or -max-message). A last line or record
// without its terminator is a message too; an empty stdin sends nothing.
type inputSplitter struct {
	br     *bufio.Reader
	r      io.Reader
	buf    []byte
	binary bool
	delim  byte
	max    int
	n      int // records so far, for errors that name one
}

// chunkSize bounds a -binary message read from stdin.
const chunkSize = 64 << 10

// skipped is a record of stdin that cannot be sent: it is reported and
// the records after it are sent, so one bad line does not end a session.
type skipped struct {
	n   int
	why string
}

func (e *skipped) Error() string {
	return fmt.Sprintf("message %d of stdin was not sent: %s", e.n, e.why)
}

func newInputSplitter(r io.Reader, f *connectFlags) *inputSplitter {
	in := &inputSplitter{r: r, binary: f.binary, delim: '\n', max: int(min(int64(f.maxMessage), 1<<31-1))}
	switch {
	case f.binary:
		in.buf = make([]byte, max(1, min(chunkSize, in.max)))
	case f.nul:
		in.delim = 0
		fallthrough
	default:
		in.br = bufio.NewReaderSize(r, 64<<10)
	}
	return in
}

// next is the next message, valid until the following call; io.EOF at
// the end, a *skipped for a record that cannot be a message.
func (in *inputSplitter) next() ([]byte, error) {
	in.n++
	if in.binary {
		for {
			n, err := in.r.Read(in.buf)
			if n > 0 {
				return in.buf[:n], nil
			}
			if err != nil {
				return nil, stdinError(err)
			}
		}
	}
	msg, tooLong, err := in.record()
	switch {
	case err != nil:
		return nil, err
	case tooLong:
		return nil, &skipped{in.n, fmt.Sprintf("it is longer than -max-message (%d bytes)", in.max)}
	case !utf8.Valid(msg):
		return nil, &skipped{in.n, "it is not UTF-8, which a text message must be (-binary sends bytes as they are)"}
	}
	return msg, nil
}

// record reads up to the delimiter, keeping at most max+1 bytes (a
// trailing \r may still go) and reading past the rest.
func (in *inputSplitter) record() (msg []byte, tooLong bool, err error) {
	in.buf = in.buf[:0]
	read := 0
	for {
		chunk, err := in.br.ReadSlice(in.delim)
		read += len(chunk)
		data := chunk
		if err == nil {
			data = chunk[:len(chunk)-1]
		}
		if len(in.buf)+len(data) > in.max+1 {
			tooLong = true
		} else {
			in.buf = append(in.buf, data...)
		}
		switch err {
		case nil:
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if read == 0 {
				return nil, false, io.EOF
			}
		default:
			return nil, false, stdinError(err)
		}
		break
	}
	msg = in.buf
	if in.delim == '\n' && len(msg) > 0 && msg[len(msg)-1] == '\r' {
		msg = msg[:len(msg)-1]
	}
	return msg, tooLong || len(msg) > in.max, nil
}

func stdinError(err error) error {
	if err == io.EOF {
		return io.EOF
	}
	return fmt.Errorf("reading stdin: %v", innermost(err))
}
