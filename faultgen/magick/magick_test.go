package magick_test

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/faultgen/magick"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/perception/display"
)

// TestGenerate renders one video of each display style and reads, from a frame ffmpeg takes out
// of each, the display the truth names.
func TestGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("renders four videos with ImageMagick and ffmpeg")
	}
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truth, err := magick.Generate(context.Background(), lib, dir, len(magick.Styles), 5, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := os.ReadFile(filepath.Join(dir, "truth.jsonl")); err != nil || strings.Count(string(raw), "\n") != len(magick.Styles) {
		t.Fatalf("truth.jsonl: %v", err)
	}
	for i, tr := range truth {
		if tr.DisplayKind != magick.Styles[i] || tr.NamesCode || strings.Contains(tr.Narration, tr.Code) {
			t.Fatalf("truth %+v", tr)
		}
		// The plate fills the first quarter; 2.0 s is the panel, lit (a blinking code is lit
		// in the first half of every second).
		still := filepath.Join(dir, tr.File+".png")
		if b, err := exec.Command("ffmpeg", "-loglevel", "error", "-ss", "1.0", "-i", filepath.Join(dir, tr.File), "-frames:v", "1", still).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v %s", err, b)
		}
		f, err := os.Open(still)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		rd, err := display.Read(img)
		want := display.SevenSegment
		if strings.HasPrefix(tr.DisplayKind, "dotmatrix") {
			want = display.DotMatrix
		}
		if err != nil || rd.Type != want {
			t.Errorf("%s (%s): read %q as %s, %v", tr.File, tr.DisplayKind, rd.Text, rd.Type, err)
			continue
		}
		t.Logf("%s %s: %q (truth %s) confidence %.2f", tr.File, tr.DisplayKind, rd.Text, tr.Code, rd.Confidence)
	}
}
