package e2e

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeBlocks returns the ```sh blocks of the README's walk-through section, in order.
func readmeBlocks(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	start := strings.Index(text, "## Walk through the three scenarios")
	end := strings.Index(text, "## The API")
	if start < 0 || end < start {
		t.Fatal("README has no walk-through section")
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(text[start:end], -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) < 5 {
		t.Fatalf("only %d examples in the walk-through", len(blocks))
	}
	return blocks
}

// TestReadmeExamples runs the README's walk-through, block by block, against the real binary
// serving on a loopback port, as a new user would.
func TestReadmeExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the whole walk-through; skipped under -short")
	}
	for _, tool := range []string{"bash", "curl", "jq", "espeak-ng", "ffmpeg", "tesseract"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README examples need %s (scripts/setup.sh installs it)", tool)
		}
	}
	blocks := readmeBlocks(t)
	work := t.TempDir()
	bin := filepath.Join(work, "bin", "parley")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/parley")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var serverLog bytes.Buffer
	srv := exec.Command(bin, "serve", "--addr", addr, "--data", filepath.Join(work, "data"))
	srv.Stdout, srv.Stderr = &serverLog, &serverLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	base := "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 300 {
			t.Fatalf("server did not start:\n%s", serverLog.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	script := "set -euo pipefail\n"
	for i, b := range blocks {
		script += "echo '>>> example " + string(rune('1'+i)) + "'\n" + b
	}
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PARLEY="+base)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README walk-through failed: %v\n%s\n--- server log ---\n%s", err, out, serverLog.String())
	}
	t.Logf("%s", out)
}
