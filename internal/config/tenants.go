package config

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Tenants maps a tenant's name to its settings. A tenant without an entry (the embedded
// "default" one, or one that only has keys) keeps its media forever and may use every pack.
type Tenants map[string]Tenant

// Tenant is one company's settings.
type Tenant struct {
	// Retention is how long a conversation's media (photos, voice, video) are kept; the facts
	// (messages' text, observations, state) stay. Zero keeps media forever.
	Retention time.Duration `yaml:"retention"`
	// Packs limits the tenant to these knowledge packs; empty allows every pack.
	Packs []string `yaml:"packs"`
}

// Validate reports a negative or sub-minute retention, and packs not in known (when known is not
// nil).
func (t Tenants) Validate(known func(pack string) bool) error {
	var errs []error
	names := make([]string, 0, len(t))
	for n := range t {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := t[n]
		if n == "" {
			errs = append(errs, errors.New("tenants: an empty tenant name"))
		}
		if c.Retention < 0 || (c.Retention > 0 && c.Retention < time.Minute) {
			errs = append(errs, fmt.Errorf("tenants.%s.retention %v: want 0 (keep) or at least 1m", n, c.Retention))
		}
		for _, p := range c.Packs {
			if known != nil && !known(p) {
				errs = append(errs, fmt.Errorf("tenants.%s.packs: no pack %q", n, p))
			}
		}
	}
	return errors.Join(errs...)
}

// AllowsPack reports whether tenant may use pack.
func (t Tenants) AllowsPack(tenant, pack string) bool {
	c, ok := t[tenant]
	if !ok || len(c.Packs) == 0 {
		return true
	}
	for _, p := range c.Packs {
		if p == pack {
			return true
		}
	}
	return false
}
