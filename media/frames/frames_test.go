package frames_test

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
	"github.com/parleyhq/parley/media/frames"
)

// frame renders a 320x180 JPEG: a textured panel, with a lit square when on, blurred when soft.
func frame(t testing.TB, on, soft bool) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 180))
	for y := 0; y < 180; y++ {
		for x := 0; x < 320; x++ {
			v := uint8(90)
			if (x/40+y/40)%2 == 0 {
				v = 200
			}
			img.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	if on {
		draw.Draw(img, image.Rect(140, 70, 180, 110), image.NewUniform(color.RGBA{255, 30, 30, 255}), image.Point{}, draw.Src)
	}
	var src image.Image = img
	if soft {
		src = boxBlur(img, 2)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, src, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// boxBlur blurs with a (2r+1)-square box.
func boxBlur(src *image.RGBA, r int) *image.RGBA {
	dst := image.NewRGBA(src.Rect)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]int
			n := 0
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					i := src.PixOffset(min(w-1, max(0, x+dx)), min(h-1, max(0, y+dy)))
					s[0], s[1], s[2] = s[0]+int(src.Pix[i]), s[1]+int(src.Pix[i+1]), s[2]+int(src.Pix[i+2])
					n++
				}
			}
			i := dst.PixOffset(x, y)
			dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = uint8(s[0]/n), uint8(s[1]/n), uint8(s[2]/n), 255
		}
	}
	return dst
}

func video(t testing.TB, states ...string) []media.Item {
	var items []media.Item
	for i, s := range states {
		items = append(items, media.Item{Kind: media.Image, Modality: media.ModVideo, Offset: time.Duration(i) * 200 * time.Millisecond,
			Data: frame(t, s == "on" || s == "on-soft", s == "soft" || s == "on-soft")})
	}
	return append(items, media.Item{Kind: media.Audio, Modality: media.ModVideo, Name: "audio.wav"})
}

func TestSelect(t *testing.T) {
	o := frames.Options{MinFPS: 5, Max: 10, Change: 28, Every: 1}
	for _, c := range []struct {
		name   string
		states []string
		want   []time.Duration // offsets kept
	}{
		{"still scene keeps one frame a second", []string{"off", "off", "off", "off", "off", "off", "off"}, []time.Duration{0, time.Second}},
		{"a light turning on starts a stretch", []string{"off", "off", "on", "on"}, []time.Duration{0, 400 * time.Millisecond}},
		{"the sharp frame of a stretch is kept", []string{"soft", "soft", "off", "soft"}, []time.Duration{400 * time.Millisecond}},
		{"blinking keeps both states", []string{"on", "off", "on", "off"}, []time.Duration{0, 200 * time.Millisecond, 400 * time.Millisecond, 600 * time.Millisecond}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := frames.Select(video(t, c.states...), o)
			var offs []time.Duration
			for _, it := range got[:len(got)-1] {
				offs = append(offs, it.Offset)
			}
			if last := got[len(got)-1]; last.Kind != media.Audio {
				t.Fatalf("audio item not kept last: %+v", last)
			}
			if len(offs) != len(c.want) {
				t.Fatalf("kept %v, want %v", offs, c.want)
			}
			for i := range offs {
				if offs[i] != c.want[i] {
					t.Fatalf("kept %v, want %v", offs, c.want)
				}
			}
		})
	}
}

func TestSelectCapsFrames(t *testing.T) {
	var states []string
	for i := 0; i < 30; i++ {
		states = append(states, map[bool]string{true: "on", false: "off"}[i%2 == 0])
	}
	got := frames.Select(video(t, states...), frames.Options{MinFPS: 5, Max: 6, Change: 28, Every: 1})
	if len(got) != 7 {
		t.Fatalf("kept %d items, want 6 frames and the audio", len(got))
	}
	for i := 1; i < 6; i++ {
		if got[i].Offset <= got[i-1].Offset {
			t.Fatal("frames out of time order")
		}
	}
}

func TestSelectingSamplesAtLeastMinFPS(t *testing.T) {
	var asked float64
	base := func(_ context.Context, _ media.Item, _ media.Limits, fps float64) ([]media.Item, error) {
		asked = fps
		return video(t, "off", "on"), nil
	}
	items, err := frames.Selecting(base, frames.DefaultOptions())(context.Background(), media.Item{}, media.DefaultLimits(), 2)
	if err != nil || asked != frames.DefaultOptions().MinFPS || len(items) != 3 {
		t.Fatalf("fps %v, %d items, %v", asked, len(items), err)
	}
}

func TestMeasureSharpness(t *testing.T) {
	sharp, _ := jpeg.Decode(bytes.NewReader(frame(t, false, false)))
	soft, _ := jpeg.Decode(bytes.NewReader(frame(t, false, true)))
	if a, b := frames.Measure(sharp).Sharpness, frames.Measure(soft).Sharpness; a <= 2*b {
		t.Fatalf("sharp %.1f, soft %.1f", a, b)
	}
}

func BenchmarkSelect(b *testing.B) {
	var states []string
	for i := 0; i < 30; i++ {
		states = append(states, []string{"on", "off", "soft"}[i%3])
	}
	items := video(b, states...)
	b.ReportAllocs()
	for b.Loop() {
		frames.Select(items, frames.DefaultOptions())
	}
}
