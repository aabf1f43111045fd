package silero

import (
	"fmt"
	"sync"

	"github.com/parleyhq/parley/perception/vad"
)

// The voice activity settings a deployment chooses from (the `vad` setting).
const (
	// KindEnergy is the pure-Go energy classifier alone.
	KindEnergy = "energy"
	// KindSilero is the Silero model alone.
	KindSilero = "silero"
	// KindBoth hears speech when either the energy classifier or Silero does: on streams built
	// from real recordings (parley eval vad) it missed the fewest utterances and speech frames
	// and cut the fewest pauses, with no false trigger on noise.
	KindBoth = "both"
)

// DefaultVersion is the Silero version the settings load.
const DefaultVersion = V5

// Factory makes one classifier per audio stream.
type Factory func() (vad.Classifier, error)

var (
	sharedMu sync.Mutex
	shared   = map[string]*Model{}
)

// Shared loads the model once per process and directory and returns it thereafter.
func Shared(dir, version string) (*Model, error) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	key := dir + "\x00" + version
	if m := shared[key]; m != nil {
		return m, nil
	}
	m, err := Load(dir, version)
	if err != nil {
		return nil, err
	}
	shared[key] = m
	return m, nil
}

// NewFactory returns a Factory of the given kind for audio at rate Hz, loading Silero from the
// model directory dir when the kind needs it. An unknown kind, or Silero missing for a kind that
// needs it, is an error.
func NewFactory(kind, dir string, rate int) (Factory, error) {
	switch kind {
	case KindEnergy:
		return func() (vad.Classifier, error) { return vad.NewEnergy(rate, 0), nil }, nil
	case KindSilero, KindBoth:
	default:
		return nil, fmt.Errorf("silero: vad %q: want %s, %s or %s", kind, KindEnergy, KindSilero, KindBoth)
	}
	m, err := Shared(dir, DefaultVersion)
	if err != nil {
		return nil, err
	}
	if _, err := m.NewStream(rate); err != nil {
		return nil, err
	}
	if kind == KindSilero {
		return func() (vad.Classifier, error) { return m.NewStream(rate) }, nil
	}
	return func() (vad.Classifier, error) {
		s, err := m.NewStream(rate)
		if err != nil {
			return nil, err
		}
		return vad.NewEither(vad.NewEnergy(rate, 0), s), nil
	}, nil
}

// Default returns the Factory for an unset `vad` setting: KindBoth when Silero is installed in
// dir, otherwise KindEnergy with the reason Silero could not be used.
func Default(dir string, rate int) (Factory, string, error) {
	f, err := NewFactory(KindBoth, dir, rate)
	if err == nil {
		return f, KindBoth, nil
	}
	e, _ := NewFactory(KindEnergy, dir, rate)
	return e, KindEnergy, err
}
