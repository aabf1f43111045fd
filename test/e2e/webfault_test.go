package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/faultgen"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
)

// TestWebFaultVideo uploads a generated fault video whose narration never names the code in the
// web chat, checks that the reply names the code its display shows, opens the PDF report and the
// pre-filled order page, and places the order.
func TestWebFaultVideo(t *testing.T) {
	env := newBrowserEnv(t)
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truth, err := faultgen.Generate(t.Context(), lib, dir, faultgen.Options{N: 2, Seed: 5, Seconds: 5}, nil)
	if err != nil {
		t.Skipf("cannot make a fault video here: %v", err)
	}
	base, _ := startWebServer(t)
	tr := truth[1]
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.node, filepath.Join(env.scripts, "fault.mjs"))
	cmd.Dir = env.scripts
	cmd.Env = append(os.Environ(), "PARLEY_URL="+base, "PARLEY_CHROMIUM="+env.chromium, "PARLEY_SCREENSHOTS="+env.shots,
		"VIDEO="+filepath.Join(dir, tr.File), "EXPECT_CODE="+tr.Code)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("fault scenario failed: %v", err)
	}
}
