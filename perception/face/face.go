// Package face finds faces in images and video frames and reads their expression and landmarks,
// in pure Go through the nn interpreter: BlazeFace (the 128-pixel front model for close faces, the
// 256-pixel back model for small ones) finds the faces, a mini-Xception classifier trained on
// FER2013 gives the probabilities of seven expressions from a crop levelled by the eye line,
// facemesh gives the largest face's 468 landmarks, and a tracker follows each face across frames.
// From the landmarks, facial cues (brows lowered or raised, lips pressed, head tilted, looking
// away) are measured against each person's own first seconds on a call. It registers the stage
// "image.face". MEASUREMENTS.md records what each step changes and how fast it runs.
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
	// Landmarks are the facemesh points of the largest face of a frame; nil for the others, or
	// when facemesh is not installed or did not confirm the face.
	Landmarks *Landmarks
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
	// larger side of the detected box (default 1.4, human's enlargement of the BlazeFace box: the
	// face with some hair and chin, close to the FER2013 framing).
	CropScale float64
	// MinScore is the detection threshold (default 0.6 for the front model, 0.65 for the back).
	MinScore float64
	// MaxFaces bounds the faces read per frame (default 4), largest first.
	MaxFaces int
	// BackModel also runs the 256-pixel model when the front model finds no face (default true
	// when the model is installed).
	NoBackModel bool
	// Resize is how the crop becomes the expression model's input (default ResizeDirect).
	Resize Resize
	// NoAlign keeps the expression crop axis-aligned instead of turning it so that the eyes
	// BlazeFace finds are level.
	NoAlign bool
	// NoClamp lets the expression crop reach past the image's edges (read as the edge pixels)
	// instead of moving and shrinking it inside: tight face photos then lose their framing.
	NoClamp bool
	// NoPad skips the second detection pass, on the image framed by a black margin, for images
	// where no face is found at first (tight crops: BlazeFace wants some margin around a face).
	NoPad bool
	// FullRange also runs the full-range detector (facemesh-detection-full, 192 pixels) when the
	// front model finds no face even with the margin, before the back model. On tight crops it
	// finds a few more faces (32x32: 4 of 79 missed without it, 3 with it; see MEASUREMENTS.md)
	// for 8 ms a try, so it is off by default.
	FullRange bool
	// NoLandmarks skips facemesh (no landmarks, no facial cues), also when it is installed.
	NoLandmarks bool
}

// tightPad is the margin, relative to the image's larger side, of the second detection pass.
const tightPad = 0.25

// Analyzer detects faces and reads their expressions. It is not safe for concurrent use.
type Analyzer struct {
	opt     Options
	front   *detector
	full    *detector
	back    *detector
	emotion *nn.Model
	mesh    *mesher
	// last is the largest face of the previous frame with landmarks: its eye line turns the next
	// frame's mesh crop (a face rolls little between frames), saving a second facemesh pass.
	last    *Face
	rgba    *image.RGBA
	work    cropWork
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
	switch opt.Resize {
	case "":
		opt.Resize = ResizeDirect
	case ResizeFER, ResizeHuman, ResizeDirect:
	default:
		return nil, fmt.Errorf("face: unknown resize method %q (want fer, human or direct)", opt.Resize)
	}
	a := &Analyzer{opt: opt}
	front, err := nn.Load(dir, "blazeface-front")
	if err != nil {
		return nil, err
	}
	if a.front, err = newDetector(front, pick(opt.MinScore, 0.6)); err != nil {
		return nil, err
	}
	if opt.FullRange {
		if err := nn.Installed(dir, "facemesh-detection-full"); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoModels, err)
		}
		full, err := nn.Load(dir, "facemesh-detection-full")
		if err != nil {
			return nil, err
		}
		if a.full, err = newDetector(full, pick(opt.MinScore, 0.6)); err != nil {
			return nil, err
		}
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
	if !opt.NoLandmarks && nn.Installed(dir, "facemesh") == nil {
		m, err := nn.Load(dir, "facemesh")
		if err != nil {
			return nil, err
		}
		if a.mesh, err = newMesher(m); err != nil {
			return nil, err
		}
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
// fill a good part of the frame (a video call), first in the image, then, when it finds none, in
// the image framed by a black margin (a tight face photo leaves BlazeFace no margin); the back
// model, for small faces, runs when the front model finds none or, with thorough set, always
// (photos of several people), then also on overlapping tiles of large images.
func (a *Analyzer) Detect(img image.Image, thorough bool) []Detection {
	rgba := a.toRGBA(img)
	dets := a.front.detect(rgba, 0)
	if len(dets) == 0 && !a.opt.NoPad {
		dets = a.front.detect(rgba, tightPad)
	}
	if len(dets) == 0 && a.full != nil {
		dets = a.full.detect(rgba, 0)
	}
	if a.back == nil || (len(dets) > 0 && !thorough) {
		return dets
	}
	more := a.back.detect(rgba, 0)
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
		faces[i] = Face{Detection: d}
		roll := eyeRoll(d)
		if i == 0 && a.mesh != nil {
			// the largest face gets landmarks; their eye line levels its expression crop better
			// than BlazeFace's eye keypoints
			if a.last != nil && IoU(a.last.Box, d.Box) > 0.5 {
				roll = a.last.Landmarks.Roll()
			}
			a.last = nil
			if l := a.mesh.run(a.rgba, a.meshBox(d.Box), roll); l != nil {
				faces[i].Landmarks = l
				roll = l.Roll()
				a.last = &Face{Detection: d, Landmarks: l}
			}
		}
		faces[i].Expression = a.run(a.rgba, a.cropSquare(a.rgba, d, roll))
	}
	return faces
}

