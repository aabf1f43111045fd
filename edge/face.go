package edge

import (
	"image"
	"math"
	"time"

	"github.com/parleyhq/parley/perception/face"
)

// FaceOptions are the face options the device runs with: the front detector and the expression
// model (about 1.2 MB of weights to download) and, when its files are there too, facemesh for the
// landmark cues (another 1.5 MB).
var FaceOptions = face.Options{NoBackModel: true}

// FaceModels are the model files the device downloads.
var FaceModels = []string{"blazeface-front.json", "blazeface-front.bin", "emotion.json", "emotion.bin"}

// LandmarkModels are the optional facemesh files for the facial cues (brows, lips, head, gaze).
var LandmarkModels = []string{"facemesh.json", "facemesh.bin"}

// Face reads expressions and facial cues in camera frames on the device.
type Face struct {
	a    *face.Analyzer
	cues face.CueTracker
}

// FaceScore is one face of a frame: its box, expression probabilities and, for the largest face
// once the person's resting face is known, the landmark cues.
type FaceScore struct {
	Box        face.Box           `json:"box"`
	Score      float64            `json:"score"`
	Expression map[string]float64 `json:"expression"`
	// Cues holds confusion, frustration and each cue's activation, in [0, 1], as the server's
	// face stage reports them; CueText says what moved ("brows lowered for 2 s").
	Cues    map[string]float64 `json:"cues,omitempty"`
	CueText string             `json:"cue_text,omitempty"`
}

// NewFace loads the face models from dir, with facemesh when it is installed there.
func NewFace(dir string) (*Face, error) {
	a, err := face.NewAnalyzer(dir, FaceOptions)
	if err != nil {
		return nil, err
	}
	return &Face{a: a}, nil
}

// Expressions reads each face of one frame, independently of earlier frames.
func (f *Face) Expressions(img image.Image) []FaceScore {
	f.a.Reset()
	var out []FaceScore
	for _, fc := range f.a.Analyze(img) {
		out = append(out, score(fc))
	}
	return out
}

// Read is Expressions for a frame of a call, at offset at: the largest face's landmarks are also
// measured against the person's first seconds (face.CueTracker), as the server does for frames.
func (f *Face) Read(img image.Image, at time.Duration) []FaceScore {
	f.a.Reset()
	var out []FaceScore
	for i, fc := range f.a.Analyze(img) {
		s := score(fc)
		if i == 0 && fc.Landmarks != nil {
			if r := f.cues.Update(fc.Landmarks.Measure(), at); r.Ready {
				s.Cues = map[string]float64{"confusion": round4(r.Confusion), "frustration": round4(r.Frustration)}
				for _, c := range r.Cues {
					s.Cues[c.Name] = round4(c.Activation)
				}
				s.CueText = r.Describe()
			}
		}
		out = append(out, s)
	}
	return out
}

func score(fc face.Face) FaceScore {
	return FaceScore{Box: fc.Box, Score: round4(fc.Score), Expression: fc.Probabilities()}
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
