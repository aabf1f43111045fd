package display_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"os/exec"
	"strings"
	"testing"

	"github.com/parleyhq/parley/faultgen"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/display"
)

// panel renders a 640x360 appliance panel with text on a dark display window.
func panel(text string, h int, c, ghost color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 640, 360))
	draw.Draw(img, img.Rect, image.NewUniform(color.RGBA{214, 214, 210, 255}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(150, 90, 500, 110+h+20), image.NewUniform(color.RGBA{24, 24, 26, 255}), image.Point{}, draw.Src)
	faultgen.DrawSevenSeg(img, text, 180, 110, h, c, ghost)
	return img
}

// blur is a box blur of radius r.
func blur(src *image.RGBA, r int) *image.RGBA {
	dst := image.NewRGBA(src.Rect)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s [3]int
			n := 0
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					xx, yy := min(w-1, max(0, x+dx)), min(h-1, max(0, y+dy))
					i := src.PixOffset(xx, yy)
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

func viaJPEG(t testing.TB, img image.Image, q int) image.Image {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReadSevenSegmentCodes(t *testing.T) {
	red := color.RGBA{255, 48, 48, 255}
	green := color.RGBA{48, 224, 96, 255}
	amber := color.RGBA{255, 176, 0, 255}
	blue := color.RGBA{64, 192, 255, 255}
	ghost := color.RGBA{40, 14, 14, 255}
	for _, c := range []struct {
		name, text string
		h          int
		col, ghost color.Color
		blur       int
		jpegQ      int
		glare      bool
	}{
		{"red F05", "F05", 100, red, nil, 0, 0, false},
		{"green E21", "E21", 90, green, nil, 0, 0, false},
		{"amber E24 jpeg", "E24", 80, amber, nil, 0, 60, false},
		{"blue E09 with ghost segments", "E09", 100, blue, ghost, 0, 0, false},
		{"red E10 blurred", "E10", 100, red, ghost, 2, 75, false},
		{"small H20", "H20", 44, red, nil, 0, 80, false},
		{"four characters 1-23", "1-23", 70, green, nil, 0, 0, false},
		{"every digit 8", "88", 100, red, nil, 1, 0, false},
		{"C and U", "CU4", 90, amber, nil, 0, 0, false},
		{"E10 under glare: halves of 1 and 0 join", "E10", 100, green, ghost, 0, 80, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := panel(c.text, c.h, c.col, c.ghost)
			if c.glare {
				// a lamp's reflection over the first character
				for y := 100; y < 230; y++ {
					for x := 150; x < 280; x++ {
						d := float64((x-205)*(x-205)+(y-170)*(y-170)) / (65 * 65)
						if d < 1 {
							i := p.PixOffset(x, y)
							for k := 0; k < 3; k++ {
								p.Pix[i+k] = uint8(float64(p.Pix[i+k]) + (255-float64(p.Pix[i+k]))*0.55*(1-d))
							}
						}
					}
				}
			}
			var img image.Image = p
			if c.blur > 0 {
				img = blur(img.(*image.RGBA), c.blur)
			}
			if c.jpegQ > 0 {
				img = viaJPEG(t, img, c.jpegQ)
			}
			rd, err := display.Read(img)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.EqualFold(rd.Text, c.text) {
				t.Fatalf("read %q, want %q (%+v)", rd.Text, c.text, rd.Chars)
			}
			if len(rd.Chars) != len(c.text) || rd.Confidence < 0.5 {
				t.Fatalf("chars %+v confidence %.2f", rd.Chars, rd.Confidence)
			}
			for _, ch := range rd.Chars {
				if ch.Confidence <= 0 || ch.Confidence > 1 {
					t.Errorf("char %q confidence %v", ch.Char, ch.Confidence)
				}
			}
		})
	}
}

func TestNoDisplay(t *testing.T) {
	for _, c := range []struct {
		name string
		img  image.Image
	}{
		{"grey", image.NewUniform(color.RGBA{128, 128, 128, 255})},
		{"tiny", image.NewRGBA(image.Rect(0, 0, 8, 8))},
		{"a red disc is not a display", func() image.Image {
			m := panel("", 80, nil, nil)
			for y := 0; y < 20; y++ {
				for x := 0; x < 20; x++ {
					if (x-10)*(x-10)+(y-10)*(y-10) < 80 {
						m.Set(300+x, 150+y, color.RGBA{255, 40, 40, 255})
					}
				}
			}
			return m
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := c.img
			if u, ok := img.(*image.Uniform); ok {
				m := image.NewRGBA(image.Rect(0, 0, 320, 180))
				draw.Draw(m, m.Rect, u, image.Point{}, draw.Src)
				img = m
			}
			if rd, err := display.Read(img); !errors.Is(err, display.ErrNoDisplay) {
				t.Fatalf("read %q, %v; want ErrNoDisplay", rd.Text, err)
			}
		})
	}
}

func TestMatchCode(t *testing.T) {
	known := []string{"E10", "E21", "F05", "E24"}
	chars := func(s string, conf ...float64) display.Reading {
		rd := display.Reading{Text: s, Confidence: 0.9}
		for i, c := range s {
			cf := 0.95
			if i < len(conf) {
				cf = conf[i]
			}
			rd.Chars = append(rd.Chars, display.Char{Char: string(c), Confidence: cf})
		}
		return rd
	}
	for _, c := range []struct {
		name  string
		rd    display.Reading
		known []string
		want  string
		ok    bool
	}{
		{"exact", chars("F05"), known, "F05", true},
		{"case", chars("e21"), known, "E21", true},
		{"one unsure char", chars("E2A", 0.9, 0.9, 0.1), known, "E21", true},
		{"one sure wrong char, at low confidence", chars("E27"), known, "E21", true},
		{"two wrong chars", chars("E87"), known, "", false},
		{"length differs", chars("E210"), known, "", false},
		{"no vocabulary, looks like a code", chars("H20"), nil, "H20", true},
		{"no vocabulary, not a code", chars("88"), nil, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, conf, ok := display.MatchCode(c.rd, c.known)
			if got != c.want || ok != c.ok || (ok && (conf <= 0 || conf > 1)) || (ok && got != strings.ToUpper(c.rd.Text) && conf >= c.rd.Confidence) {
				t.Fatalf("MatchCode = %q %.2f %v, want %q %v", got, conf, ok, c.want, c.ok)
			}
		})
	}
}

