package server

import "net/http"

// TenantOf names the tenant a request acts for: its key's or its staff session's, "default" on an
// open install, and "" when it carries no valid credentials. The guard in front of the server keys
// CORS lists and live-call bounds by it.
func (s *Server) TenantOf(r *http.Request) string {
	p, err := s.authenticate(r)
	if err != nil || p == nil {
		return ""
	}
	return p.Tenant
}
