package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeCheck(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"defaults", "", ""},
		{"stages", "stages: [text.nlu, text.cues]\n", ""},
		{"unknown stage", "stages: [face.magic]\n", `unknown stage "face.magic"`},
		{"unknown key", "bogus: 1\n", "field bogus not found"},
		{"invalid value", "speech: {reply: loud}\n", "speech.reply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "parley.yaml")
			os.WriteFile(p, []byte(tc.yaml), 0o600)
			var out bytes.Buffer
			err := runServe(context.Background(), []string{"--check", "--config", p}, &out)
			switch {
			case tc.wantErr == "" && (err != nil || !strings.Contains(out.String(), "config OK")):
				t.Fatalf("err %v out %q", err, out.String())
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
		})
	}
}
