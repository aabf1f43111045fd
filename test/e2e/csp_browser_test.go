package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/config"
)

// edgeDir returns a directory holding the edge WebAssembly: the repository's bin/edge from make
// build, or a fresh build.
func edgeDir(t *testing.T) string {
	t.Helper()
	if d, _ := filepath.Abs("../../bin/edge"); fileExists(filepath.Join(d, "parley.wasm")) && fileExists(filepath.Join(d, "wasm_exec.js")) {
		return d
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s", "-o", filepath.Join(dir, "parley.wasm"), "../../edge/wasm")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the edge WebAssembly: %v\n%s", err, out)
	}
	js, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wasm_exec.js"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestCSPInChromium serves the web client behind the guard and has Chromium open the chat,
// agent, dashboard and explorer pages: each carries the strict policy, loads (the chat page with
// its edge WebAssembly), and reports zero CSP violations; an inline script, the control, is refused.
func TestCSPInChromium(t *testing.T) {
	env := newBrowserEnv(t)
	cfg := config.Default()
	cfg.EdgeDir = edgeDir(t)
	base := startGuardedServer(t, cfg, io.Discard, "warn")
	// A conversation handed to a person gives the agent console, dashboard and explorer content.
	post := func(path, body string) map[string]any {
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	id, _ := post("/v1/conversations", `{"pack":"bank"}`)["id"].(string)
	post("/v1/conversations/"+id+"/messages", `{"text":"I want to deposit a check of $1,030.00, this is ridiculous"}`)
	post("/v1/conversations/"+id+"/handoff", `{"reason":"customer asks for a person"}`)
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.node, filepath.Join(env.scripts, "csp.mjs"))
	cmd.Dir = env.scripts
	cmd.Env = append(os.Environ(), "PARLEY_URL="+base, "PARLEY_CHROMIUM="+env.chromium)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("csp.mjs: %v\n%s", err, stderr.String())
	}
	type page struct {
		Path, CSP                   string
		Status                      int
		Console, Errors, Violations []string
		Ready                       bool
		Edge                        *bool
	}
	var rep struct {
		Pages   []page
		Control struct {
			Console, Violations []string
			InlineRan           bool
		}
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("csp.mjs report: %v\n%s", err, raw)
	}
	if len(rep.Pages) != 4 {
		t.Fatalf("%d pages in the report, want 4: %s", len(rep.Pages), raw)
	}
	for _, p := range rep.Pages {
		if p.Status != 200 || !p.Ready {
			t.Errorf("%s: status %d, ready %v", p.Path, p.Status, p.Ready)
		}
		if !strings.HasPrefix(p.CSP, "default-src 'self'") || strings.Contains(p.CSP, "unsafe-inline") {
			t.Errorf("%s: Content-Security-Policy %q", p.Path, p.CSP)
		}
		if len(p.Violations)+len(p.Console) > 0 {
			t.Errorf("%s: CSP violations %q, console %q", p.Path, p.Violations, p.Console)
		}
		if len(p.Errors) > 0 {
			t.Errorf("%s: page errors %q", p.Path, p.Errors)
		}
		if p.Path == "/" && (p.Edge == nil || !*p.Edge) {
			t.Errorf("the chat page did not load the edge WebAssembly under the policy")
		}
		t.Logf("%s: %d, no violations", p.Path, p.Status)
	}
	if rep.Control.InlineRan || len(rep.Control.Violations) == 0 {
		t.Errorf("control: an inline script ran=%v, violations %q: the watch would miss a refusal", rep.Control.InlineRan, rep.Control.Violations)
	}
}
