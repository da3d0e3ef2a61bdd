package main

import (
	"context"
	"fmt"
	"io"

	"github.com/fastws/fastws/bench/conformance/testee"
)

// serve runs one server testee on 127.0.0.1 until ctx is done, so that it
// can be probed by hand (curl, or the fastws conformance command).
func serve(ctx context.Context, name string, stdout io.Writer) error {
	p, ok := testeeByName(name)
	if !ok || p.handler == nil {
		return fmt.Errorf("%q is not a server testee", name)
	}
	url, stop, err := testee.Listen(p.handler())
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(stdout, "%s listening on %s/ (interrupt to stop)\n", name, url)
	<-ctx.Done()
	return nil
}
