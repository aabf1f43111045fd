package edge_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand"
	"testing"

	"github.com/parleyhq/parley/edge"
	"github.com/parleyhq/parley/perception/imagequal"
)

// photo renders a check-like document (paper with ink strokes) on a dark table; blur smears it.
func photo(t testing.TB, blur int) []byte {
	const w, h = 2000, 1300
	img := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewSource(1))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetGray(x, y, color.Gray{Y: uint8(40 + rng.Intn(10))})
		}
	}
	x0, y0, x1, y1 := 200, 250, 1800, 1000
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			img.SetGray(x, y, color.Gray{Y: 225})
		}
	}
	for line := 0; line < 8; line++ {
		y := y0 + 60 + line*80
		for x := x0 + 60; x < x1-300; x += 22 + rng.Intn(12) {
			gw, gh := 6+rng.Intn(10), 18+rng.Intn(14)
			for dy := 0; dy < gh; dy++ {
				for dx := 0; dx < gw; dx++ {
					img.SetGray(x+dx, y+dy, color.Gray{Y: 30})
				}
			}
		}
	}
	src := image.Image(img)
	if blur > 0 {
		b := image.NewGray(img.Bounds())
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				s, n := 0, 0
				for dx := -blur; dx <= blur; dx++ {
					if xx := x + dx; xx >= 0 && xx < w {
						s += int(img.GrayAt(xx, y).Y)
						n++
					}
				}
				b.SetGray(x, y, color.Gray{Y: uint8(s / n)})
			}
		}
		src = b
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJudgePhoto(t *testing.T) {
	tests := []struct {
		name     string
		blur     int
		readable bool
	}{
		{"sharp", 0, true},
		{"motion blurred", 12, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := photo(t, tc.blur)
			j, err := edge.JudgePhoto(data, 0)
			if err != nil {
				t.Fatal(err)
			}
			// The device's verdict is the server's: the same code on the same bytes.
			img, _, _ := imagequal.Decode(data, 1e8)
			server := imagequal.Analyze(img).Report
			if j.Report.Readable != tc.readable || server.Readable != j.Report.Readable || server.Sharpness != j.Report.Sharpness {
				t.Fatalf("edge %+v\nserver %+v", j.Report, server)
			}
			if !tc.readable {
				if j.Upload != nil || j.Report.Instruction == "" {
					t.Fatalf("an unreadable photo would be uploaded (%d bytes) or has no advice %q", len(j.Upload), j.Report.Instruction)
				}
				return
			}
			if len(j.Upload) == 0 || len(j.Upload) > edge.MaxPhotoBytes {
				t.Fatalf("upload %d bytes", len(j.Upload))
			}
			up, _, err := imagequal.Decode(j.Upload, 1e8)
			if err != nil || up.Bounds().Dx() != imagequal.NormWidth {
				t.Fatalf("upload %v %v", up.Bounds(), err)
			}
			t.Logf("photo %d bytes -> upload %d bytes at quality %d", len(data), len(j.Upload), j.Quality)
		})
	}
	if _, err := edge.JudgePhoto([]byte("not an image"), 0); err == nil {
		t.Fatal("garbage judged")
	}
}

func TestCompressFitsTheBudget(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 800, 400))
	rng := rand.New(rand.NewSource(2))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Intn(256)) // noise: the worst case for JPEG
	}
	for _, max := range []int{400 << 10, 150 << 10} {
		b, q, err := edge.Compress(img, max)
		if err != nil || len(b) > max {
			t.Fatalf("max %d: %d bytes q%d %v", max, len(b), q, err)
		}
	}
	if _, _, err := edge.Compress(img, 1000); err != edge.ErrTooLarge {
		t.Fatalf("want ErrTooLarge, got %v", err)
	}
}

func BenchmarkJudgePhoto(b *testing.B) {
	data := photo(b, 0)
	for b.Loop() {
		if _, err := edge.JudgePhoto(data, 0); err != nil {
			b.Fatal(err)
		}
	}
}
