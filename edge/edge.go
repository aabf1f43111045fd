// Package edge is the first recognition that runs on the customer's device: the same pure-Go
// stages as the server, compiled to WebAssembly (cmd/parley-edge) for the web chat. A check photo is
// judged before upload, so retake advice appears at once and an unreadable photo never leaves the
// device; a readable one is cropped to the document and compressed to what reading needs. During a
// video call faces are read on the device (Face) and only the expression scores (with a small,
// rare thumbnail) go up; speech is detected on the device (Speech) and only speech segments go up,
// each with how it was said (Prosody: pitch, loudness, rate, agitation) as scores.
package edge

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/parleyhq/parley/perception/imagequal"
)

// MaxPhotoBytes is what a check photo may weigh on its way up.
const MaxPhotoBytes = 300 << 10

// maxPixels bounds the photos the device decodes.
const maxPixels = 50_000_000

// ErrTooLarge: even the lowest quality does not fit the byte budget.
var ErrTooLarge = errors.New("edge: the document does not compress to the byte budget")

// Judgement is the device's verdict on a photo: the quality report and, when readable, the cropped
// and compressed document to upload.
type Judgement struct {
	Report imagequal.Report `json:"report"`
	// Upload is the JPEG of the rectified document (nil when the photo must be retaken).
	Upload []byte `json:"-"`
	// Quality is the JPEG quality used; RawBytes the photo's size as taken.
	Quality  int `json:"quality,omitempty"`
	RawBytes int `json:"raw_bytes"`
}

// JudgePhoto decodes a photo, measures it as the server does and, when it is readable, returns
// the document cropped, upright and compressed to at most maxBytes (MaxPhotoBytes when 0).
func JudgePhoto(data []byte, maxBytes int) (Judgement, error) {
	if maxBytes <= 0 {
		maxBytes = MaxPhotoBytes
	}
	img, _, err := imagequal.Decode(data, maxPixels)
	if err != nil {
		return Judgement{}, fmt.Errorf("edge: %w", err)
	}
	a := imagequal.Analyze(img)
	j := Judgement{Report: a.Report, RawBytes: len(data)}
	if !a.Report.Readable {
		return j, nil
	}
	j.Upload, j.Quality, err = Compress(a.Document, maxBytes)
	return j, err
}

// Compress encodes img as JPEG at the highest quality (from 90 down to 40) that fits maxBytes.
func Compress(img image.Image, maxBytes int) ([]byte, int, error) {
	var buf bytes.Buffer
	for q := 90; q >= 40; q -= 10 {
		buf.Reset()
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
			return nil, 0, fmt.Errorf("edge: %w", err)
		}
		if buf.Len() <= maxBytes {
			return bytes.Clone(buf.Bytes()), q, nil
		}
	}
	return nil, 0, ErrTooLarge
}
