package edge

import (
	"image"
	"math"

	"github.com/parleyhq/parley/perception/face"
)

// FaceOptions are the face options the device runs with: the front detector and the expression
// model only (about 1.2 MB of weights to download), no landmarks.
var FaceOptions = face.Options{NoBackModel: true, NoLandmarks: true}

// FaceModels are the model files the device downloads.
var FaceModels = []string{"blazeface-front.json", "blazeface-front.bin", "emotion.json", "emotion.bin"}

// Face reads expressions in camera frames on the device.
type Face struct{ a *face.Analyzer }

// FaceScore is one face of a frame: its box and expression probabilities.
type FaceScore struct {
	Box        face.Box           `json:"box"`
	Score      float64            `json:"score"`
	Expression map[string]float64 `json:"expression"`
}

// NewFace loads the face models from dir.
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
		out = append(out, FaceScore{Box: fc.Box, Score: math.Round(fc.Score*1e4) / 1e4, Expression: fc.Probabilities()})
	}
	return out
}
