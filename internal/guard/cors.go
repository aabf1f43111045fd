package guard

import (
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/config"
)

// corsMethods and corsHeaders are what a page on an allowed origin may use.
const (
	corsMethods = "GET, POST, PUT, PATCH, DELETE"
	corsHeaders = "Authorization, Content-Type, Idempotency-Key, X-Request-Id, Last-Event-ID"
	corsExpose  = "X-Request-Id, Retry-After"
)

// corsPolicy is the allow-list of origins per tenant.
type corsPolicy struct {
	lists map[string]map[string]bool // tenant -> canonical origins ("*" for any)
	any   map[string]bool            // every origin of every tenant: preflights carry no key
	// frameAncestors is the CSP frame-ancestors of the customer chat page.
	frameAncestors string
}

func newCORSPolicy(lists map[string][]string) *corsPolicy {
	p := &corsPolicy{lists: map[string]map[string]bool{}, any: map[string]bool{}}
	canon := map[string][]string{}
	for tenant, origins := range lists {
		set := map[string]bool{}
		for _, o := range origins {
			if o != "*" {
				c, err := config.ParseOrigin(o)
				if err != nil {
					continue // Validate reports it
				}
				o = c
			}
			set[o] = true
			p.any[o] = true
			canon[tenant] = append(canon[tenant], o)
		}
		p.lists[tenant] = set
	}
	p.frameAncestors = frameAncestorsOf(canon)
	return p
}

// allowed reports whether origin may call as tenant ("" for a preflight, which names no tenant).
func (p *corsPolicy) allowed(origin, tenant string, preflight bool) bool {
	if preflight {
		return p.any["*"] || p.any[origin]
	}
	set, ok := p.lists[tenant]
	if !ok || tenant == "" {
		set = p.lists["default"]
	}
	return set["*"] || set[origin]
}

// handle applies the policy. It answers preflights itself and refuses API calls from origins not
// on the list (a browser would hide the answer, but not stop a form post from having its effect);
// done reports that the request was answered.
func (p *corsPolicy) handle(w http.ResponseWriter, r *http.Request, tenantOf func(*http.Request) string) (done bool, why string) {
	raw := r.Header.Get("Origin")
	if raw == "" {
		return false, ""
	}
	w.Header().Add("Vary", "Origin")
	origin, err := config.ParseOrigin(raw)
	if err == nil && SameOrigin(origin, r.Host) {
		return false, ""
	}
	api := strings.HasPrefix(r.URL.Path, "/v1/")
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	ok := err == nil && p.allowed(origin, tenantOf(r), preflight)
	if preflight {
		if !ok {
			WriteError(w, r, http.StatusForbidden, "origin_not_allowed", "this site may not call the API; add its origin to cors in the server's config")
			return true, "cors preflight"
		}
		h := w.Header()
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", corsMethods)
		h.Set("Access-Control-Allow-Headers", corsHeaders)
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return true, ""
	}
	if !ok {
		if api {
			WriteError(w, r, http.StatusForbidden, "origin_not_allowed", "this site may not call the API; add its origin to cors in the server's config")
			return true, "cors origin"
		}
		return false, ""
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Access-Control-Expose-Headers", corsExpose)
	return false, ""
}

// SameOrigin reports whether a canonical origin names the host the request was sent to (its Host
// header), default ports aside.
func SameOrigin(origin, host string) bool {
	scheme, rest, ok := strings.Cut(origin, "://")
	if !ok || host == "" {
		return false
	}
	h := strings.ToLower(host)
	if scheme == "http" {
		h = strings.TrimSuffix(h, ":80")
	} else {
		h = strings.TrimSuffix(h, ":443")
	}
	return rest == h
}
