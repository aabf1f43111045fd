package face

import (
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/nn"
	"github.com/parleyhq/parley/perception"
)

// TestVideoUpload renders an MP4 of a face moving across the frame, expands it into frames with
// media.ExpandVideo and reads every frame with the stage: one happy face, one track throughout.
func TestVideoUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a video with ffmpeg")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	analyzer(t)
	dir := t.TempDir()
	face := loadJPEG(t, "smiling.jpg")
	for i := 0; i < 10; i++ {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%02d.png", i)))
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, frame(face, 150+15*i, 110, 230))
		f.Close()
	}
	out := filepath.Join(dir, "call.mp4")
	cmd := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-framerate", "5", "-i", filepath.Join(dir, "f%02d.png"),
		"-c:v", "mpeg4", "-q:v", "4", "-pix_fmt", "yuv420p", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	items, err := media.ExpandVideo(context.Background(), media.Item{MessageID: "v1", Kind: media.Video, Data: data}, media.DefaultLimits(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) < 9 {
		t.Fatalf("%d frames, want 10", len(items))
	}
	s, err := NewStage(nn.ModelDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		obs, err := s.Process(context.Background(), it, perception.Expectation{})
		if err != nil {
			t.Fatal(err)
		}
		if len(obs) != 1 {
			t.Fatalf("frame %d: %d faces, want 1", i, len(obs))
		}
		o := obs[0]
		if o.Text != "face 1: happy" || o.Source.Modality != media.ModVideo || o.Source.Start != it.Offset {
			t.Errorf("frame %d: %q modality %s start %s", i, o.Text, o.Source.Modality, o.Source.Start)
		}
	}
}