// Expression reads the expression of the face found by d in img.
func (a *Analyzer) Expression(img image.Image, d Detection) [7]float64 {
	return a.expression(a.toRGBA(img), d)
}

// ExpressionCrop reads the expression of a face photo that is already cropped to the face, as the
// expression model's training faces are: the whole image is the model's input.
func (a *Analyzer) ExpressionCrop(img image.Image) [7]float64 {
	rgba := a.toRGBA(img)
	w, h := float64(rgba.Rect.Dx()), float64(rgba.Rect.Dy())
	side := math.Min(w, h)
	return a.run(rgba, square{cx: w / 2, cy: h / 2, side: side})
}

// CropBox returns the square region given to the expression model for a detected box: centred on
// the box and CropScale times its larger side (before it is turned to level the eyes and kept
// inside the image).
func (a *Analyzer) CropBox(b Box) Box {
	side := math.Max(b.W(), b.H()) * a.opt.CropScale
	cx, cy := (b.X0+b.X1)/2, (b.Y0+b.Y1)/2
	return Box{cx - side/2, cy - side/2, cx + side/2, cy + side/2}
}

// meshBox is human's crop for facemesh: the detected box enlarged 1.4 times and made square.
func (a *Analyzer) meshBox(b Box) Box {
	side := math.Max(b.W(), b.H()) * 1.4
	cx, cy := (b.X0+b.X1)/2, (b.Y0+b.Y1)/2
	return Box{cx - side/2, cy - side/2, cx + side/2, cy + side/2}
}

// cropSquare is the expression crop of detection d in img: CropBox, turned by roll (the eye line's
// angle) unless NoAlign, kept inside the image unless NoClamp.
func (a *Analyzer) cropSquare(img *image.RGBA, d Detection, roll float64) square {
	c := a.CropBox(d.Box)
	s := square{cx: (c.X0 + c.X1) / 2, cy: (c.Y0 + c.Y1) / 2, side: c.W()}
	if !a.opt.NoAlign {
		s.angle = roll
	}
	if !a.opt.NoClamp {
		s = s.clampInside(img.Rect.Dx(), img.Rect.Dy())
	}
	return s
}

// eyeRoll is the angle of the line from the subject's right eye to the left eye, as BlazeFace
// finds them: 0 for a level face, positive when the face leans towards its right shoulder on screen.
func eyeRoll(d Detection) float64 {
	r, l := d.Keypoints[0], d.Keypoints[1]
	if r == l {
		return 0
	}
	return math.Atan2(l.Y-r.Y, l.X-r.X)
}

func (a *Analyzer) expression(rgba *image.RGBA, d Detection) [7]float64 {
	return a.run(rgba, a.cropSquare(rgba, d, eyeRoll(d)))
}

func (a *Analyzer) run(rgba *image.RGBA, s square) [7]float64 {
	emotionInput(a.emotion.Input(), rgba, s, a.opt.Resize, &a.work)
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
func (a *Analyzer) Reset() { a.tracker, a.last = Tracker{}, nil }
