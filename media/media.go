// Package media holds the typed parts of a customer message and the safe decoders that turn raw
// uploads into values perception can read. Every decoder enforces a size, pixel or duration limit
// before it does real work.
package media

import (
	"errors"
	"time"
)

// Kind is what a message part is made of.
type Kind string

// The kinds of message part Parley accepts.
const (
	Text  Kind = "text"
	Image Kind = "image"
	Audio Kind = "audio"
	Video Kind = "video"
)

// Modality is the channel a fact reached Parley through. It differs from Kind for derived items:
// the transcript of a voice note is text of modality voice.
type Modality string

// The modalities evidence can carry.
const (
	ModText  Modality = "text"
	ModVoice Modality = "voice"
	ModImage Modality = "image"
	ModVideo Modality = "video"
)

// Sentinel errors of the decoders. Callers map them to user-facing messages at the edge.
var (
	ErrTooLarge    = errors.New("media: too large")
	ErrUnsupported = errors.New("media: unsupported type")
	ErrCorrupt     = errors.New("media: corrupt or truncated")
	ErrEmpty       = errors.New("media: no content")
)

// Item is one part of a customer message handed to perception.
type Item struct {
	MessageID   string   `json:"message_id"`
	Part        int      `json:"part"`
	Kind        Kind     `json:"kind"`
	Modality    Modality `json:"modality"`
	Text        string   `json:"text,omitempty"`
	Data        []byte   `json:"-"`
	ContentType string   `json:"content_type,omitempty"`
	Name        string   `json:"name,omitempty"`
	// Offset places a derived item in time within its source (a frame or an utterance of a video).
	Offset time.Duration `json:"offset,omitempty"`
}

// Limits bound what the decoders accept.
type Limits struct {
	ImageBytes int64         `yaml:"image_bytes" json:"image_bytes"`
	AudioBytes int64         `yaml:"audio_bytes" json:"audio_bytes"`
	VideoBytes int64         `yaml:"video_bytes" json:"video_bytes"`
	MaxPixels  int64         `yaml:"max_pixels" json:"max_pixels"`
	MaxAudio   time.Duration `yaml:"max_audio" json:"max_audio"`
	MaxVideo   time.Duration `yaml:"max_video" json:"max_video"`
}

// DefaultLimits are the limits of a fresh install.
func DefaultLimits() Limits {
	return Limits{
		ImageBytes: 25 << 20,
		AudioBytes: 50 << 20,
		VideoBytes: 200 << 20,
		MaxPixels:  100_000_000,
		MaxAudio:   10 * time.Minute,
		MaxVideo:   10 * time.Minute,
	}
}

// MaxBytes returns the byte limit for a kind of part.
func (l Limits) MaxBytes(k Kind) int64 {
	switch k {
	case Image:
		return l.ImageBytes
	case Audio:
		return l.AudioBytes
	case Video:
		return l.VideoBytes
	}
	return 1 << 20
}
