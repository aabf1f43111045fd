package label_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/label"
	"github.com/parleyhq/parley/perception/ocr"
)

func TestMatch(t *testing.T) {
	models := []string{"WM-3000", "WM-4500", "DW-500", "DW-700"}
	for _, c := range []struct {
		text, want string
		ok         bool
	}{
		{"Brightline\nModel WM-4500\n230V~ 50Hz", "WM-4500", true},
		{"MODEL: WM 3000", "WM-3000", true},
		{"Model WM-45OO", "WM-4500", true},        // O read for 0
		{"Model DW-5O0 S/N 1234", "DW-500", true}, // O for 0
		{"Model WM-4S00", "WM-4500", true},        // S for 5
		{"Model WM-4600", "WM-4500", true},        // one edit away, at lower confidence
		{"230V~ 50Hz 2100W", "", false},
		{"", "", false},
	} {
		t.Run(c.text, func(t *testing.T) {
			got, f, ok := label.Match(c.text, models)
			if got != c.want || ok != c.ok {
				t.Fatalf("Match = %q %.2f %v, want %q %v", got, f, ok, c.want, c.ok)
			}
		})
	}
}

func plate(t testing.TB, lines ...string) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 640, 360))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{150, 150, 155, 255}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(120, 70, 520, 290), image.NewUniform(color.RGBA{242, 242, 236, 255}), image.Point{}, draw.Src)
	ft, err := opentype.Parse(gobold.TTF)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(ft, &opentype.FaceOptions{Size: 30, DPI: 72})
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		d := font.Drawer{Dst: img, Src: image.NewUniform(color.RGBA{20, 20, 24, 255}), Face: face, Dot: fixed.P(145, 120+i*48)}
		d.DrawString(l)
	}
	return img
}

func TestPlate(t *testing.T) {
	box, err := label.Plate(plate(t, "Brightline", "Model WM-4500"))
	if err != nil || !box.Overlaps(image.Rect(120, 70, 520, 290)) || box.Dx() < 300 {
		t.Fatalf("plate %v %v", box, err)
	}
	blank := image.NewRGBA(image.Rect(0, 0, 320, 180))
	if _, err := label.Plate(blank); !errors.Is(err, label.ErrNoPlate) {
		t.Fatalf("blank: %v", err)
	}
}

func TestStageReadsModel(t *testing.T) {
	if err := ocr.Available(); err != nil {
		if testing.Short() {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	stages, skipped, err := perception.Build(perception.Env{}, []string{label.StageName})
	if err != nil || len(stages) != 1 {
		t.Fatalf("%v %v", skipped, err)
	}
	var b bytes.Buffer
	png.Encode(&b, plate(t, "Brightline", "Model WM-4500", "230V~ 50Hz 2100W"))
	obs, err := stages[0].Process(context.Background(), media.Item{MessageID: "m", Part: 1, Kind: media.Image, Data: b.Bytes()},
		perception.Expectation{Vocabulary: []string{"WM-3000", "WM-4500", "E21", "washer"}})
	if err != nil || len(obs) != 1 || obs[0].Kind != label.Kind || obs[0].Value != "WM-4500" || obs[0].Attachment == nil {
		t.Fatalf("%+v %v", obs, err)
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("Model WM-4500")
	f.Add("ß∂ 00 -- WM")
	f.Fuzz(func(t *testing.T, s string) {
		if m, f, ok := label.Match(s, []string{"WM-3000", "DW-500"}); ok && (m == "" || f <= 0 || f > 1) {
			t.Fatalf("%q %v", m, f)
		}
	})
}
