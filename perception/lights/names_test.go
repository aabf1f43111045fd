package lights_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"testing"
	"time"

	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/packs"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/lights"
)

// front renders a 1280x720 frame with a product front from x0 to x1 and, at each position of
// layout lit in lit, a light of that colour (the rest dark grey).
func front(x0, x1 int, layout []kb.Light, lit map[string]color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{170, 168, 160, 255}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(x0, 250, x1, 470), image.NewUniform(color.RGBA{232, 232, 235, 255}), image.Point{}, draw.Src)
	for _, l := range layout {
		c, ok := lit[l.Name]
		if !ok {
			c = color.RGBA{70, 70, 72, 255}
		}
		cx := x0 + int(l.X*float64(x1-x0))
		for y := -15; y <= 15; y++ {
			for x := -15; x <= 15; x++ {
				if x*x+y*y <= 225 {
					img.Set(cx+x, 340+y, c)
				}
			}
		}
	}
	return img
}

func pack(t *testing.T, name string) *kb.Pack {
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	p, err := lib.Pack(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNameByLayout(t *testing.T) {
	tel, app := pack(t, "telecom"), pack(t, "appliances")
	router := lights.Layouts(tel)[0]
	var washer []kb.Light
	for _, ls := range lights.Layouts(app) {
		if ls[0].Name == "door" {
			washer = ls
		}
	}
	for _, c := range []struct {
		name   string
		p      *kb.Pack
		layout []kb.Light
		x0, x1 int
		lit    map[string]color.RGBA
		want   []string
	}{
		{"router, all lit, front off-centre", tel, router, 60, 760, map[string]color.RGBA{"power": green, "dsl": red, "internet": green, "wifi": green}, []string{"power", "dsl", "internet", "wifi"}},
		{"router, DSL alone", tel, router, 240, 1040, map[string]color.RGBA{"dsl": red}, []string{"dsl"}},
		{"router, power and wifi", tel, router, 300, 1100, map[string]color.RGBA{"power": green, "wifi": green}, []string{"power", "wifi"}},
		{"washer, door alone", app, washer, 140, 1140, map[string]color.RGBA{"door": amber}, []string{"door"}},
		{"washer, power alone", app, washer, 140, 1140, map[string]color.RGBA{"power": green}, []string{"power"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			bs := lights.Find(front(c.x0, c.x1, c.layout, c.lit))
			lights.Name(bs, lights.Layouts(c.p))
			var got []string
			for _, b := range bs {
				got = append(got, b.Name)
			}
			if len(got) != len(c.want) {
				t.Fatalf("lights %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("lights %v, want %v", got, c.want)
				}
			}
		})
	}
}

// TestStageNamesTrackedLights runs the stage on the frames of a router whose DSL light blinks red
// and finds the tracked light named dsl, blinking, red.
func TestStageNamesTrackedLights(t *testing.T) {
	lib, err := kb.Load(packs.FS)
	if err != nil {
		t.Fatal(err)
	}
	stages, _, err := perception.Build(perception.Env{Packs: lib}, []string{lights.StageName})
	if err != nil || len(stages) != 1 {
		t.Fatal(err)
	}
	router := lights.Layouts(pack(t, "telecom"))[0]
	var frames []lights.Frame
	for i := 0; i < 10; i++ {
		lit := map[string]color.RGBA{"power": green, "internet": green, "wifi": green}
		if i%2 == 0 {
			lit["dsl"] = red
		}
		var b bytes.Buffer
		png.Encode(&b, front(240, 1040, router, lit))
		at := time.Duration(i) * 500 * time.Millisecond
		obs, err := stages[0].Process(context.Background(), media.Item{Kind: media.Image, Data: b.Bytes(), Offset: at}, perception.Expectation{Pack: "telecom"})
		if err != nil || len(obs) != 1 {
			t.Fatal(err)
		}
		frames = append(frames, lights.Frame{At: at, Blobs: obs[0].Value.([]lights.Blob)})
	}
	got := map[string]string{}
	for _, l := range lights.Track(frames) {
		got[l.Name] = l.Color + " " + l.Pattern
	}
	if got["dsl"] != "red blinking" || got["power"] != "green steady" || len(got) != 4 {
		t.Fatalf("tracked %v", got)
	}
}
