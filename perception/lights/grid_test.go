package lights_test

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/parleyhq/parley/faultgen"
	"github.com/parleyhq/parley/perception/lights"
)

// TestDotMatrixIsNotLights checks that the lit dots of a dot-matrix display beside an indicator
// light are not taken for lights, and the light still is.
func TestDotMatrixIsNotLights(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{214, 214, 210, 255}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(300, 150, 980, 400), image.NewUniform(color.RGBA{24, 24, 26, 255}), image.Point{}, draw.Src)
	faultgen.DrawDotMatrix(img, "E21", 400, 180, 20, true, color.RGBA{255, 60, 40, 255}, nil)
	bs := lights.Find(img)
	if len(bs) != 0 {
		t.Fatalf("dot-matrix dots taken for %d lights: %+v", len(bs), bs)
	}
	for y := 540; y < 568; y++ {
		for x := 186; x < 214; x++ {
			if (x-200)*(x-200)+(y-554)*(y-554) <= 14*14 {
				img.Set(x, y, color.RGBA{255, 170, 0, 255})
			}
		}
	}
	bs = lights.Find(img)
	if len(bs) != 1 || bs[0].Color != "amber" {
		t.Fatalf("want the one amber light, got %+v", bs)
	}
}
