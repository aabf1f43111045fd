//go:build !cgo

package silero

import (
	"errors"

	"github.com/parleyhq/parley/perception/vad"
)

// ErrNoCgo is returned by Load in a build without cgo: ONNX Runtime is a C library.
var ErrNoCgo = errors.New("silero: this build has no cgo, so ONNX Runtime cannot run; build with CGO_ENABLED=1 or use the energy VAD")

// Model is a loaded Silero model; without cgo none can be loaded.
type Model struct{ Version string }

// Load returns ErrNoCgo.
func Load(dir, version string) (*Model, error) { return nil, ErrNoCgo }

// Close does nothing.
func (m *Model) Close() error { return nil }

// Stream scores one audio stream; without cgo none exists.
type Stream struct{ Threshold float32 }

var _ vad.Classifier = (*Stream)(nil)

// NewStream returns ErrNoCgo.
func (m *Model) NewStream(rate int) (*Stream, error) { return nil, ErrNoCgo }

// Prob returns 0.
func (s *Stream) Prob() float32 { return 0 }

// Err returns ErrNoCgo.
func (s *Stream) Err() error { return ErrNoCgo }

// Voiced reports no speech.
func (s *Stream) Voiced(frame []int16, speaking bool) bool { return false }

// Score returns ErrNoCgo.
func (s *Stream) Score(samples []int16) ([]float32, error) { return nil, ErrNoCgo }
