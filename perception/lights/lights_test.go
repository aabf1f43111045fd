package lights_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"testing"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/lights"
)

func router(lit map[int]color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 640, 360))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{180, 180, 176, 255}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(120, 130, 520, 230), image.NewUniform(color.RGBA{235, 235, 238, 255}), image.Point{}, draw.Src)
	for i := 0; i < 4; i++ {
		c, ok := lit[i]
		if !ok {
			c = color.RGBA{70, 70, 72, 255}
		}
		cx, cy := 200+i*80, 170
		for y := -8; y <= 8; y++ {
			for x := -8; x <= 8; x++ {
				if x*x+y*y <= 64 {
					img.Set(cx+x, cy+y, c)
				}
			}
		}
	}
	return img
}

var (
	green = color.RGBA{40, 220, 80, 255}
	red   = color.RGBA{240, 40, 30, 255}
	amber = color.RGBA{255, 170, 0, 255}
)

func TestFind(t *testing.T) {
	bs := lights.Find(router(map[int]color.RGBA{0: green, 1: red, 3: amber}))
	if len(bs) != 3 || bs[0].Color != "green" || bs[1].Color != "red" || bs[2].Color != "amber" {
		t.Fatalf("blobs %+v", bs)
	}
	if bs[0].X >= bs[1].X || bs[1].X >= bs[2].X {
		t.Fatalf("blobs not left to right: %+v", bs)
	}
}

func TestTrackPatterns(t *testing.T) {
	for _, c := range []struct {
		name  string
		on    func(i int) bool
		every time.Duration
		want  string
	}{
		{"steady", func(int) bool { return true }, 200 * time.Millisecond, "steady"},
		{"blinking once a second", func(i int) bool { return i%5 < 2 }, 200 * time.Millisecond, "blinking"},
		{"fast", func(i int) bool { return i%2 == 0 }, 100 * time.Millisecond, "fast"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var fs []lights.Frame
			for i := 0; i < 20; i++ {
				f := lights.Frame{At: time.Duration(i) * c.every, Blobs: []lights.Blob{{X: 0.3, Y: 0.5, Color: "green"}}}
				if c.on(i) {
					f.Blobs = append(f.Blobs, lights.Blob{X: 0.5 + 0.005*float64(i%3), Y: 0.5, Color: "red"})
				}
				fs = append(fs, f)
			}
			tr := lights.Track(fs)
			if len(tr) != 2 || tr[0].Pattern != "steady" || tr[1].Color != "red" || tr[1].Pattern != c.want {
				t.Fatalf("tracks %+v", tr)
			}
		})
	}
}

func TestStageReportsEveryFrame(t *testing.T) {
	var b bytes.Buffer
	jpeg.Encode(&b, router(nil), nil)
	obs, err := lights.Stage{}.Process(context.Background(), media.Item{Kind: media.Image, Data: b.Bytes(), Offset: time.Second}, perception.Expectation{})
	if err != nil || len(obs) != 1 || obs[0].Kind != lights.Kind || obs[0].Source.Start != time.Second {
		t.Fatalf("%+v %v", obs, err)
	}
	if bs, ok := obs[0].Value.([]lights.Blob); !ok || len(bs) != 0 {
		t.Fatalf("dark router: %+v", obs[0].Value)
	}
	if _, err := (lights.Stage{}).Process(context.Background(), media.Item{Kind: media.Image, Data: []byte{1, 2, 3}}, perception.Expectation{}); err == nil {
		t.Fatal("corrupt image accepted")
	}
}

func BenchmarkFind(b *testing.B) {
	img := router(map[int]color.RGBA{0: green, 1: red, 2: green, 3: green})
	for b.Loop() {
		lights.Find(img)
	}
}

func FuzzTrack(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6})
	f.Fuzz(func(t *testing.T, b []byte) {
		var fs []lights.Frame
		for i := 0; i+2 < len(b); i += 3 {
			fs = append(fs, lights.Frame{At: time.Duration(b[i]) * time.Millisecond * 50,
				Blobs: []lights.Blob{{X: float64(b[i+1]) / 255, Y: float64(b[i+2]) / 255, Color: []string{"red", "green"}[b[i]%2]}}})
		}
		for _, l := range lights.Track(fs) {
			if l.Lit <= 0 || l.Lit > 1 {
				t.Fatalf("lit share %v", l.Lit)
			}
		}
	})
}
