package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"net/http"
)

// The chat page: plain HTML, CSS and JavaScript, embedded, with nothing
// fetched from anywhere else and no build step. The script is inline in
// index.html so that the page is one request to read.
//
//go:embed chat/index.html chat/chat.css
var chatFiles embed.FS

var (
	chatPage = mustRead("chat/index.html")
	chatCSS  = mustRead("chat/chat.css")
	// chatPolicy lets the page run its own inline script and nothing
	// else, talk to this server only, and be framed by no one: should a
	// name or a message ever reach the page as HTML, nothing in it runs.
	chatPolicy = "default-src 'none'; script-src '" + scriptHash(chatPage) + "'; style-src 'self'; " +
		"connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

func mustRead(name string) []byte {
	b, err := chatFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// scriptHash is the CSP source of the one inline script in page: the
// base64 of its SHA-256, as browsers compute it over the text between the
// tags.
func scriptHash(page []byte) string {
	_, rest, ok := bytes.Cut(page, []byte("<script>"))
	script, _, ok2 := bytes.Cut(rest, []byte("</script>"))
	if !ok || !ok2 {
		panic("chat/index.html has no inline script")
	}
	sum := sha256.Sum256(script)
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// handlePage adds the page's routes to mux.
func handlePage(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		serveStatic(w, "text/html; charset=utf-8", chatPage)
	})
	mux.HandleFunc("GET /chat.css", func(w http.ResponseWriter, _ *http.Request) {
		serveStatic(w, "text/css; charset=utf-8", chatCSS)
	})
}

func serveStatic(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Security-Policy", chatPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	// The page changes with the binary: a browser asks again each time.
	h.Set("Cache-Control", "no-cache")
	w.Write(body)
}
