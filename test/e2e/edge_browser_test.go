package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/edge"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/wire"
)

// TestEdgeWasmInChromium builds the edge WebAssembly, serves it, and has Chromium judge check photos
// with it in the chat page: the verdicts and measurements match the server's Go code on the same bytes.
func TestEdgeWasmInChromium(t *testing.T) {
	env := newBrowserEnv(t)
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s", "-o", filepath.Join(dir, "parley.wasm"), "../../edge/wasm")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the edge WebAssembly: %v\n%s", err, out)
	}
	execJS, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "wasm_exec.js"), execJS, 0o644)
	cfg := config.Default()
	cfg.DataDir, cfg.EdgeDir = t.TempDir(), dir
	s, err := server.New(t.Context(), cfg, wire.Options(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.node, filepath.Join(env.scripts, "edge.mjs"))
	cmd.Dir = env.scripts
	cmd.Env = append(os.Environ(), "PARLEY_URL="+hs.URL, "PARLEY_CHROMIUM="+env.chromium)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("edge.mjs: %v\n%s", err, stderr.String())
	}
	type verdict struct {
		MS          float64
		Readable    bool
		Instruction string
		Sharpness   float64
		Raw, Upload int
		Photo       string
	}
	var out struct {
		Loaded         bool
		Sharp, Blurred verdict
		Wasm           []struct{ Encoding, Cache string }
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %.300s", err, raw)
	}
	if !out.Loaded || len(out.Wasm) == 0 || out.Wasm[0].Encoding != "gzip" || !strings.Contains(out.Wasm[0].Cache, "immutable") {
		t.Fatalf("the page did not load the edge WebAssembly compressed and cached: %+v", out.Wasm)
	}
	if !out.Sharp.Readable || out.Sharp.Upload == 0 || out.Sharp.Upload > edge.MaxPhotoBytes {
		t.Errorf("sharp photo: %+v", out.Sharp)
	}
	if out.Blurred.Readable || out.Blurred.Upload != 0 || out.Blurred.Instruction == "" {
		t.Errorf("blurred photo would be uploaded: %+v", out.Blurred)
	}
	for name, v := range map[string]verdict{"sharp": out.Sharp, "blurred": out.Blurred} {
		photo, _ := base64.StdEncoding.DecodeString(v.Photo)
		j, err := edge.JudgePhoto(photo, 0)
		if err != nil {
			t.Fatal(err)
		}
		if j.Report.Readable != v.Readable || math.Abs(j.Report.Sharpness-v.Sharpness) > 1e-6*math.Max(1, j.Report.Sharpness) || len(j.Upload) != v.Upload {
			t.Errorf("%s: browser %v sharpness %.3f upload %d; server %v %.3f %d", name, v.Readable, v.Sharpness, v.Upload, j.Report.Readable, j.Report.Sharpness, len(j.Upload))
		}
		t.Logf("%s: %d bytes taken, %d bytes up, judged in %.0f ms in Chromium", name, v.Raw, v.Upload, v.MS)
	}
}
