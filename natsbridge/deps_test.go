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

// The library and the hub must not bring NATS to their users: not in
// the packages they build and not in their module graph, which is why
// this package is a module of its own. Both are asked of the root module
// alone (GOWORK=off), as a user's build sees it.
func TestLibraryDoesNotImportNATS(t *testing.T) {
	gobin, ok := goTool()
	if !ok {
		t.Skip("the go command is neither in GOROOT/bin nor on PATH: cannot list the library's dependencies")
	}
	goList := func(args ...string) []string {
		t.Helper()
		cmd := exec.Command(gobin, append([]string{"list"}, args...)...)
		cmd.Dir = ".." // the library's module root
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
		}
		return strings.Fields(string(out))
	}
	pkgs := goList("-deps", "github.com/fastws/fastws", "github.com/fastws/fastws/hub")
	if !slices.Contains(pkgs, "github.com/fastws/fastws/hub") || !slices.Contains(pkgs, "github.com/fastws/fastws") {
		t.Fatalf("go list did not list the library itself:\n%s", strings.Join(pkgs, "\n"))
	}
	mods := goList("-m", "all")
	if len(mods) == 0 || mods[0] != "github.com/fastws/fastws" {
		t.Fatalf("go list -m all did not start with the library's module:\n%s", strings.Join(mods, "\n"))
	}
	for _, p := range append(pkgs, mods...) {
		if strings.Contains(p, "nats-io") {
			t.Errorf("the library's build or module graph holds %s", p)
		}
	}
}
