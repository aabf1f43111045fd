package face

import (
	"fmt"
	"image"
	"math"
	"sort"

	"github.com/parleyhq/parley/nn"
)

// Point is a position in image pixels.
type Point struct{ X, Y float64 }

// Box is an axis-aligned rectangle in image pixels (floating point).
type Box struct{ X0, Y0, X1, Y1 float64 }

// W returns the width of b.
func (b Box) W() float64 { return b.X1 - b.X0 }

// H returns the height of b.
func (b Box) H() float64 { return b.Y1 - b.Y0 }

// Rect rounds b to integer pixels, clipped to bounds.
func (b Box) Rect(bounds image.Rectangle) image.Rectangle {
	r := image.Rect(int(math.Floor(b.X0)), int(math.Floor(b.Y0)), int(math.Ceil(b.X1)), int(math.Ceil(b.Y1)))
	return r.Intersect(bounds)
}

// IoU returns the intersection over union of a and b.
func IoU(a, b Box) float64 {
	iw := math.Min(a.X1, b.X1) - math.Max(a.X0, b.X0)
	ih := math.Min(a.Y1, b.Y1) - math.Max(a.Y0, b.Y0)
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	union := a.W()*a.H() + b.W()*b.H() - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// Detection is one face found by BlazeFace.
type Detection struct {
	Box   Box
	Score float64
	// Keypoints: right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion
	// (the subject's right and left).
	Keypoints [6]Point
}

// detector runs one BlazeFace model: letterbox to a square input, decode the 896 anchors, and
// merge overlapping boxes with weighted non-maximum suppression.
type detector struct {
	model     *nn.Model
	size      int     // input side, 128, 192 or 256
	anchors   []Point // in input pixels
	threshold float64 // minimum score
	// full is the full-range model: one output of rows [logit, 16 regressors] over a 48x48 grid
	// (the others have separate score and regressor outputs for two grids).
	full bool
	raw  []candidate
}

type candidate struct {
	box   Box
	score float64
	kp    [6]Point
}

func newDetector(m *nn.Model, threshold float64) (*detector, error) {
	shape := m.InputShape()
	names := m.OutputNames()
	if len(shape) == 4 && shape[1] == fullSize && shape[2] == fullSize && len(names) >= 1 {
		// facemesh-detection-full: Identity is the face head (Identity_1 the person head)
		if o := m.OutputShape(0); names[0] != "Identity" || len(o) != 3 || o[1] != fullGrid*fullGrid || o[2] != 17 {
			return nil, fmt.Errorf("face: %s is not the full-range face detector (output %s %v)", m.Name(), names[0], o)
		}
		d := &detector{model: m, size: fullSize, threshold: threshold, full: true}
		stride := float64(fullSize) / fullGrid
		for y := 0; y < fullGrid; y++ {
			for x := 0; x < fullGrid; x++ {
				d.anchors = append(d.anchors, Point{stride * (float64(x) + 0.5), stride * (float64(y) + 0.5)})
			}
		}
		return d, nil
	}
	if len(shape) != 4 || shape[1] != shape[2] || shape[3] != 3 || len(names) != 4 {
		return nil, fmt.Errorf("face: %s is not a BlazeFace model (input %v, %d outputs)", m.Name(), shape, len(names))
	}
	d := &detector{model: m, size: shape[1], threshold: threshold}
	d.anchors = anchors(d.size)
	if m.OutputShape(0)[1]+m.OutputShape(1)[1] != len(d.anchors) {
		return nil, fmt.Errorf("face: %s has %d+%d boxes, want %d", m.Name(), m.OutputShape(0)[1], m.OutputShape(1)[1], len(d.anchors))
	}
	return d, nil
}

// The full-range detector's input side and anchor grid (stride 4, one anchor a cell).
const (
	fullSize = 192
	fullGrid = 48
)

// anchors returns BlazeFace's SSD anchor centres in input pixels: a 16x16 grid with 2 anchors per
// cell, then an 8x8 grid with 6 per cell (strides size/16 and size/8).
func anchors(size int) []Point {
	var out []Point
	for _, g := range []struct{ grid, per int }{{16, 2}, {8, 6}} {
		stride := float64(size) / float64(g.grid)
		for y := 0; y < g.grid; y++ {
			for x := 0; x < g.grid; x++ {
				for k := 0; k < g.per; k++ {
					out = append(out, Point{stride * (float64(x) + 0.5), stride * (float64(y) + 0.5)})
				}
			}
		}
	}
	return out
}

// detect finds faces in img (an RGBA frame), letterboxed into the model's square input with a
// black margin of pad times the larger side around it.
func (d *detector) detect(img *image.RGBA, pad float64) []Detection {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	side := float64(max(w, h)) * (1 + 2*pad)
	// Letterbox: the square of the larger side (and the margin), centred on the image.
	d.raw = d.raw[:0]
	d.window(img, -(side-float64(w))/2, -(side-float64(h))/2, side)
	return weightedNMS(d.raw, 0.3)
}

// detectTiled looks at overlapping square tiles of img, n per side for n = 2 and 3, so faces too
// small for the whole-image pass are seen at a larger scale.
func (d *detector) detectTiled(img *image.RGBA) []Detection {
	w, h := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	d.raw = d.raw[:0]
	for n := 2; n <= 3; n++ {
		side := math.Min(math.Max(w, h)/float64(n)*1.3, math.Min(w, h))
		nx, ny := int(math.Ceil((w-side)/(side/1.3)))+1, int(math.Ceil((h-side)/(side/1.3)))+1
		for j := 0; j < ny; j++ {
			for i := 0; i < nx; i++ {
				x0, y0 := 0.0, 0.0
				if nx > 1 {
					x0 = (w - side) * float64(i) / float64(nx-1)
				}
				if ny > 1 {
					y0 = (h - side) * float64(j) / float64(ny-1)
				}
				d.window(img, x0, y0, side)
			}
		}
	}
	return weightedNMS(d.raw, 0.3)
}

// window runs the model on the square of the given side at (x0, y0) (which may reach past the
// image, read as black) and adds the candidates above threshold to d.raw, in image pixels.
func (d *detector) window(img *image.RGBA, x0, y0, side float64) {
	b := img.Bounds()
	scale := float64(d.size) / side
	padX, padY := -x0, -y0
	resizeRGB(d.model.Input(), d.size, img, x0, y0, side, -1)
	d.model.Run()
	var logitsA, logitsB, regA, regB []float32
	if d.full {
		regA = d.model.Output(0)
	} else {
		logitsA, logitsB = d.model.Output(0), d.model.Output(1)
		regA, regB = d.model.Output(2), d.model.Output(3)
	}
	nA := len(logitsA)
	for i, a := range d.anchors {
		var logit float32
		var r []float32
		switch {
		case d.full:
			logit, r = regA[17*i], regA[17*i+1:17*i+17]
		case i < nA:
			logit, r = logitsA[i], regA[16*i:16*i+16]
		default:
			logit, r = logitsB[i-nA], regB[16*(i-nA):16*(i-nA)+16]
		}
		score := sigmoid(float64(logit))
		if score < d.threshold {
			continue
		}
		toImg := func(x, y float64) Point {
			return Point{x/scale - padX + float64(b.Min.X), y/scale - padY + float64(b.Min.Y)}
		}
		cx, cy := a.X+float64(r[0]), a.Y+float64(r[1])
		hw, hh := float64(r[2])/2, float64(r[3])/2
		p0, p1 := toImg(cx-hw, cy-hh), toImg(cx+hw, cy+hh)
		c := candidate{box: Box{p0.X, p0.Y, p1.X, p1.Y}, score: score}
		for k := range c.kp {
			c.kp[k] = toImg(a.X+float64(r[4+2*k]), a.Y+float64(r[5+2*k]))
		}
		if c.box.W() > 0 && c.box.H() > 0 {
			d.raw = append(d.raw, c)
		}
	}
}

func sigmoid(x float64) float64 {
	x = math.Max(-100, math.Min(100, x))
	return 1 / (1 + math.Exp(-x))
}

// weightedNMS merges each cluster of overlapping candidates (IoU above iou with the best one) into
// a score-weighted average, as MediaPipe does; the cluster keeps its best score.
func weightedNMS(cands []candidate, iou float64) []Detection {
	sort.Slice(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	used := make([]bool, len(cands))
	var out []Detection
	for i, c := range cands {
		if used[i] {
			continue
		}
		var sum float64
		var box Box
		var kp [6]Point
		for j := i; j < len(cands); j++ {
			o := cands[j]
			if used[j] || IoU(c.box, o.box) <= iou {
				continue
			}
			used[j] = true
			w := o.score
			sum += w
			box.X0 += w * o.box.X0
			box.Y0 += w * o.box.Y0
			box.X1 += w * o.box.X1
			box.Y1 += w * o.box.Y1
			for k := range kp {
				kp[k].X += w * o.kp[k].X
				kp[k].Y += w * o.kp[k].Y
			}
		}
		det := Detection{Score: c.score, Box: Box{box.X0 / sum, box.Y0 / sum, box.X1 / sum, box.Y1 / sum}}
		for k := range kp {
			det.Keypoints[k] = Point{kp[k].X / sum, kp[k].Y / sum}
		}
		out = append(out, det)
	}
	return out
}
