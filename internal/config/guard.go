package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Hardening is what protects a server in front of the world: its logs, its request limits and
// which other sites' pages may call it. Config embeds it, so its keys (log, guard, cors) sit at
// the top level of the file.
type Hardening struct {
	Log   Log   `yaml:"log"`
	Guard Guard `yaml:"guard"`
	// CORS maps a tenant to the origins (https://shop.example.com) whose pages may call the API
	// from a browser, such as the chat widget on a company's site; "default" serves every tenant
	// without a list of its own. "*" allows any origin. The server's own pages need no entry.
	CORS map[string][]string `yaml:"cors"`
	// envErr is a malformed environment setting, reported by Validate.
	envErr error
}

// Log configures the server's structured logs; numbers are always masked.
type Log struct {
	// Level is debug, info, warn or error (env PARLEY_LOG_LEVEL).
	Level string `yaml:"level"`
	// Format is json or text (env PARLEY_LOG_FORMAT).
	Format string `yaml:"format"`
}

// Guard holds the request limits; a refused request gets 429 and a Retry-After.
type Guard struct {
	// Key limits the API requests of one API key (told apart by a hash of the bearer token).
	Key Rate `yaml:"key"`
	// Address limits the API requests of one client address.
	Address Rate `yaml:"address"`
	// LiveCalls bounds the live calls one tenant holds open at once; 0 means no bound.
	LiveCalls int `yaml:"live_calls"`
	// MessageParts bounds the image, audio and video parts of one message; 0 means no bound.
	MessageParts int `yaml:"message_parts"`
	// MessageBytes bounds one message's body; 0 takes the sum of limits' part sizes and 1 MiB.
	MessageBytes int64 `yaml:"message_bytes"`
	// Idle is how long an unused key's or address's bucket is kept before it is forgotten.
	Idle time.Duration `yaml:"idle"`
	// MaxClients bounds how many keys and addresses are tracked at once, so memory stays bounded.
	MaxClients int `yaml:"max_clients"`
	// TrustedProxies lists the networks (CIDR) of reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; from anyone else they are ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// Rate is a token bucket: PerSecond tokens refill it, Burst is its size; PerSecond 0 turns it off.
type Rate struct {
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"`
}

// DefaultHardening is the hardening of a fresh install.
func DefaultHardening() Hardening {
	return Hardening{
		Log: Log{Level: "info", Format: "json"},
		Guard: Guard{
			// A key is shared by every customer of a company's widget: its bucket is the larger.
			Key:          Rate{PerSecond: 200, Burst: 400},
			Address:      Rate{PerSecond: 100, Burst: 200},
			LiveCalls:    50,
			MessageParts: 10,
			Idle:         10 * time.Minute,
			MaxClients:   100_000,
		},
	}
}

// applyEnv reads PARLEY_LOG_LEVEL, PARLEY_LOG_FORMAT, and PARLEY_RATE_KEY and PARLEY_RATE_ADDRESS
// ("20", "20:40" for per second and burst, or "off"); a malformed one is reported by Validate.
func (h *Hardening) applyEnv(lookup func(string) (string, bool)) {
	if v, ok := lookup("PARLEY_LOG_LEVEL"); ok && v != "" {
		h.Log.Level = v
	}
	if v, ok := lookup("PARLEY_LOG_FORMAT"); ok && v != "" {
		h.Log.Format = v
	}
	var errs []error
	for key, dst := range map[string]*Rate{"PARLEY_RATE_KEY": &h.Guard.Key, "PARLEY_RATE_ADDRESS": &h.Guard.Address} {
		if v, ok := lookup(key); ok && v != "" {
			r, err := ParseRate(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", key, err))
				continue
			}
			*dst = r
		}
	}
	h.envErr = errors.Join(errs...)
}

// ParseRate reads "off", "N" (N per second, burst 2N) or "N:B".
func ParseRate(s string) (Rate, error) {
	if s == "off" || s == "0" {
		return Rate{}, nil
	}
	per, burst, hasBurst := strings.Cut(s, ":")
	p, err := strconv.ParseFloat(per, 64)
	if err != nil || p < 0 || p > 1e6 {
		return Rate{}, fmt.Errorf("rate %q: want off, N or N:BURST", s)
	}
	if p == 0 {
		return Rate{}, nil
	}
	b := int(2*p + 0.5)
	if hasBurst {
		if b, err = strconv.Atoi(burst); err != nil || b < 1 {
			return Rate{}, fmt.Errorf("rate %q: the burst must be a positive whole number", s)
		}
	}
	return Rate{PerSecond: p, Burst: max(b, 1)}, nil
}

// validate reports every hardening setting that cannot work.
func (h Hardening) validate() []error {
	var errs []error
	if h.envErr != nil {
		errs = append(errs, h.envErr)
	}
	switch strings.ToLower(h.Log.Level) {
	case "debug", "info", "warn", "warning", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q: want debug, info, warn or error", h.Log.Level))
	}
	switch h.Log.Format {
	case "json", "text":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: want json or text", h.Log.Format))
	}
	g := h.Guard
	for name, r := range map[string]Rate{"guard.key": g.Key, "guard.address": g.Address} {
		if r.PerSecond < 0 || r.PerSecond > 0 && r.Burst < 1 {
			errs = append(errs, fmt.Errorf("%s: per_second must be 0 (off) or positive with a burst of at least 1", name))
		}
	}
	if g.LiveCalls < 0 || g.MessageParts < 0 || g.MessageBytes < 0 || g.MaxClients < 0 || g.Idle < 0 {
		errs = append(errs, errors.New("guard: limits cannot be negative"))
	}
	if (g.Key.PerSecond > 0 || g.Address.PerSecond > 0) && (g.Idle < time.Second || g.MaxClients < 1) {
		errs = append(errs, errors.New("guard: with rate limits on, idle must be at least 1s and max_clients at least 1"))
	}
	for _, c := range g.TrustedProxies {
		if _, _, err := net.ParseCIDR(c); err != nil {
			errs = append(errs, fmt.Errorf("guard.trusted_proxies: %q is not a CIDR network (10.0.0.0/8)", c))
		}
	}
	for tenant, origins := range h.CORS {
		for _, o := range origins {
			if _, err := ParseOrigin(o); err != nil && o != "*" {
				errs = append(errs, fmt.Errorf("cors.%s: %w", tenant, err))
			}
		}
	}
	return errs
}

// ParseOrigin checks an origin as browsers send it (scheme://host[:port], no path) and returns it
// in canonical form: lowercase scheme and host, default ports left out.
func ParseOrigin(s string) (string, error) {
	if len(s) > 253+20 {
		return "", fmt.Errorf("origin %.40q...: too long", s)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#") {
		return "", fmt.Errorf("origin %q: want scheme://host[:port] with no path, such as https://shop.example.com", s)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" || strings.ContainsAny(host, " %") {
		return "", fmt.Errorf("origin %q: bad host", s)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("origin %q: bad port", s)
		}
	}
	if port == "80" && u.Scheme == "http" || port == "443" && u.Scheme == "https" {
		port = ""
	}
	host = strings.ToLower(host)
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return strings.ToLower(u.Scheme) + "://" + host, nil
}
