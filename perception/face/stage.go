package face

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

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
//
// In video frames, the largest face's landmarks are also measured against that face's own
// baseline (its first seconds in the message's frames, placed in time by Item.Offset), and once
// the baseline is known each frame adds a perception.KindAffectCue observation: Value holds
// "confusion" and "frustration" (the weighted cue evidence) and each cue's activation
// (CueBrowLower, ...), Text says which cue is held and for how long ("brows lowered for 2 s",
// empty when none), Confidence is facemesh's face score.
//
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

// streamTracks holds the face tracks of one message (a video, a live stream) and the cue baseline
// of each tracked face.
type streamTracks struct {
	Tracker
	used   int
	frames int
	cues   map[int]*CueTracker
}

// liveFrameInterval places frames without an offset in time: live cameras send about five a second.
const liveFrameInterval = 200 * time.Millisecond

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
	cues := s.track(item, faces)
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
		if c, ok := cues[f.Track]; ok && c.Ready {
			v := map[string]float64{"confusion": round4(c.Confusion), "frustration": round4(c.Frustration)}
			for _, cue := range c.Cues {
				v[cue.Name] = round4(cue.Activation)
			}
			o := obs[len(obs)-1]
			o.Kind, o.Value, o.Text, o.Confidence = perception.KindAffectCue, v, c.Describe(), f.Landmarks.Score
			obs = append(obs, o)
		}
	}
	return obs, nil
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// track assigns face tracks within the message, forgetting the least recently seen message when
// too many are remembered, and, for video frames, reads the landmark cues of each tracked face
// against its baseline.
func (s *Stage) track(item media.Item, faces []Face) map[int]CueReading {
	msg := item.MessageID
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
		st = &streamTracks{cues: map[int]*CueTracker{}}
		s.tracks[msg] = st
	}
	st.used = s.clock
	st.frames++
	st.Update(faces)
	if item.Modality != media.ModVideo {
		return nil
	}
	at := item.Offset
	if at == 0 {
		at = time.Duration(st.frames-1) * liveFrameInterval
	}
	out := map[int]CueReading{}
	for _, f := range faces {
		if f.Landmarks == nil {
			continue
		}
		ct, ok := st.cues[f.Track]
		if !ok {
			if len(st.cues) >= maxCueTracks {
				st.cues = map[int]*CueTracker{}
			}
			ct = &CueTracker{}
			st.cues[f.Track] = ct
		}
		out[f.Track] = ct.Update(f.Landmarks.Measure(), at)
	}
	return out
}

// maxCueTracks bounds the baselines kept for one message (faces coming and going).
const maxCueTracks = 16
