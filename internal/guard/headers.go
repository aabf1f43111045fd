package guard

import (
	"net/http"
	"sort"
	"strings"
)

// ContentSecurityPolicy is sent with every response. Scripts and styles come only from the
// server's own files (no inline script, style attribute or eval); the edge WebAssembly needs
// 'wasm-unsafe-eval'; photos, recordings and spoken replies play from blob: and data: URLs; live
// calls and events connect back to the same origin. The customer chat page may be framed by the
// sites in the CORS lists; no other page may be framed at all.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' blob: data:; media-src 'self' blob: data:; connect-src 'self'; worker-src 'self' blob:; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"

// secure sets the security headers of every response.
func (g *Guard) secure(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	frame := "'none'"
	if r.URL.Path == "/" || r.URL.Path == "/index.html" {
		frame = g.cors.frameAncestors
	}
	h.Set("Content-Security-Policy", ContentSecurityPolicy+"; frame-ancestors "+frame)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(self), microphone=(self), geolocation=(), payment=()")
	if frame == "'none'" {
		h.Set("X-Frame-Options", "DENY")
	}
	if g.overTLS(r) {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
}

// overTLS reports whether the client reached us over HTTPS: directly, or through a trusted proxy
// that says so in X-Forwarded-Proto.
func (g *Guard) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = strings.Trim(host[:i], "[]")
	}
	return g.trusted(host) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// frameAncestorsOf lists 'self' and every origin allowed to call the API.
func frameAncestorsOf(lists map[string][]string) string {
	seen := map[string]bool{}
	for _, os := range lists {
		for _, o := range os {
			seen[o] = true
		}
	}
	if seen["*"] {
		return "'self' https:"
	}
	parts := []string{"'self'"}
	var extra []string
	for o := range seen {
		extra = append(extra, o)
	}
	sort.Strings(extra)
	return strings.Join(append(parts, extra...), " ")
}
