// Package web embeds Parley's browser clients: the customer chat at /, the agent console at
// /agent.html and the dashboard at /dashboard.html. They are plain HTML, CSS and JavaScript with no
// build step, and talk to the server only through the public HTTP API and the live WebSocket.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// FS returns the static assets, rooted so that index.html is at the top.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// The directory is embedded at build time, so this cannot fail at run time.
		panic(err)
	}
	return sub
}

// Handler serves the static assets. Mount it at "/"; it serves index.html for "/".
func Handler() http.Handler {
	files := http.FileServerFS(FS())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		// Assets are small and change with the binary; revalidate rather than cache stale code.
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
