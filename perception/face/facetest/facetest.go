// Package facetest renders camera frames of a face for tests of the face stage, the affect fusion
// and the browser's fake camera: a face photo from the face package's test data placed in a
// 640x480 frame, moving a little from frame to frame as a person on a call does, and optionally
// with its brows lowered by a smooth warp of the photo (the action unit most tied to confusion).
package facetest

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"

	xdraw "golang.org/x/image/draw"
)

// Width and Height are the frame size.
const (
	Width  = 640
	Height = 480
)

// Geometry of the face photo in its own pixels, measured once with facemesh on the photo: the eye
// centres and the brows' mean position. The warp moves the brows relative to these.
type Geometry struct {
	RightEye, LeftEye image.Point
	BrowY             int // mean brow height
}

// Face is a face photo and its geometry.
type Face struct {
	Img  image.Image
	Geom Geometry
}

// Rendered is testdata/rendered.jpg, a computer-rendered woman's face with a resting expression
// (the expression model reads it as neutral), with its geometry as facemesh measures it.
func Rendered() (Face, error) {
	img, err := Load("rendered.jpg")
	if err != nil {
		return Face{}, err
	}
	return Face{Img: img, Geom: Geometry{RightEye: image.Pt(36, 33), LeftEye: image.Pt(67, 34), BrowY: 25}}, nil
}

// Side is the face's width in the frames of a call, about a third of the frame as in a video call.
const Side = 320

// Lowered is how far the brows are lowered in a frowning frame, in inter-ocular distances: about
// what a clear brow lowerer (AU4) moves them.
const Lowered = 0.12

// Call renders n frames of a call with the rendered face: resting for the first rest frames, then,
// when frown is set, with the brows lowered.
func Call(n, rest int, frown bool) ([]*image.RGBA, error) {
	f, err := Rendered()
	if err != nil {
		return nil, err
	}
	frames := make([]*image.RGBA, n)
	for i := range frames {
		lower := 0.0
		if frown && i >= rest {
			lower = Lowered
		}
		frames[i] = Frame(f, i, Side, lower)
	}
	return frames, nil
}

// WriteY4M writes frames as a YUV4MPEG2 video at fps frames a second, the format Chromium's fake
// camera (--use-file-for-fake-video-capture) plays: 4:2:0 planes with BT.601 studio-range levels.
func WriteY4M(w io.Writer, frames []*image.RGBA, fps int) error {
	if len(frames) == 0 {
		return fmt.Errorf("facetest: no frames")
	}
	bw := bufio.NewWriter(w)
	wd, ht := frames[0].Rect.Dx(), frames[0].Rect.Dy()
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", wd, ht, fps)
	y := make([]byte, wd*ht)
	u := make([]byte, (wd/2)*(ht/2))
	v := make([]byte, (wd/2)*(ht/2))
	for _, f := range frames {
		if f.Rect.Dx() != wd || f.Rect.Dy() != ht {
			return fmt.Errorf("facetest: frames of different sizes")
		}
		for j := 0; j < ht; j++ {
			for i := 0; i < wd; i++ {
				p := f.Pix[j*f.Stride+i*4:]
				y[j*wd+i] = clamp8(16 + 0.257*float64(p[0]) + 0.504*float64(p[1]) + 0.098*float64(p[2]))
			}
		}
		for j := 0; j < ht/2; j++ {
			for i := 0; i < wd/2; i++ {
				var r, g, b float64
				for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
					p := f.Pix[(2*j+d[1])*f.Stride+(2*i+d[0])*4:]
					r, g, b = r+float64(p[0])/4, g+float64(p[1])/4, b+float64(p[2])/4
				}
				u[j*(wd/2)+i] = clamp8(128 - 0.148*r - 0.291*g + 0.439*b)
				v[j*(wd/2)+i] = clamp8(128 + 0.439*r - 0.368*g - 0.071*b)
			}
		}
		bw.WriteString("FRAME\n")
		bw.Write(y)
		bw.Write(u)
		bw.Write(v)
	}
	return bw.Flush()
}

