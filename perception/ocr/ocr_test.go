package ocr

import (
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// renderText renders text with ImageMagick, skipping the test when it or Tesseract is missing.
func renderText(t testing.TB, text string, size int) image.Image {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("tesseract not installed: %v", err)
	}
	if _, err := os.Stat("/usr/bin/convert"); err != nil {
		t.Skip("needs ImageMagick's /usr/bin/convert to render test text")
	}
	out := filepath.Join(t.TempDir(), "text.png")
	font := "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
	args := []string{"-size", "1200x200", "xc:white", "-fill", "black", "-pointsize", "40"}
	if _, err := os.Stat(font); err == nil {
		args = append(args, "-font", font)
	}
	args = append(args, "-annotate", "+40+120", text, out)
	if b, err := exec.Command("/usr/bin/convert", args...).CombinedOutput(); err != nil {
		t.Skipf("convert failed: %v %s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestRead(t *testing.T) {
	img := renderText(t, "Invoice 2291 paid 1,250.75", 40)
	p, err := NewPool(2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"auto", Options{}, "Invoice 2291 paid 1,250.75"},
		{"single line", Options{PSM: PSMSingleLine}, "Invoice 2291 paid 1,250.75"},
		{"digits", Options{PSM: PSMSingleLine, Whitelist: Digits + ".,"}, "2291"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := p.Read(context.Background(), img, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.Text, tc.want) {
				t.Fatalf("text %q, want it to contain %q", res.Text, tc.want)
			}
			if len(res.Words) == 0 || res.Words[0].Box.Empty() || (tc.opts.Whitelist == "" && res.Confidence <= 0.5) {
				t.Fatalf("words %+v, confidence %v", res.Words, res.Confidence)
			}
		})
	}
	// The whitelist of one read must not leak into the next.
	res, _ := p.Read(context.Background(), img, Options{PSM: PSMSingleLine})
	if !strings.Contains(res.Text, "Invoice") {
		t.Fatalf("whitelist leaked: %q", res.Text)
	}
}

func TestReadConcurrentAndSubImage(t *testing.T) {
	img := renderText(t, "DATE 11/20/2026", 40)
	p, err := NewPool(2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	sub := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(20, 60, 700, 160))
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.Read(context.Background(), sub, Options{PSM: PSMSingleLine})
			if err != nil || !strings.Contains(res.Text, "11/20/2026") {
				errs <- res.Text
				return
			}
			// Boxes are in the coordinates of the image passed in.
			if res.Words[0].Box.Min.X < 20 {
				errs <- "box not offset"
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestReadErrors(t *testing.T) {
	if err := Available(); err != nil {
		t.Skipf("tesseract not installed: %v", err)
	}
	p, err := NewPool(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Read(context.Background(), image.NewGray(image.Rect(0, 0, 0, 0)), Options{}); err != ErrEmptyImage {
		t.Errorf("empty image: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p2, _ := NewPool(1)
	p2.free <- <-p2.free // keep the slot: still one free
	<-p2.free            // take it so the next Read must wait
	if _, err := p2.Read(ctx, image.NewGray(image.Rect(0, 0, 10, 10)), Options{}); err == nil {
		t.Error("want the context's error")
	}
	p.Close(context.Background())
	if _, err := p.Read(context.Background(), image.NewGray(image.Rect(0, 0, 10, 10)), Options{}); err != ErrClosed {
		t.Errorf("closed pool: %v", err)
	}
}

func BenchmarkReadLine(b *testing.B) {
	img := renderText(b, "One thousand two hundred fifty and 75/100", 40)
	p, err := NewPool(1)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(context.Background())
	for b.Loop() {
		if _, err := p.Read(context.Background(), img, Options{PSM: PSMSingleLine}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVerifyEng rejects a model file that is not the pinned one, and a missing one.
func TestVerifyEng(t *testing.T) {
	dir := t.TempDir()
	if err := VerifyEng(dir); err == nil {
		t.Fatal("a missing model verified")
	}
	if err := os.WriteFile(filepath.Join(dir, "eng.traineddata"), []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := VerifyEng(dir); !errors.Is(err, ErrModelChecksum) {
		t.Fatalf("a modified model: %v", err)
	}
}
