package face

import (
	"context"
	"errors"
	"fmt"
	"runtime"
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
// "face N: <dominant expression>", N following the face across the frames of one message ID.
// Frames are analysed concurrently, up to GOMAXPROCS at a time.
type Stage struct {
	dir    string
	opt    Options
	limits media.Limits
	pool   chan *Analyzer
	mu     sync.Mutex
	made   int
	tracks map[string]*streamTracks
	clock  int
}

// streamTracks holds the face tracks of one message (a video, a live stream).
type streamTracks struct {
	Tracker
	used int
}

// maxStreams bounds the messages whose face tracks are remembered.
const maxStreams = 64

var _ perception.Stage = (*Stage)(nil)

// NewStage loads the face models from dir.
func NewStage(dir string, opt Options) (*Stage, error) {
	a, err := NewAnalyzer(dir, opt)
	if err != nil {
		return nil, err
	}
	n := max(1, runtime.GOMAXPROCS(0))
	s := &Stage{dir: dir, opt: opt, limits: media.DefaultLimits(), pool: make(chan *Analyzer, n), made: 1, tracks: map[string]*streamTracks{}}
	s.pool <- a
	return s, nil
}

// Name returns the stage ID.
func (s *Stage) Name() string { return StageID }

// Accepts reports whether the stage reads k: images, which includes video frames (Kind image,
// Modality video).
func (s *Stage) Accepts(k media.Kind) bool { return k == media.Image }

// acquire takes an idle Analyzer, loading another while fewer than the pool's size exist.
func (s *Stage) acquire(ctx context.Context) (*Analyzer, error) {
	select {
	case a := <-s.pool:
		return a, nil
	default:
	}
	s.mu.Lock()
	grow := s.made < cap(s.pool)
	if grow {
		s.made++
	}
	s.mu.Unlock()
	if grow {
		a, err := NewAnalyzer(s.dir, s.opt)
		if err == nil {
			return a, nil
		}
		s.mu.Lock()
		s.made--
		s.mu.Unlock()
	}
	select {
	case a := <-s.pool:
		return a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Process returns one emotion observation per face found in the image, nothing when there is none.
// Video frames (Modality video) look for small faces only when no large one is found; photos
// always do.
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
	a, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	faces := a.untracked(img, item.Modality != media.ModVideo)
	s.pool <- a
	s.track(item.MessageID, faces)
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

// track assigns face tracks within the message, forgetting the least recently seen message when
// too many are remembered.
func (s *Stage) track(msg string, faces []Face) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock++
	st, ok := s.tracks[msg]
	if !ok {
		if len(s.tracks) >= maxStreams {
			oldest := ""
			for k, v := range s.tracks {
				if oldest == "" || v.used < s.tracks[oldest].used {
					oldest = k
				}
			}
			delete(s.tracks, oldest)
		}
		st = &streamTracks{}
		s.tracks[msg] = st
	}
	st.used = s.clock
	st.Update(faces)
}
