package natsbridge

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// goTool finds the go command, the one that runs this test first.
func goTool() (string, bool) {
	//lint:ignore SA1019 the root this test was built with is the toolchain to ask; PATH is the fallback where it moved.
	if root := runtime.GOROOT(); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	p, err := exec.LookPath("go")
	return p, err == nil
}

// The library and the hub must build without NATS: this package is in
// the root module so that it shares its version, and only stays out of
// programs that do not want it because Go compiles imported packages
// only.
func TestLibraryDoesNotImportNATS(t *testing.T) {
	gobin, ok := goTool()
	if !ok {
		t.Skip("the go command is neither in GOROOT/bin nor on PATH: cannot list the library's dependencies")
	}
	cmd := exec.Command(gobin, "list", "-deps", "github.com/fastws/fastws", "github.com/fastws/fastws/hub")
	cmd.Dir = ".." // the module root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	pkgs := strings.Fields(string(out))
	if !slices.Contains(pkgs, "github.com/fastws/fastws/hub") || !slices.Contains(pkgs, "github.com/fastws/fastws") {
		t.Fatalf("go list did not list the library itself:\n%s", out)
	}
	for _, p := range pkgs {
		if strings.Contains(p, "nats-io") {
			t.Errorf("the library depends on %s", p)
		}
	}
}