func TestStageReportsCodeWithCropAndFrameTime(t *testing.T) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, panel("F05", 100, color.RGBA{255, 48, 48, 255}, nil), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	item := media.Item{Kind: media.Image, Modality: media.ModVideo, Data: b.Bytes(), Offset: 2500_000_000}
	obs, err := display.Stage{}.Process(context.Background(), item, perception.Expectation{Vocabulary: []string{"F05", "E21", "washer"}})
	if err != nil {
		t.Fatal(err)
	}
	var code *perception.Observation
	for i := range obs {
		if obs[i].Kind == perception.KindEntity {
			code = &obs[i]
		}
	}
	if code == nil || code.Slot != "error_code" || code.Value != "F05" {
		t.Fatalf("observations %+v", obs)
	}
	if code.Source.Start.Seconds() != 2.5 || code.Source.Region == nil || code.Attachment == nil || !bytes.HasPrefix(code.Attachment.Data, []byte("\x89PNG")) {
		t.Fatalf("source %+v attachment %v", code.Source, code.Attachment != nil)
	}
	if _, err := (display.Stage{}).Process(context.Background(), media.Item{Kind: media.Image, Data: []byte("not an image")}, perception.Expectation{}); err == nil {
		t.Fatal("corrupt image accepted")
	}
}

// TestAgainstSsocr compares the reader with Debian's ssocr on the same rendered displays.
func TestAgainstSsocr(t *testing.T) {
	if _, err := exec.LookPath("ssocr"); err != nil {
		if testing.Short() {
			t.Skip("ssocr not installed")
		}
		t.Fatal("ssocr not installed (apt-get install ssocr)")
	}
	codes := []string{"E21", "F05", "E10", "E24", "E15", "E32", "E43", "F18"}
	ours, theirs := 0, 0
	for _, code := range codes {
		img := panel(code, 100, color.RGBA{255, 48, 48, 255}, nil)
		if rd, err := display.Read(img); err == nil && rd.Text == code {
			ours++
		}
		if got, err := display.Ssocr(context.Background(), img, len(code)); err == nil && strings.EqualFold(got, code) {
			theirs++
		}
	}
	t.Logf("exact readings: display.Read %d/%d, ssocr %d/%d", ours, len(codes), theirs, len(codes))
	if ours < theirs || ours != len(codes) {
		t.Fatalf("display.Read %d/%d, ssocr %d/%d", ours, len(codes), theirs, len(codes))
	}
}

func BenchmarkRead(b *testing.B) {
	img := viaJPEG(b, panel("E21", 100, color.RGBA{255, 48, 48, 255}, color.RGBA{40, 14, 14, 255}), 80)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := display.Read(img); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add(uint8(40), uint8(30), []byte{255, 0, 0, 0, 255, 0})
	f.Fuzz(func(t *testing.T, w, h uint8, pix []byte) {
		img := image.NewRGBA(image.Rect(0, 0, int(w), int(h)))
		for i := range img.Pix {
			if len(pix) > 0 {
				img.Pix[i] = pix[i%len(pix)]
			}
		}
		rd, err := display.Read(img)
		if err == nil && len(rd.Chars) != len(rd.Text) {
			t.Fatalf("text %q, %d chars", rd.Text, len(rd.Chars))
		}
	})
}
