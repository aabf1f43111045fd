//go:build cgo

package silero

import (
	"fmt"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/parleyhq/parley/perception/vad"
)

// The ONNX Runtime environment is process-wide: it is started once, from the first library
// loaded.
var (
	envMu  sync.Mutex
	envLib string
)

func startRuntime(lib string) error {
	envMu.Lock()
	defer envMu.Unlock()
	if envLib != "" {
		if envLib != lib {
			return fmt.Errorf("silero: ONNX Runtime already started from %s, not %s", envLib, lib)
		}
		return nil
	}
	ort.SetSharedLibraryPath(lib)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("silero: starting ONNX Runtime from %s: %w", lib, err)
	}
	if v := ort.GetVersion(); v != RuntimeVersion {
		ort.DestroyEnvironment()
		return fmt.Errorf("silero: %s is ONNX Runtime %s, want %s", lib, v, RuntimeVersion)
	}
	envLib = lib
	return nil
}

// Model is a loaded Silero model. It is safe for concurrent use: each Stream keeps its own state.
type Model struct {
	sess    *ort.DynamicAdvancedSession
	Version string
}

// Load verifies and loads the named model version (V5 or V6) and the ONNX Runtime library from
// the model directory dir. A missing or modified file is ErrNotInstalled.
func Load(dir, version string) (*Model, error) {
	if version != V5 && version != V6 {
		return nil, fmt.Errorf("silero: unknown model version %q (want %s or %s)", version, V5, V6)
	}
	if err := verifyFor(dir, version); err != nil {
		return nil, err
	}
	lib, err := filepath.Abs(RuntimePath(dir))
	if err != nil {
		return nil, err
	}
	if err := startRuntime(lib); err != nil {
		return nil, err
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("silero: %w", err)
	}
	defer opts.Destroy()
	// One stream's model is small; a thread per call keeps many calls from fighting for cores.
	if err := opts.SetIntraOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("silero: %w", err)
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("silero: %w", err)
	}
	sess, err := ort.NewDynamicAdvancedSession(ModelPath(dir, version),
		[]string{"input", "state", "sr"}, []string{"output", "stateN"}, opts)
	if err != nil {
		return nil, fmt.Errorf("silero: loading %s: %w", version, err)
	}
	return &Model{sess: sess, Version: version}, nil
}

// Close frees the model.
func (m *Model) Close() error { return m.sess.Destroy() }

// stateSize is the length of the model's recurrent state, shaped [2, 1, 128].
const stateSize = 2 * 128

// Stream scores one audio stream with a Model and classifies its 10 ms frames for a vad.Detector.
// It is not safe for concurrent use.
type Stream struct {
	m       *Model
	rate    int
	window  int // samples the model scores at once: 512 at 16 kHz, 256 at 8 kHz
	context int // samples of the previous window prepended to each: 64 at 16 kHz, 32 at 8 kHz
	buf     []float32
	state   []float32
	prob    float32
	err     error
	// Threshold is the probability that starts speech (default 0.5); inside speech it holds down to
	// Threshold-0.15, as Silero's own iterator does.
	Threshold float32
}

var _ vad.Classifier = (*Stream)(nil)

// NewStream returns a stream for audio at rate Hz, 8000 or 16000.
func (m *Model) NewStream(rate int) (*Stream, error) {
	s := &Stream{m: m, rate: rate, state: make([]float32, stateSize), Threshold: 0.5}
	switch rate {
	case 16000:
		s.window, s.context = 512, 64
	case 8000:
		s.window, s.context = 256, 32
	default:
		return nil, fmt.Errorf("silero: sample rate %d Hz (want 8000 or 16000)", rate)
	}
	s.buf = make([]float32, s.context, s.context+2*s.window)
	return s, nil
}

// Prob returns the speech probability of the last window scored.
func (s *Stream) Prob() float32 { return s.prob }

// Err returns the first error the model returned; after one the stream hears no speech.
func (s *Stream) Err() error { return s.err }

// Voiced feeds a frame and reports whether the stream is speech, by the last window scored.
func (s *Stream) Voiced(frame []int16, speaking bool) bool {
	for _, x := range frame {
		s.buf = append(s.buf, float32(x)/32768)
	}
	for s.err == nil && len(s.buf) >= s.context+s.window {
		p, err := s.score(s.buf[:s.context+s.window])
		if err != nil {
			s.err, s.prob = err, 0
			break
		}
		s.prob = p
		n := copy(s.buf, s.buf[s.window:])
		s.buf = s.buf[:n]
	}
	if speaking {
		return s.prob >= s.Threshold-0.15
	}
	return s.prob >= s.Threshold
}

// Score feeds samples and returns the probability of each whole window they complete.
func (s *Stream) Score(samples []int16) ([]float32, error) {
	var out []float32
	for _, x := range samples {
		s.buf = append(s.buf, float32(x)/32768)
		if len(s.buf) == s.context+s.window {
			p, err := s.score(s.buf)
			if err != nil {
				return out, err
			}
			s.prob = p
			out = append(out, p)
			n := copy(s.buf, s.buf[s.window:])
			s.buf = s.buf[:n]
		}
	}
	return out, nil
}

func (s *Stream) score(win []float32) (float32, error) {
	in, err := ort.NewTensor(ort.NewShape(1, int64(len(win))), win)
	if err != nil {
		return 0, fmt.Errorf("silero: %w", err)
	}
	defer in.Destroy()
	st, err := ort.NewTensor(ort.NewShape(2, 1, 128), s.state)
	if err != nil {
		return 0, fmt.Errorf("silero: %w", err)
	}
	defer st.Destroy()
	sr, err := ort.NewScalar(int64(s.rate))
	if err != nil {
		return 0, fmt.Errorf("silero: %w", err)
	}
	defer sr.Destroy()
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(1, 1))
	if err != nil {
		return 0, fmt.Errorf("silero: %w", err)
	}
	defer out.Destroy()
	stN, err := ort.NewEmptyTensor[float32](ort.NewShape(2, 1, 128))
	if err != nil {
		return 0, fmt.Errorf("silero: %w", err)
	}
	defer stN.Destroy()
	if err := s.m.sess.Run([]ort.Value{in, st, sr}, []ort.Value{out, stN}); err != nil {
		return 0, fmt.Errorf("silero: %w", err)
	}
	copy(s.state, stN.GetData())
	return out.GetData()[0], nil
}
