package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"empty file", "", ""},
		{"valid", "addr: 127.0.0.1:9000\nlimits:\n  image_bytes: 1000\n  audio_bytes: 1\n  video_bytes: 1\n  max_pixels: 10\n", ""},
		{"unknown key", "adr: x\n", "field adr not found"},
		{"bad driver", "store:\n  driver: mysql\n", "want sqlite or postgres"},
		{"postgres without dsn", "store:\n  driver: postgres\n", "dsn is required"},
		{"bad speech", "speech:\n  reply: loud\n", "speech.reply"},
		{"bad vad", "speech:\n  vad: loud\n", "speech.vad"},
		{"silero vad", "speech:\n  vad: silero\n", ""},
		{"cloud without model", "cloud:\n  base_url: http://127.0.0.1:1/v1\n", "cloud.model"},
		{"bad webhook", "webhooks:\n  bank_core: ftp://x\n", "webhooks.bank_core"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(write(tc.yaml))
			if err == nil {
				err = c.Validate()
			}
			if tc.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	c := Default()
	env := map[string]string{"PARLEY_ADDR": ":9999", "PARLEY_DATA": "/tmp/x", "PARLEY_VIDEO_FPS": "5"}
	c.applyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if c.Addr != ":9999" || c.DataDir != "/tmp/x" || c.VideoFPS != 5 {
		t.Fatalf("%+v", c)
	}
}
