// Package imagequal judges and prepares photos of documents (bank checks first): it decodes
// uploads safely with EXIF orientation applied, finds the document in the photo, corrects rotation
// and perspective, measures blur, motion, exposure, glare, contrast, resolution and framing, says in
// plain words how to retake an unreadable photo, and enhances the image for reading. It is pure Go
// (no cgo) so it builds for the browser (GOOS=js GOARCH=wasm).
package imagequal

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"

	"github.com/parleyhq/parley/media"
	"github.com/rwcarlsen/goexif/exif"
)

// ErrTruncated reports an image file that ends before its pixel data does.
var ErrTruncated = errors.New("imagequal: image file is truncated or damaged; please send the photo again")

// Decode decodes a JPEG, PNG or WebP upload after checking its declared size against maxPixels
// (media.ImageHeader), and applies the EXIF orientation so the image is upright as the camera saw
// it. Errors wrap media.ErrTooLarge, media.ErrUnsupported, media.ErrEmpty or ErrTruncated
// (which wraps media.ErrCorrupt).
func Decode(data []byte, maxPixels int64) (image.Image, string, error) {
	if _, _, err := media.ImageHeader(data, maxPixels); err != nil {
		return nil, "", err
	}
	img, format, err := media.DecodeImage(data, maxPixels)
	if err != nil {
		if errors.Is(err, media.ErrCorrupt) {
			return nil, format, fmt.Errorf("%w: %w", ErrTruncated, err)
		}
		return nil, format, err
	}
	if format == "jpeg" {
		img = orient(img, exifOrientation(data))
	}
	return img, format, nil
}

// exifOrientation returns the EXIF orientation tag (1..8), or 1 when absent or unreadable.
func exifOrientation(data []byte) (o int) {
	defer func() {
		if recover() != nil { // a malformed EXIF block must not take the upload down
			o = 1
		}
	}()
	x, err := exif.Decode(bytes.NewReader(data))
	if err != nil || x == nil {
		return 1
	}
	tag, err := x.Get(exif.Orientation)
	if err != nil {
		return 1
	}
	v, err := tag.Int(0)
	if err != nil || v < 1 || v > 8 {
		return 1
	}
	return v
}

// orient applies an EXIF orientation to img.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	src := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	dst := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			si := y*src.Stride + x*4
			di := dy*dst.Stride + dx*4
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}
