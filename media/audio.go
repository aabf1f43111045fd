package media

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"time"
)

// SpeechRate is the sample rate, in Hz, of the audio perception reads.
const SpeechRate = 16000

// ErrSilent is returned for audio that decodes but holds nothing loud enough to be speech. It wraps
// ErrEmpty, so callers that only know ErrEmpty still treat it as "nothing was sent".
var ErrSilent = fmt.Errorf("%w: I didn't hear anything; please speak closer to the microphone", ErrEmpty)

// PCM is decoded audio: signed 16-bit mono samples at Rate Hz.
type PCM struct {
	Samples []int16
	Rate    int
}

// Duration returns how long the audio plays.
func (p PCM) Duration() time.Duration {
	if p.Rate <= 0 {
		return 0
	}
	return time.Duration(len(p.Samples)) * time.Second / time.Duration(p.Rate)
}

// silenceRMS is the loudest 30 ms frame RMS (in 16-bit units, about -55 dBFS) below which audio is
// treated as silence.
const silenceRMS = 60

// DecodeAudio decodes an uploaded audio file into 16 kHz mono PCM. WAV is parsed in Go; every other
// container (OGG/Opus, MP3, WebM, M4A, MP4) goes through ffmpeg under the byte and duration limits.
// It returns ErrTooLarge past the limits, ErrCorrupt for garbage or truncated input, and ErrSilent
// when the audio holds no sound.
func DecodeAudio(ctx context.Context, data []byte, limits Limits) (PCM, error) {
	if len(data) == 0 {
		return PCM{}, ErrEmpty
	}
	if limits.AudioBytes > 0 && int64(len(data)) > limits.AudioBytes {
		return PCM{}, fmt.Errorf("%w: audio is %d bytes, over the limit of %d", ErrTooLarge, len(data), limits.AudioBytes)
	}
	maxDur := limits.MaxAudio
	if maxDur <= 0 {
		maxDur = DefaultLimits().MaxAudio
	}
	var pcm PCM
	if IsWAV(data) {
		w, err := DecodeWAV(data, maxDur)
		if err != nil {
			return PCM{}, err
		}
		pcm = PCM{Samples: Resample(w.Mono(), w.Rate, SpeechRate), Rate: SpeechRate}
	} else {
		var err error
		pcm, err = decodeWithFFmpeg(ctx, data, maxDur)
		if err != nil {
			return PCM{}, err
		}
	}
	if len(pcm.Samples) == 0 {
		return PCM{}, fmt.Errorf("%w: audio has no samples", ErrEmpty)
	}
	if IsSilent(pcm) {
		return pcm, ErrSilent
	}
	return pcm, nil
}

// IsSilent reports whether no 30 ms frame of p is louder than about -55 dBFS.
func IsSilent(p PCM) bool {
	n := p.Rate * 30 / 1000
	if n <= 0 {
		n = 480
	}
	for i := 0; i < len(p.Samples); i += n {
		end := min(i+n, len(p.Samples))
		var sum float64
		for _, s := range p.Samples[i:end] {
			sum += float64(s) * float64(s)
		}
		if math.Sqrt(sum/float64(end-i)) > silenceRMS {
			return false
		}
	}
	return true
}

func decodeWithFFmpeg(ctx context.Context, data []byte, maxDur time.Duration) (PCM, error) {
	// A temporary file rather than a pipe: MP4 and M4A keep their index at the end and need seeking.
	f, err := os.CreateTemp("", "parley-audio-*")
	if err != nil {
		return PCM{}, fmt.Errorf("media: temporary file: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return PCM{}, fmt.Errorf("media: temporary file: %w", err)
	}
	if err := f.Close(); err != nil {
		return PCM{}, fmt.Errorf("media: temporary file: %w", err)
	}
	maxOut := int64(maxDur.Seconds()*SpeechRate)*2 + 2*SpeechRate // one extra second of slack
	out, err := FFmpeg(ctx, nil, maxOut,
		"-i", f.Name(), "-vn", "-map", "0:a:0", "-ac", "1", "-ar", fmt.Sprint(SpeechRate),
		"-f", "s16le", "-acodec", "pcm_s16le", "pipe:1")
	if err != nil {
		if ctx.Err() != nil {
			return PCM{}, ctx.Err()
		}
		return PCM{}, err
	}
	samples := make([]int16, len(out)/2)
	for i := range samples {
		samples[i] = int16(uint16(out[2*i]) | uint16(out[2*i+1])<<8)
	}
	pcm := PCM{Samples: samples, Rate: SpeechRate}
	if pcm.Duration() > maxDur {
		return PCM{}, fmt.Errorf("%w: audio lasts %s, over the limit of %s", ErrTooLarge, pcm.Duration().Round(time.Second), maxDur)
	}
	return pcm, nil
}

// Resample converts mono samples in [-1,1] from one rate to another with a windowed-sinc filter
// (low-passed when downsampling, so high frequencies do not fold back as noise) and returns 16-bit PCM.
func Resample(x []float32, from, to int) []int16 {
	if from <= 0 || to <= 0 || len(x) == 0 {
		return nil
	}
	if from == to {
		out := make([]int16, len(x))
		for i, v := range x {
			out[i] = toInt16(float64(v))
		}
		return out
	}
	const zeros = 8 // zero crossings on each side of the kernel
	ratio := float64(to) / float64(from)
	cutoff := math.Min(1, ratio) * 0.95
	half := float64(zeros) / cutoff
	n := int(int64(len(x)) * int64(to) / int64(from))
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / ratio
		lo := max(int(math.Ceil(t-half)), 0)
		hi := min(int(math.Floor(t+half)), len(x)-1)
		var sum float64
		for k := lo; k <= hi; k++ {
			d := t - float64(k)
			sum += float64(x[k]) * cutoff * sinc(d*cutoff) * blackman(d/half)
		}
		out[i] = toInt16(sum)
	}
	return out
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// blackman is the Blackman window over [-1,1].
func blackman(u float64) float64 {
	if u <= -1 || u >= 1 {
		return 0
	}
	a := math.Pi * (u + 1)
	return 0.42 - 0.5*math.Cos(a) + 0.08*math.Cos(2*a)
}

func toInt16(v float64) int16 {
	v *= 32767
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return int16(math.Round(v))
}

// EncodeWAV writes p as a 16-bit mono PCM WAV file.
func EncodeWAV(p PCM) []byte {
	var b bytes.Buffer
	n := len(p.Samples) * 2
	b.Grow(44 + n)
	b.WriteString("RIFF")
	le32(&b, uint32(36+n))
	b.WriteString("WAVEfmt ")
	le32(&b, 16)
	le16(&b, 1) // PCM
	le16(&b, 1) // mono
	le32(&b, uint32(p.Rate))
	le32(&b, uint32(p.Rate*2))
	le16(&b, 2)
	le16(&b, 16)
	b.WriteString("data")
	le32(&b, uint32(n))
	buf := make([]byte, n)
	for i, s := range p.Samples {
		buf[2*i] = byte(s)
		buf[2*i+1] = byte(uint16(s) >> 8)
	}
	b.Write(buf)
	return b.Bytes()
}

func le32(b *bytes.Buffer, v uint32) {
	b.Write([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}

func le16(b *bytes.Buffer, v uint16) { b.Write([]byte{byte(v), byte(v >> 8)}) }
