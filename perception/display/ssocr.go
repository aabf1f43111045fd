package display

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// ErrNoSsocr is returned when Debian's ssocr is not installed.
var ErrNoSsocr = errors.New("display: ssocr is not installed")

// Ssocr reads the display in img with the ssocr program (Debian's seven-segment OCR), for
// comparison with Read: the image is cropped to the located display, ssocr thresholds it and reads
// digits characters. It is used by tests and evaluation, not by the stage.
func Ssocr(ctx context.Context, img image.Image, digits int) (string, error) {
	path, err := exec.LookPath("ssocr")
	if err != nil {
		return "", ErrNoSsocr
	}
	rd, err := Read(img)
	var sub image.Image = img
	if err == nil {
		if s, ok := img.(interface {
			SubImage(image.Rectangle) image.Image
		}); ok {
			sub = s.SubImage(rd.Box.Inset(-8).Intersect(img.Bounds()))
		}
	}
	f, err := os.CreateTemp("", "ssocr-*.png")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if err := png.Encode(f, sub); err != nil {
		f.Close()
		return "", err
	}
	f.Close()
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "-d", strconv.Itoa(digits), "-T", "invert", f.Name())
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("display: ssocr: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(out.String()), nil
}
