package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOpenAINpmClient drives Parley's OpenAI-compatible endpoint with the official openai npm
// package (pinned in test/e2e/openai-client/package-lock.json, installed by `make test`).
func TestOpenAINpmClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if testing.Short() {
			t.Skip("needs Node.js")
		}
		t.Fatal("the openai client test needs Node.js (apt-get install nodejs npm)")
	}
	dir, _ := filepath.Abs("openai-client")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openai", "package.json")); err != nil {
		if testing.Short() {
			t.Skip("needs the openai npm package")
		}
		t.Fatalf("the openai npm package is not installed: run `npm ci --prefix %s` (make test does)", dir)
	}
	base, _ := startWebServer(t)
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 64, 48)))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "client.mjs"))
	cmd.Env = append(os.Environ(), "PARLEY_URL="+base, "PARLEY_PNG_B64="+base64.StdEncoding.EncodeToString(img.Bytes()))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("client.mjs: %v\n%s", err, stderr.String())
	}
	var out struct {
		Models       []string
		Conversation string
		Content      string
		Second       string
		Usage        struct{ Prompt_tokens, Completion_tokens, Total_tokens int }
		Chunks       int
		Streamed     string
		Finish       string
		StreamUsage  *struct{ Total_tokens int }
		Error        *struct {
			Status int
			Code   string
		}
		URLError *struct {
			Status int
			Code   string
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if !strings.Contains(strings.Join(out.Models, ","), "bank") {
		t.Errorf("models %v", out.Models)
	}
	if !strings.HasPrefix(out.Conversation, "c_") || out.Content == "" || out.Second == "" {
		t.Errorf("conversation %q content %q second %q", out.Conversation, out.Content, out.Second)
	}
	if u := out.Usage; u.Prompt_tokens != 13 || u.Total_tokens != u.Prompt_tokens+u.Completion_tokens || u.Completion_tokens == 0 {
		t.Errorf("usage %+v", u)
	}
	if out.Chunks < 4 || out.Finish != "stop" || !strings.Contains(strings.ToLower(out.Streamed), "open") || out.StreamUsage == nil || out.StreamUsage.Total_tokens == 0 {
		t.Errorf("stream: %d chunks, finish %q, text %q, usage %v", out.Chunks, out.Finish, out.Streamed, out.StreamUsage)
	}
	if out.Error == nil || out.Error.Status != 404 || out.Error.Code != "model_not_found" {
		t.Errorf("unknown model error %+v", out.Error)
	}
	if out.URLError == nil || out.URLError.Status != 400 || out.URLError.Code != "image_url_not_allowed" {
		t.Errorf("image URL error %+v", out.URLError)
	}
}
