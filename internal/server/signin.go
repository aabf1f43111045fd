package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/auth"
	"github.com/parleyhq/parley/store"
)

// staffPages are the web pages only staff may open once credentials exist.
var staffPages = map[string]bool{"/agent.html": true, "/dashboard.html": true, "/explorer.html": true}

// pages serves the web clients, sending anonymous visitors of the staff pages to the sign-in page.
func (s *Server) pages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if key := r.URL.Query().Get("key"); key != "" && (r.URL.Path == "/" || r.URL.Path == "/index.html") {
			s.keyCookie(w, r, key)
			return
		}
		if staffPages[r.URL.Path] {
			p, err := s.authenticate(r)
			if err != nil || !p.allows(staffAPI) {
				var ae *apiError
				if err != nil && !errors.As(err, &ae) {
					s.fail(w, r, err)
					return
				}
				w.Header().Set("Cache-Control", "no-store")
				http.Redirect(w, r, "/login.html?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
				return
			}
			w.Header().Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// keyCookie answers /?key=pk_...: a valid publishable key is kept in a cookie for the web chat's
// requests, and the browser goes on to the page without the key in its address.
func (s *Server) keyCookie(w http.ResponseWriter, r *http.Request, key string) {
	if s.access.keys == nil {
		s.fail(w, r, errUnauthorized)
		return
	}
	k, err := s.access.keys.Check(r.Context(), key)
	if err != nil || k.Kind != store.KeyPublishable {
		s.fail(w, r, errorf(http.StatusUnauthorized, "unauthorized", "the web chat takes a valid publishable key (pk_...)"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: auth.KeyCookie, Value: key, Path: "/", MaxAge: 30 * 24 * 3600,
		HttpOnly: true, Secure: secureCookies(r), SameSite: http.SameSiteStrictMode})
	q := r.URL.Query()
	q.Del("key")
	u := *r.URL
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
}

// secureCookies reports whether the request came over HTTPS (directly or through a proxy that says
// so), where cookies are marked Secure.
func secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// handleSignIn is POST /v1/auth/session {email, password}: it sets the session cookie (HttpOnly)
// and the CSRF cookie the staff pages echo in the X-CSRF-Token header.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	if s.access.staff == nil {
		s.fail(w, r, errorf(http.StatusNotFound, "not_found", "this store keeps no staff accounts"))
		return
	}
	// A JSON body cannot be sent cross-site without a CORS preflight: no sign-in CSRF.
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.fail(w, r, errorf(http.StatusUnsupportedMediaType, "json_required", "send the email and password as JSON"))
		return
	}
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	token, ss, u, err := s.access.staff.SignIn(r.Context(), req.Email, req.Password)
	if errors.Is(err, auth.ErrSignIn) {
		s.log.InfoContext(r.Context(), "staff sign-in refused", "client", r.RemoteAddr)
		s.fail(w, r, errorf(http.StatusUnauthorized, "sign_in_failed", "wrong email or password"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := &principal{Tenant: u.Tenant, Kind: kindStaff, User: u, Session: ss}
	if err := s.audit(r.Context(), p, "sign_in", "", ""); err != nil {
		s.fail(w, r, err)
		return
	}
	secure := secureCookies(r)
	maxAge := int(ss.ExpiresAt.Sub(ss.CreatedAt).Seconds())
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: auth.CSRFCookie, Value: ss.CSRF, Path: "/", MaxAge: maxAge,
		Secure: secure, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]any{"email": u.Email, "role": u.Role, "tenant": u.Tenant,
		"csrf": ss.CSRF, "expires_at": ss.ExpiresAt})
}

// handleWhoAmI is GET /v1/auth/session: who the request acts as.
func (s *Server) handleWhoAmI(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r.Context())
	out := map[string]any{"tenant": p.Tenant, "kind": p.Kind}
	if p.User != nil {
		out["email"], out["role"] = p.User.Email, p.User.Role
	}
	writeJSON(w, http.StatusOK, out)
}

// handleSignOut is DELETE /v1/auth/session: it ends the session and clears the cookies.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r.Context())
	if c, err := r.Cookie(auth.SessionCookie); err == nil && s.access.staff != nil {
		if err := s.access.staff.SignOut(r.Context(), c.Value); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	secure := secureCookies(r)
	for _, name := range []string{auth.SessionCookie, auth.CSRFCookie} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: name == auth.SessionCookie,
			Secure: secure, SameSite: http.SameSiteStrictMode})
	}
	if p.User != nil {
		s.audit(r.Context(), p, "sign_out", "", "")
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleAudit is GET /v1/audit?conversation=ID&limit=N (admin): the tenant's audit trail, newest
// first.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	if s.access.auditor == nil {
		writeJSON(w, http.StatusOK, map[string]any{"entries": []any{}})
		return
	}
	p := principalOf(r.Context())
	f := store.AuditFilter{Tenant: p.Tenant, ConversationID: r.URL.Query().Get("conversation"), Limit: 100}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.fail(w, r, errorf(http.StatusBadRequest, "bad_query", "limit must be a number from 1 to 1000"))
			return
		}
		f.Limit = n
	}
	entries, err := s.access.auditor.Audit(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}
