package server

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/parleyhq/parley/dialogue"
)

func (s *Server) handleBlob(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	rc, err := s.blobs.Open(r.Context(), hash)
	if err != nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such blob"))
		return
	}
	defer rc.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(rc, head)
	head = head[:n]
	ct := http.DetectContentType(head)
	if ct == "audio/wave" {
		ct = "audio/wav"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(head)
	io.Copy(w, rc)
}

func (s *Server) handlePacks(w http.ResponseWriter, r *http.Request) {
	var out []map[string]any
	for _, name := range s.packs.PackNames() {
		p, _ := s.packs.Pack(name)
		var flows []string
		for n := range p.Flows {
			flows = append(flows, n)
		}
		out = append(out, map[string]any{"name": p.Name, "title": p.Title, "greeting": p.Greeting, "flows": flows})
	}
	writeJSON(w, http.StatusOK, map[string]any{"packs": out, "default": s.cfg.DefaultPack})
}

func (s *Server) handleAsset(w http.ResponseWriter, r *http.Request) {
	p, err := s.packs.Pack(r.PathValue("pack"))
	if err != nil || p.Assets == nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such pack"))
		return
	}
	name := r.PathValue("name")
	if !fs.ValidPath(name) || strings.Contains(name, "/") {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such asset"))
		return
	}
	data, err := fs.ReadFile(p.Assets, name)
	if err != nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such asset"))
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = http.DetectContentType(data)
	}
	w.Header().Set("Content-Type", ct)
	w.Write(data)
}

func (s *Server) handleArticle(w http.ResponseWriter, r *http.Request) {
	p, err := s.packs.Pack(r.PathValue("pack"))
	if err != nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such pack"))
		return
	}
	a, ok := p.Article(r.PathValue("id"))
	if !ok {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such article"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": a.ID, "title": a.Title, "body": a.Body})
}

// handleParts shows the parts-order page: the parts named in ?order=, with prices and a total.
func (s *Server) handleParts(w http.ResponseWriter, r *http.Request) {
	p, err := s.packs.Pack(r.PathValue("pack"))
	if err != nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "no such pack"))
		return
	}
	if r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json") {
		s.partsJSON(w, p, strings.Split(r.URL.Query().Get("order"), ","))
		return
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!doctype html><meta charset=utf-8><title>Order parts</title><h1>%s — order parts</h1><table>", html.EscapeString(p.Title))
	total := 0.0
	for _, n := range strings.Split(r.URL.Query().Get("order"), ",") {
		if pt, ok := p.Part(strings.TrimSpace(n)); ok {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>", html.EscapeString(pt.Number), html.EscapeString(pt.Name), dialogue.Money(pt.Price))
			total += pt.Price
		}
	}
	fmt.Fprintf(&b, "<tr><th colspan=2 align=left>Total</th><th>%s</th></tr></table>", dialogue.Money(total))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}
