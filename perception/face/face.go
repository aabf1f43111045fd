// Package face finds faces in images and video frames and reads their expression, in pure Go
// through the nn interpreter: BlazeFace (the 128-pixel front model for close faces, the 256-pixel
// back model for small ones) finds the faces, a mini-Xception classifier trained on FER2013 gives
// the probabilities of seven expressions, and a tracker follows each face across frames. It
// registers the stage "image.face".
package face

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"

	"github.com/parleyhq/parley/nn"
)

// Expressions are the emotion model's classes, in output order.
var Expressions = [7]string{"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}

// ErrNoModels is returned when the face models are not installed.
var ErrNoModels = errors.New("face: models not installed (run `parley models install`)")

// Face is one face in a frame with its expression.
type Face struct {
	Detection
	// Track identifies the same face across the frames given to one Analyzer.
	Track int
	// Expression holds the probabilities of Expressions, summing to 1.
	Expression [7]float64
}

// Dominant returns the most probable expression and its probability.
func (f Face) Dominant() (string, float64) {
	best := 0
	for i, p := range f.Expression {
		if p > f.Expression[best] {
			best = i
		}
	}
	return Expressions[best], f.Expression[best]
}

// Probabilities returns the expression probabilities keyed by name.
func (f Face) Probabilities() map[string]float64 {
	m := make(map[string]float64, len(Expressions))
	for i, name := range Expressions {
		m[name] = math.Round(f.Expression[i]*1e4) / 1e4
	}
	return m
}

// Options tune an Analyzer. Zero values take the defaults.
type Options struct {
	// CropScale is the side of the square crop given to the expression model, relative to the
	// larger side of the detected box (default 1.4: the face with some hair and chin, close to the FER2013 framing; chosen on labelled faces).
	CropScale float64
	// MinScore is the detection threshold (default 0.6 for the front model, 0.65 for the back).
	MinScore float64
	// MaxFaces bounds the faces read per frame (default 4), largest first.
	MaxFaces int
	// BackModel also runs the 256-pixel model when the front model finds no face (default true
	// when the model is installed).
	NoBackModel bool
}

// Analyzer detects faces and reads their expressions. It is not safe for concurrent use.
type Analyzer struct {
	opt     Options
	front   *detector
	back    *detector
	emotion *nn.Model
	rgba    *image.RGBA
	tracker Tracker
}

// NewAnalyzer loads the models from dir (see nn.ModelDir).
func NewAnalyzer(dir string, opt Options) (*Analyzer, error) {
	for _, name := range []string{"blazeface-front", "emotion"} {
		if err := nn.Installed(dir, name); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoModels, err)
		}
	}
	if opt.CropScale == 0 {
		opt.CropScale = 1.4
	}
	if opt.MaxFaces == 0 {
		opt.MaxFaces = 4
	}
	a := &Analyzer{opt: opt}
	front, err := nn.Load(dir, "blazeface-front")
	if err != nil {
		return nil, err
	}
	if a.front, err = newDetector(front, pick(opt.MinScore, 0.6)); err != nil {
		return nil, err
	}
	if !opt.NoBackModel && nn.Installed(dir, "blazeface") == nil {
		back, err := nn.Load(dir, "blazeface")
		if err != nil {
			return nil, err
		}
		if a.back, err = newDetector(back, pick(opt.MinScore, 0.65)); err != nil {
			return nil, err
		}
	}
	if a.emotion, err = nn.Load(dir, "emotion"); err != nil {
		return nil, err
	}
	if s := a.emotion.InputShape(); len(s) != 4 || s[1] != 64 || s[2] != 64 || s[3] != 1 {
		return nil, fmt.Errorf("face: emotion model input %v, want [1 64 64 1]", s)
	}
	return a, nil
}

func pick(v, def float64) float64 {
	if v > 0 {
		return v
	}
	return def
}

