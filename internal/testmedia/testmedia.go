// Package testmedia makes test media with real tools: speech spoken by espeak-ng and decoded the
// way the server decodes uploads.
package testmedia

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/media"
)

// Speech speaks text with espeak-ng (en-us; args such as "-s", "150" are passed on) and returns it
// as 16 kHz mono PCM. The test is skipped when espeak-ng is not installed.
func Speech(t testing.TB, text string, args ...string) media.PCM {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed; it generates the test speech")
	}
	path := filepath.Join(t.TempDir(), "speech.wav")
	cmd := exec.Command("espeak-ng", append(append([]string{"-v", "en-us", "-w", path}, args...), "--stdin")...)
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := media.DecodeAudio(context.Background(), data, media.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}
