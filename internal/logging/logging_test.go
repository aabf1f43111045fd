package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
)

func TestNewJSONLevelMaskAndRequestID(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, config.Log{Level: "warn", Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithRequestID(context.Background(), "req_abc")
	log.InfoContext(ctx, "dropped", "account", "123456789012")
	log.WarnContext(ctx, "card 4111 1111 1111 1111 declined", "account", "123456789012")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line at warn, got %q", buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("not JSON: %v: %s", err, lines[0])
	}
	if rec["msg"] != "card ••••1111 declined" || rec["account"] != "••••9012" || rec["request_id"] != "req_abc" || rec["level"] != "WARN" {
		t.Errorf("record = %v", rec)
	}
}

func TestNewText(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, config.Log{Level: "debug", Format: "text"})
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hello", "n", 123456789)
	if got := buf.String(); !strings.Contains(got, "level=DEBUG") || !strings.Contains(got, "n=••••6789") || strings.Contains(got, "request_id") {
		t.Errorf("text line = %q", got)
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	for _, c := range []config.Log{{Level: "loud"}, {Level: "info", Format: "xml"}} {
		if _, err := New(&bytes.Buffer{}, c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

func TestNewRequestID(t *testing.T) {
	a, b := NewRequestID(), NewRequestID()
	if a == b || len(a) != 28 || !strings.HasPrefix(a, "req_") {
		t.Errorf("ids %q %q", a, b)
	}
}
