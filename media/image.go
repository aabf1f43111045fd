package media

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // registered for DecodeConfig
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// ImageHeader reads only an image's header and refuses one whose declared size exceeds maxPixels,
// so a decompression bomb is rejected before a single pixel is decoded.
func ImageHeader(data []byte, maxPixels int64) (image.Config, string, error) {
	if len(data) == 0 {
		return image.Config{}, "", ErrEmpty
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if err == image.ErrFormat {
			return cfg, "", fmt.Errorf("%w: not a JPEG, PNG, WebP, GIF, BMP or TIFF image", ErrUnsupported)
		}
		return cfg, format, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, format, fmt.Errorf("%w: image has no pixels", ErrCorrupt)
	}
	if maxPixels > 0 && int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return cfg, format, fmt.Errorf("%w: image declares %dx%d pixels, over the limit of %d megapixels",
			ErrTooLarge, cfg.Width, cfg.Height, maxPixels/1_000_000)
	}
	return cfg, format, nil
}

// DecodeImage decodes an image after checking its header against maxPixels.
func DecodeImage(data []byte, maxPixels int64) (image.Image, string, error) {
	if _, _, err := ImageHeader(data, maxPixels); err != nil {
		return nil, "", err
	}
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, format, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return img, format, nil
}