// Detect finds faces in img without reading expressions. The front model looks for faces that
// fill a good part of the frame (a video call); the back model, for small faces, runs when the
// front model finds none or, with thorough set, always (photos of several people), then also on
// overlapping tiles of large images.
func (a *Analyzer) Detect(img image.Image, thorough bool) []Detection {
	rgba := a.toRGBA(img)
	dets := a.front.detect(rgba)
	if a.back == nil || (len(dets) > 0 && !thorough) {
		return dets
	}
	more := a.back.detect(rgba)
	if thorough && max(rgba.Rect.Dx(), rgba.Rect.Dy()) >= 2*a.back.size {
		more = append(more, a.back.detectTiled(rgba)...)
	}
	for _, d := range more {
		dup := false
		for _, f := range dets {
			if IoU(d.Box, f.Box) > 0.3 || contains(f.Box, d.Box) || contains(d.Box, f.Box) {
				dup = true
				break
			}
		}
		if !dup {
			dets = append(dets, d)
		}
	}
	return dets
}

// contains reports whether most of b lies inside a (a face found twice at different scales).
func contains(a, b Box) bool {
	iw := math.Min(a.X1, b.X1) - math.Max(a.X0, b.X0)
	ih := math.Min(a.Y1, b.Y1) - math.Max(a.Y0, b.Y0)
	return iw > 0 && ih > 0 && iw*ih > 0.7*b.W()*b.H()
}

// Analyze finds the faces in one video frame, reads their expressions and tracks them against the
// previous frames given to this Analyzer. Boxes are in pixels from the image's top-left corner.
func (a *Analyzer) Analyze(img image.Image) []Face { return a.analyze(img, false) }

// AnalyzeAll is Analyze for a photo: it also looks for small faces when large ones are found.
func (a *Analyzer) AnalyzeAll(img image.Image) []Face { return a.analyze(img, true) }

func (a *Analyzer) analyze(img image.Image, thorough bool) []Face {
	faces := a.untracked(img, thorough)
	a.tracker.Update(faces)
	return faces
}

// untracked finds the faces and reads their expressions, largest face first, without tracking.
func (a *Analyzer) untracked(img image.Image, thorough bool) []Face {
	dets := a.Detect(img, thorough)
	// largest faces first
	for i := 1; i < len(dets); i++ {
		for j := i; j > 0 && area(dets[j].Box) > area(dets[j-1].Box); j-- {
			dets[j], dets[j-1] = dets[j-1], dets[j]
		}
	}
	if len(dets) > a.opt.MaxFaces {
		dets = dets[:a.opt.MaxFaces]
	}
	faces := make([]Face, len(dets))
	for i, d := range dets {
		faces[i] = Face{Detection: d, Expression: a.expression(a.rgba, d.Box)}
	}
	return faces
}

// Expression reads the expression of the face in box (pixels) of img.
func (a *Analyzer) Expression(img image.Image, box Box) [7]float64 {
	return a.expression(a.toRGBA(img), box)
}

// CropBox returns the square region given to the expression model for a detected box: centred on
// the box and CropScale times its larger side.
func (a *Analyzer) CropBox(b Box) Box {
	side := math.Max(b.W(), b.H()) * a.opt.CropScale
	cx, cy := (b.X0+b.X1)/2, (b.Y0+b.Y1)/2
	return Box{cx - side/2, cy - side/2, cx + side/2, cy + side/2}
}

func (a *Analyzer) expression(rgba *image.RGBA, box Box) [7]float64 {
	c := a.CropBox(box)
	resizeGrey(a.emotion.Input(), 64, rgba, c.X0, c.Y0, c.W())
	a.emotion.Run()
	var p [7]float64
	for i, v := range a.emotion.Output(0) {
		if i < len(p) {
			p[i] = float64(v)
		}
	}
	return p
}

func area(b Box) float64 { return b.W() * b.H() }

// toRGBA converts img into the Analyzer's reusable RGBA buffer, with its origin at (0, 0).
func (a *Analyzer) toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	if a.rgba == nil || a.rgba.Rect.Dx() != b.Dx() || a.rgba.Rect.Dy() != b.Dy() {
		a.rgba = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	}
	draw.Draw(a.rgba, a.rgba.Rect, img, b.Min, draw.Src)
	return a.rgba
}

// Reset forgets the tracked faces, for a new video or stream.
func (a *Analyzer) Reset() { a.tracker = Tracker{} }
