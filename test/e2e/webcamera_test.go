package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parleyhq/parley/nn"
	"github.com/parleyhq/parley/perception/face"
	"github.com/parleyhq/parley/perception/face/facetest"
)

// cameraY4M writes the rendered face's call as a Y4M for Chromium's fake camera, 5 frames a
// second as the page samples it: five seconds at rest (the baseline), then, with frown, ten with the
// brows lowered (the same frames TestVideoCallFacialCues sends the server).
func cameraY4M(t *testing.T, frown bool) string {
	t.Helper()
	frames, err := facetest.Call(75, 25, frown)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "face.y4m")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := facetest.WriteY4M(f, frames, 5); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWebCameraConfusion plays a face through Chromium's fake camera into a live call: after its
// first seconds the face lowers its brows, the confusion meter rises, the details panel says
// "brows lowered for N s" and the next reply comes simplified and visual-first.
func TestWebCameraConfusion(t *testing.T) {
	env := newBrowserEnv(t)
	base, srv := startWebServer(t)
	needStage(t, srv, face.StageID)
	if err := nn.Installed(nn.ModelDir(), "facemesh"); err != nil {
		t.Skipf("facemesh not installed (run `parley models install`): %v", err)
	}
	env.run(t, "camera", base, map[string]string{"FAKE_VIDEO": cameraY4M(t, true), "EXPECT_AFFECT": "rise"})
}

// TestWebCameraCalm plays the same face at rest: the meters stay low and the reply style does not
// change.
func TestWebCameraCalm(t *testing.T) {
	env := newBrowserEnv(t)
	base, srv := startWebServer(t)
	needStage(t, srv, face.StageID)
	env.run(t, "camera", base, map[string]string{"FAKE_VIDEO": cameraY4M(t, false), "EXPECT_AFFECT": "calm"})
}
