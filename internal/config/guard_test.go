package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHardeningFileAndEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.yaml")
	yaml := "log: {level: debug, format: text}\nguard: {key: {per_second: 5, burst: 10}, live_calls: 3}\ncors: {default: [\"https://Shop.Example.com:443\"], acme: [\"*\"]}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PARLEY_LOG_FORMAT", "json")
	t.Setenv("PARLEY_RATE_ADDRESS", "7:9")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Log.Level != "debug" || c.Log.Format != "json" || c.Guard.Key != (Rate{5, 10}) || c.Guard.Address != (Rate{7, 9}) || c.Guard.LiveCalls != 3 || c.Guard.MessageParts != 10 {
		t.Errorf("hardening = %+v", c.Hardening)
	}
	if len(c.CORS["default"]) != 1 || c.CORS["acme"][0] != "*" {
		t.Errorf("cors = %v", c.CORS)
	}
}

func TestHardeningValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		env  map[string]string
		want string
	}{
		{"level", func(c *Config) { c.Log.Level = "loud" }, nil, "log.level"},
		{"format", func(c *Config) { c.Log.Format = "xml" }, nil, "log.format"},
		{"burst", func(c *Config) { c.Guard.Key = Rate{PerSecond: 3} }, nil, "guard.key"},
		{"proxy", func(c *Config) { c.Guard.TrustedProxies = []string{"10.0.0.1"} }, nil, "trusted_proxies"},
		{"origin path", func(c *Config) { c.CORS = map[string][]string{"default": {"https://a.example/x"}} }, nil, "cors.default"},
		{"env rate", func(c *Config) {}, map[string]string{"PARLEY_RATE_KEY": "fast"}, "PARLEY_RATE_KEY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.applyEnv(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want an error about %s", err, tc.want)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{"off": {}, "10": {10, 20}, "0.5": {0.5, 1}, "3:7": {3, 7}} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1", "3:0", "3:x"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{"https://shop.example.com", "http://[::1]:8080", "HTTPS://A.B:443", "https://a/b", "javascript:alert(1)", "null"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOrigin(s)
		if err != nil {
			return
		}
		again, err := ParseOrigin(o)
		if err != nil || again != o {
			t.Fatalf("ParseOrigin(%q) = %q, which parses to %q, %v", s, o, again, err)
		}
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") || strings.ContainsAny(o[8:], "/?#@ ") {
			t.Fatalf("ParseOrigin(%q) = %q", s, o)
		}
	})
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"off", "0", "10", "2.5:7", "x", "1:0", "1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if r.PerSecond < 0 || r.PerSecond > 0 && r.Burst < 1 || r.PerSecond == 0 && r.Burst != 0 {
			t.Fatalf("ParseRate(%q) = %+v", s, r)
		}
	})
}
