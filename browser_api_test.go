//go:build !js

package fastws

import (
	"bytes"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The browser's build (js/wasm) replaces some of the native files with its
// own (dial_js.go and the like), so it could drift from the native API
// unnoticed: a program that compiles natively would not compile for the
// browser. Every exported identifier must exist in both builds, with the
// same type, value and method set; what the browser cannot do fails at
// run time instead.
func TestBrowserBuildHasTheNativeAPI(t *testing.T) {
	native := exportedAPI(t, runtime.GOOS, runtime.GOARCH)
	browser := exportedAPI(t, "js", "wasm")
	for name, want := range native {
		if got, ok := browser[name]; !ok {
			t.Errorf("%s is missing from the js/wasm build (native: %s)", name, want)
		} else if got != want {
			t.Errorf("%s differs in the js/wasm build:\n native: %s\njs/wasm: %s", name, want, got)
		}
	}
	for name, got := range browser {
		if _, ok := native[name]; !ok {
			t.Errorf("%s exists only in the js/wasm build: %s", name, got)
		}
	}
}

// exportedAPI describes package fastws's exported identifiers as compiled
// for goos/goarch, one line each, from the export data the go command
// writes for it: the identifier (Type.Method for methods) maps to its
// kind, type and, for constants, value.
func exportedAPI(t *testing.T, goos, goarch string) map[string]string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH: cannot compile the package for js/wasm")
	}
	cmd := exec.Command(goTool, "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}", "github.com/fastws/fastws")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("GOOS=%s GOARCH=%s go list -export: %v\n%s", goos, goarch, err, stderr.Bytes())
	}
	exports := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		path, file, _ := strings.Cut(line, "\t")
		exports[path] = file
	}
	imp := importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		if f := exports[path]; f != "" {
			return os.Open(f)
		}
		return nil, fmt.Errorf("no export data for %s", path)
	})
	pkg, err := imp.Import("github.com/fastws/fastws")
	if err != nil {
		t.Fatalf("reading the %s/%s export data: %v", goos, goarch, err)
	}
	qual := types.RelativeTo(pkg)
	api := map[string]string{}
	for _, name := range pkg.Scope().Names() {
		obj := pkg.Scope().Lookup(name)
		if !obj.Exported() {
			continue
		}
		switch obj := obj.(type) {
		case *types.Const:
			api[name] = "const " + types.TypeString(obj.Type(), qual) + " = " + obj.Val().ExactString()
		case *types.Var:
			api[name] = "var " + types.TypeString(obj.Type(), qual)
		case *types.Func:
			api[name] = types.ObjectString(obj, qual)
		case *types.TypeName:
			api[name] = "type " + describeType(obj, qual)
			for _, typ := range []types.Type{obj.Type(), types.NewPointer(obj.Type())} {
				ms := types.NewMethodSet(typ)
				for i := range ms.Len() {
					if m := ms.At(i).Obj(); m.Exported() {
						api[name+"."+m.Name()] = types.TypeString(typ, qual) + " " + types.TypeString(m.Type(), qual)
					}
				}
			}
		}
	}
	return api
}

// describeType is a type's definition, with only the exported fields of
// a struct: the unexported ones are no one's API.
func describeType(obj *types.TypeName, qual types.Qualifier) string {
	if obj.IsAlias() {
		return "= " + types.TypeString(obj.Type(), qual)
	}
	st, ok := obj.Type().Underlying().(*types.Struct)
	if !ok {
		return types.TypeString(obj.Type().Underlying(), qual)
	}
	var fields []string
	for i := range st.NumFields() {
		if f := st.Field(i); f.Exported() {
			fields = append(fields, f.Name()+" "+types.TypeString(f.Type(), qual))
		}
	}
	slices.Sort(fields)
	return "struct{" + strings.Join(fields, "; ") + "}"
}
