package interop

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fastws/fastws/internal/xconnect"
)

// TestMain runs the tests in a process whose HTTP/2 servers advertise
// extended CONNECT (the HTTP/2 tests need it), and removes the command
// built for the tests once they are done.
func TestMain(m *testing.M) {
	xconnect.Enable()
	code := m.Run()
	if cliPath != "" {
		os.RemoveAll(filepath.Dir(cliPath))
	}
	os.Exit(code)
}
