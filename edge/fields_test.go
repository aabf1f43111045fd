//go:build !js

package edge_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"testing"

	"github.com/parleyhq/parley/checkgen"
	"github.com/parleyhq/parley/edge"
	"github.com/parleyhq/parley/perception/check"
	"github.com/parleyhq/parley/perception/ocr"
)

// TestUploadKeepsFieldAccuracy reads generated check photos as taken and as the device uploads
// them (cropped, compressed to at most 300 KB): the server reads the same fields from both.
func TestUploadKeepsFieldAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("reads checks with Tesseract; skipped under -short")
	}
	pool, err := ocr.NewPool(1)
	if err != nil {
		t.Fatalf("OCR (libtesseract): %v", err)
	}
	defer pool.Close(context.Background())
	r := check.NewReader(pool, check.Options{})
	g := checkgen.New(12)
	const n = 6
	var up, raw int
	right := map[string][2]int{}
	for i := 0; i < n; i++ {
		truth, img := g.Generate(checkgen.Options{})
		photo, err := checkgen.Degrade(img, "photo", g.Rand())
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, photo, &jpeg.Options{Quality: 92})
		j, err := edge.JudgePhoto(buf.Bytes(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !j.Report.Readable {
			t.Logf("check %d judged unreadable on the device: %s", i, j.Report.Instruction)
			continue
		}
		raw += buf.Len()
		up += len(j.Upload)
		uploaded, err := jpeg.Decode(bytes.NewReader(j.Upload))
		if err != nil {
			t.Fatal(err)
		}
		for k, im := range []image.Image{photo, uploaded} {
			rd, err := r.Read(context.Background(), im)
			if err != nil || rd == nil {
				continue
			}
			score := func(field string, ok bool) {
				c := right[field]
				if ok {
					c[k]++
				}
				right[field] = c
			}
			score("amount", rd.Amount == truth.Amount)
			score("routing", rd.MICR != nil && rd.MICR.Routing == truth.Routing)
			score("account", rd.MICR != nil && rd.MICR.Account == truth.Account)
		}
	}
	t.Logf("%d photos, %d KB taken, %d KB uploaded; fields right [as taken, uploaded]: %v", n, raw>>10, up>>10, right)
	for f, c := range right {
		if c[1] < c[0] {
			t.Errorf("%s: %d right as taken, %d after the device's crop", f, c[0], c[1])
		}
	}
}
