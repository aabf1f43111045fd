package micr

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// FuzzRead feeds arbitrary images (decoded from fuzzed PNG bytes, or raw grey pixels) to Read and
// FindAndRead: they must return a line or an error, never panic.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	_ = png.Encode(&buf, LineImage("T111000025T 1234U0042", 2.5))
	f.Add(buf.Bytes(), uint16(40))
	f.Add([]byte{0, 255, 0, 255, 128}, uint16(3))
	f.Add(bytes.Repeat([]byte{0}, 900), uint16(30))
	f.Fuzz(func(t *testing.T, data []byte, w uint16) {
		if img, err := png.Decode(bytes.NewReader(data)); err == nil && img.Bounds().Dx()*img.Bounds().Dy() < 1<<20 {
			_, _ = Read(img)
			_, _ = FindAndRead(img)
		}
		wd := int(w%300) + 1
		if len(data) < wd || len(data) > 1<<18 {
			return
		}
		g := &image.Gray{Pix: data, Stride: wd, Rect: image.Rect(0, 0, wd, len(data)/wd)}
		_, _ = Read(g)
		_, _ = FindAndRead(g)
	})
}

func TestReadBadInput(t *testing.T) {
	for _, img := range []image.Image{nil, image.NewGray(image.Rect(0, 0, 0, 0)), image.NewGray(image.Rect(0, 0, 3, 3)), image.NewGray(image.Rect(0, 0, 200, 40))} {
		if _, err := Read(img); err == nil {
			t.Errorf("Read(%v): no error", img)
		}
		if _, err := FindAndRead(img); err == nil {
			t.Errorf("FindAndRead(%v): no error", img)
		}
	}
}