// AsSent is a frame as the web page sends it: scaled to 320 pixels wide and JPEG-encoded at
// quality 75 (app.js sendFrame).
func AsSent(img image.Image) ([]byte, error) {
	b := img.Bounds()
	w := min(320, b.Dx())
	dst := image.NewRGBA(image.Rect(0, 0, w, b.Dy()*w/b.Dx()))
	xdraw.ApproxBiLinear.Scale(dst, dst.Rect, img, b, xdraw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 75}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func clamp8(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }

// Load reads a face photo from the face package's testdata directory.
func Load(name string) (image.Image, error) {
	_, file, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(file), "..", "testdata", name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jpeg.Decode(f)
}

// Frame renders frame i of a call: the face scaled to side pixels near the frame's centre, moved
// by a pixel or two each frame, with its brows lowered by lower times the inter-ocular distance
// (0 for none, negative to raise them).
func Frame(f Face, i int, side int, lower float64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	draw.Draw(img, img.Rect, &image.Uniform{color.RGBA{90, 100, 120, 255}}, image.Point{}, draw.Src)
	b := f.Img.Bounds()
	scale := float64(side) / float64(b.Dx())
	h := int(float64(b.Dy()) * scale)
	x0 := (Width-side)/2 + int(2*math.Sin(float64(i)*0.7))
	y0 := (Height-h)/2 + int(2*math.Cos(float64(i)*0.9))
	g := f.Geom
	iod := math.Hypot(float64(g.LeftEye.X-g.RightEye.X), float64(g.LeftEye.Y-g.RightEye.Y))
	eyeY := float64(g.RightEye.Y+g.LeftEye.Y) / 2
	midX := float64(g.RightEye.X+g.LeftEye.X) / 2
	shift := lower * iod
	for v := 0; v < h; v++ {
		for u := 0; u < side; u++ {
			// source position in the photo
			sx, sy := float64(u)/scale, float64(v)/scale
			switch {
			case shift > 0:
				sy -= shift * browWeight(sx, sy, midX, eyeY, float64(g.BrowY), iod)
			case shift < 0:
				sy = raised(sx, sy, -shift, midX, eyeY, float64(g.BrowY), iod)
			}
			img.Set(x0+u, y0+v, sample(f.Img, sx+float64(b.Min.X), sy+float64(b.Min.Y)))
		}
	}
	return img
}

// browWeight is how much of the brow shift a photo pixel at (x, y) takes: 1 on the brows, falling
// smoothly to 0 at the eyes' centre line, high on the forehead and beyond the face's sides.
func browWeight(x, y, midX, eyeY, browY, iod float64) float64 {
	var wy float64
	switch {
	case y >= eyeY:
		return 0
	case y >= browY:
		wy = (eyeY - y) / (eyeY - browY)
	default:
		wy = math.Max(0, 1-(browY-y)/(0.9*iod))
	}
	wy = wy * wy * (3 - 2*wy) // smoothstep
	dx := (x - midX) / (1.1 * iod)
	return wy * math.Exp(-dx*dx*dx*dx)
}

// raised maps a frame pixel to the photo for brows raised by d pixels: between the upper eyelid and
// the brows the skin stretches, above them the forehead compresses, so no photo row is read twice
// and the eyes stay where they are; the shift fades out towards the face's sides.
func raised(x, y, d, midX, eyeY, browY, iod float64) float64 {
	eyeTop := eyeY - 0.15*iod
	foreTop := browY - 0.9*iod
	src := y
	switch {
	case y >= browY-d && y <= eyeTop:
		src = eyeTop - (eyeTop-y)*(eyeTop-browY)/(eyeTop-browY+d)
	case y >= foreTop && y < browY-d:
		src = foreTop + (y-foreTop)*(browY-foreTop)/(browY-d-foreTop)
	}
	dx := (x - midX) / (1.1 * iod)
	return y + (src-y)*math.Exp(-dx*dx*dx*dx)
}

// sample reads img at (x, y) bilinearly, clamped to its bounds.
func sample(img image.Image, x, y float64) color.RGBA {
	b := img.Bounds()
	x = math.Min(math.Max(x, float64(b.Min.X)), float64(b.Max.X-1))
	y = math.Min(math.Max(y, float64(b.Min.Y)), float64(b.Max.Y-1))
	ix, iy := int(x), int(y)
	fx, fy := x-float64(ix), y-float64(iy)
	ix1, iy1 := min(ix+1, b.Max.X-1), min(iy+1, b.Max.Y-1)
	var out [3]float64
	for _, p := range []struct {
		x, y int
		w    float64
	}{{ix, iy, (1 - fx) * (1 - fy)}, {ix1, iy, fx * (1 - fy)}, {ix, iy1, (1 - fx) * fy}, {ix1, iy1, fx * fy}} {
		r, g, bl, _ := img.At(p.x, p.y).RGBA()
		out[0] += p.w * float64(r>>8)
		out[1] += p.w * float64(g>>8)
		out[2] += p.w * float64(bl>>8)
	}
	return color.RGBA{uint8(out[0] + 0.5), uint8(out[1] + 0.5), uint8(out[2] + 0.5), 255}
}
