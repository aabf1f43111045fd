package media

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// WAV is a decoded WAV file: interleaved samples scaled to [-1,1].
type WAV struct {
	Rate     int
	Channels int
	Samples  []float32
}

// Mono returns the channels of w averaged into one.
func (w WAV) Mono() []float32 {
	if w.Channels <= 1 {
		return w.Samples
	}
	n := len(w.Samples) / w.Channels
	out := make([]float32, n)
	for i := range out {
		var s float32
		for c := 0; c < w.Channels; c++ {
			s += w.Samples[i*w.Channels+c]
		}
		out[i] = s / float32(w.Channels)
	}
	return out
}

// IsWAV reports whether data starts like a RIFF WAVE file.
func IsWAV(data []byte) bool {
	return len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WAVE"
}

const (
	wavPCM        = 1
	wavFloat      = 3
	wavExtensible = 0xFFFE
	maxChannels   = 16
	maxRate       = 384000
)

// DecodeWAV parses a RIFF WAVE file holding integer PCM (8, 16, 24 or 32 bits) or IEEE float
// (32 or 64 bits) at any rate and channel count. Audio longer than maxDur (when positive) is refused
// with ErrTooLarge before its samples are read; a file whose data is cut short gets ErrCorrupt.
func DecodeWAV(data []byte, maxDur time.Duration) (WAV, error) {
	if !IsWAV(data) {
		return WAV{}, fmt.Errorf("%w: not a RIFF WAVE file", ErrUnsupported)
	}
	var (
		format, channels, bits, align int
		rate                          int
		haveFmt                       bool
	)
	p := 12
	for p+8 <= len(data) {
		id := string(data[p : p+4])
		size := int64(binary.LittleEndian.Uint32(data[p+4 : p+8]))
		body := p + 8
		switch id {
		case "fmt ":
			if size < 16 || int64(body)+size > int64(len(data)) {
				return WAV{}, fmt.Errorf("%w: WAV format chunk is truncated", ErrCorrupt)
			}
			f := data[body:]
			format = int(binary.LittleEndian.Uint16(f[0:2]))
			channels = int(binary.LittleEndian.Uint16(f[2:4]))
			rate = int(binary.LittleEndian.Uint32(f[4:8]))
			align = int(binary.LittleEndian.Uint16(f[12:14]))
			bits = int(binary.LittleEndian.Uint16(f[14:16]))
			if format == wavExtensible {
				if size < 40 {
					return WAV{}, fmt.Errorf("%w: WAV extensible format chunk is truncated", ErrCorrupt)
				}
				format = int(binary.LittleEndian.Uint16(f[24:26]))
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return WAV{}, fmt.Errorf("%w: WAV data comes before its format", ErrCorrupt)
			}
			avail := int64(len(data) - body)
			// Streaming writers leave the size at 0 or 0xFFFFFFFF: read to the end of the file.
			if size == 0 || size == 0xFFFFFFFF {
				size = avail
			}
			if size > avail {
				return WAV{}, fmt.Errorf("%w: WAV declares %d bytes of audio but holds %d", ErrCorrupt, size, avail)
			}
			return decodeWAVData(data[body:int64(body)+size], format, channels, rate, bits, align, maxDur)
		}
		// Chunks are padded to an even size.
		next := int64(body) + size + size&1
		if next > int64(len(data)) {
			break
		}
		p = int(next)
	}
	return WAV{}, fmt.Errorf("%w: WAV file has no audio data", ErrCorrupt)
}

func decodeWAVData(d []byte, format, channels, rate, bits, align int, maxDur time.Duration) (WAV, error) {
	if channels < 1 || channels > maxChannels {
		return WAV{}, fmt.Errorf("%w: WAV has %d channels", ErrCorrupt, channels)
	}
	if rate < 1000 || rate > maxRate {
		return WAV{}, fmt.Errorf("%w: WAV sample rate %d Hz", ErrCorrupt, rate)
	}
	bytesPer := bits / 8
	switch {
	case format == wavPCM && (bits == 8 || bits == 16 || bits == 24 || bits == 32):
	case format == wavFloat && (bits == 32 || bits == 64):
	default:
		return WAV{}, fmt.Errorf("%w: WAV format %d with %d-bit samples (want PCM 8/16/24/32 or float 32/64)", ErrUnsupported, format, bits)
	}
	if align != bytesPer*channels {
		return WAV{}, fmt.Errorf("%w: WAV block align %d does not match %d channels of %d bits", ErrCorrupt, align, channels, bits)
	}
	frames := len(d) / align
	if maxDur > 0 && time.Duration(frames)*time.Second/time.Duration(rate) > maxDur {
		return WAV{}, fmt.Errorf("%w: audio lasts %s, over the limit of %s", ErrTooLarge,
			(time.Duration(frames) * time.Second / time.Duration(rate)).Round(time.Second), maxDur)
	}
	n := frames * channels
	out := make([]float32, n)
	for i := range out {
		s := d[i*bytesPer : (i+1)*bytesPer]
		var v float64
		switch {
		case format == wavFloat && bits == 32:
			v = float64(math.Float32frombits(binary.LittleEndian.Uint32(s)))
		case format == wavFloat:
			v = math.Float64frombits(binary.LittleEndian.Uint64(s))
		case bits == 8:
			v = (float64(s[0]) - 128) / 128
		case bits == 16:
			v = float64(int16(binary.LittleEndian.Uint16(s))) / 32768
		case bits == 24:
			v = float64(int32(uint32(s[0])<<8|uint32(s[1])<<16|uint32(s[2])<<24)>>8) / (1 << 23)
		default:
			v = float64(int32(binary.LittleEndian.Uint32(s))) / (1 << 31)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		out[i] = float32(max(-1, min(1, v)))
	}
	return WAV{Rate: rate, Channels: channels, Samples: out}, nil
}
