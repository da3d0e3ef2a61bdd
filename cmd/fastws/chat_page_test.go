package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/fastws/fastws/internal/leakcheck"
)

// The page and its stylesheet are served with a policy that lets only the
// page's own script run; the page builds everything from user data with
// textContent, never as HTML.
func TestChatPageServed(t *testing.T) {
	leakcheck.Check(t)
	_, addr := startServe(t, testChatConfig(), nil)
	for path, wantType := range map[string]string{"/": "text/html; charset=utf-8", "/chat.css": "text/css; charset=utf-8"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != wantType || len(body) == 0 {
			t.Errorf("%s: %s, %q, %d bytes", path, resp.Status, resp.Header.Get("Content-Type"), len(body))
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src '"+scriptHash(chatPage)+"'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
	resp, err := http.Get("http://" + addr + "/nothing-here")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("/nothing-here: %s", resp.Status)
	}
}

func TestChatPageUsesNoHTMLSinks(t *testing.T) {
	page := string(chatPage)
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "srcdoc"} {
		if strings.Contains(page, sink) {
			t.Errorf("the page uses %s", sink)
		}
	}
	// Nothing is fetched from elsewhere: every src and href is local.
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if strings.Contains(m[1], "//") {
			t.Errorf("the page loads %s", m[1])
		}
	}
	if strings.Count(page, "<script") != 1 {
		t.Error("the page must have exactly one (inline) script: the policy allows that one by its hash")
	}
}

func TestScriptHash(t *testing.T) {
	// The hash of the text between the tags, as
	// printf 'alert(1)' | openssl dgst -sha256 -binary | base64 gives it.
	if got := scriptHash([]byte("<p><script>alert(1)</script>")); got != "sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=" {
		t.Errorf("scriptHash = %s", got)
	}
}
