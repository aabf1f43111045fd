package face

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/nn"
	"github.com/parleyhq/parley/perception"
)

// StageID is the registered name of the face stage.
const StageID = "image.face"

func init() {
	perception.Register(StageID, func(env perception.Env) (perception.Stage, error) {
		dir := env.ModelDir
		if dir == "" {
			dir = nn.ModelDir()
		}
		s, err := NewStage(dir, Options{})
		if err != nil {
			return nil, fmt.Errorf("%w: %v", perception.ErrUnavailable, err)
		}
		return s, nil
	})
}

// Stage reads faces and expressions in images and video frames. For each face it emits a
// perception.KindEmotion observation: Value is map[string]float64 of the seven expression
// probabilities, Confidence the detection score, Source.Region the face box and Text
// "face N: <dominant expression>", N following the face across the frames of one message.
type Stage struct {
	mu      sync.Mutex
	a       *Analyzer
	limits  media.Limits
	lastMsg string
}

var _ perception.Stage = (*Stage)(nil)

// NewStage loads the face models from dir.
func NewStage(dir string, opt Options) (*Stage, error) {
	a, err := NewAnalyzer(dir, opt)
	if err != nil {
		return nil, err
	}
	return &Stage{a: a, limits: media.DefaultLimits()}, nil
}

// Name returns the stage ID.
func (s *Stage) Name() string { return StageID }

// Accepts reports whether the stage reads k: images, which includes video frames (Kind image,
// Modality video).
func (s *Stage) Accepts(k media.Kind) bool { return k == media.Image }

// Process returns one emotion observation per face found in the image, nothing when there is none.
func (s *Stage) Process(ctx context.Context, item media.Item, _ perception.Expectation) ([]perception.Observation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	img, _, err := media.DecodeImage(item.Data, s.limits.MaxPixels)
	if err != nil {
		if errors.Is(err, media.ErrEmpty) {
			return nil, err
		}
		return nil, fmt.Errorf("face: %w", err)
	}
	s.mu.Lock()
	if item.MessageID != s.lastMsg {
		// Frames of one message (a video, a live stream) share tracks; a new message starts fresh.
		s.a.Reset()
		s.lastMsg = item.MessageID
	}
	var faces []Face
	if item.Modality == media.ModVideo {
		faces = s.a.Analyze(img)
	} else {
		faces = s.a.AnalyzeAll(img)
	}
	s.mu.Unlock()
	b := img.Bounds()
	obs := make([]perception.Observation, 0, len(faces))
	for _, f := range faces {
		r := f.Box.Rect(b.Sub(b.Min))
		name, _ := f.Dominant()
		obs = append(obs, perception.Observation{
			Kind:       perception.KindEmotion,
			Value:      f.Probabilities(),
			Text:       fmt.Sprintf("face %d: %s", f.Track, name),
			Confidence: f.Score,
			Source: perception.Source{
				MessageID: item.MessageID,
				Part:      item.Part,
				Modality:  item.Modality,
				Stage:     StageID,
				Region:    &perception.Region{X: r.Min.X, Y: r.Min.Y, W: r.Dx(), H: r.Dy()},
				Start:     item.Offset,
				End:       item.Offset,
			},
		})
	}
	return obs, nil
}
