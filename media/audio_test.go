package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// makeWAV builds a WAV of a 440 Hz tone with the given encoding.
func makeWAV(format, bits, channels, rate int, dur time.Duration, amp float64) []byte {
	frames := int(dur.Seconds() * float64(rate))
	bytesPer := bits / 8
	var d bytes.Buffer
	for i := 0; i < frames; i++ {
		v := amp * math.Sin(2*math.Pi*440*float64(i)/float64(rate))
		for c := 0; c < channels; c++ {
			b := make([]byte, bytesPer)
			switch {
			case format == wavFloat && bits == 32:
				binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v)))
			case format == wavFloat:
				binary.LittleEndian.PutUint64(b, math.Float64bits(v))
			case bits == 8:
				b[0] = byte(int(v*127) + 128)
			case bits == 16:
				binary.LittleEndian.PutUint16(b, uint16(int16(v*32767)))
			case bits == 24:
				x := int32(v * 8388607)
				b[0], b[1], b[2] = byte(x), byte(x>>8), byte(x>>16)
			default:
				binary.LittleEndian.PutUint32(b, uint32(int32(v*2147483647)))
			}
			d.Write(b)
		}
	}
	var w bytes.Buffer
	w.WriteString("RIFF")
	binary.Write(&w, binary.LittleEndian, uint32(36+d.Len()))
	w.WriteString("WAVEfmt ")
	binary.Write(&w, binary.LittleEndian, uint32(16))
	binary.Write(&w, binary.LittleEndian, uint16(format))
	binary.Write(&w, binary.LittleEndian, uint16(channels))
	binary.Write(&w, binary.LittleEndian, uint32(rate))
	binary.Write(&w, binary.LittleEndian, uint32(rate*channels*bytesPer))
	binary.Write(&w, binary.LittleEndian, uint16(channels*bytesPer))
	binary.Write(&w, binary.LittleEndian, uint16(bits))
	w.WriteString("data")
	binary.Write(&w, binary.LittleEndian, uint32(d.Len()))
	w.Write(d.Bytes())
	return w.Bytes()
}

func rms(s []int16) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(max(1, len(s))))
}

func TestDecodeAudioWAVFormats(t *testing.T) {
	cases := []struct {
		name                         string
		format, bits, channels, rate int
	}{
		{"pcm8 mono 8k", wavPCM, 8, 1, 8000},
		{"pcm16 mono 16k", wavPCM, 16, 1, 16000},
		{"pcm16 stereo 44k1", wavPCM, 16, 2, 44100},
		{"pcm24 mono 48k", wavPCM, 24, 1, 48000},
		{"pcm32 stereo 22k05", wavPCM, 32, 2, 22050},
		{"float32 mono 48k", wavFloat, 32, 1, 48000},
		{"float64 mono 32k", wavFloat, 64, 1, 32000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := makeWAV(tc.format, tc.bits, tc.channels, tc.rate, time.Second, 0.5)
			pcm, err := DecodeAudio(context.Background(), data, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if pcm.Rate != SpeechRate {
				t.Fatalf("rate %d", pcm.Rate)
			}
			if d := pcm.Duration(); d < 990*time.Millisecond || d > 1010*time.Millisecond {
				t.Fatalf("duration %s", d)
			}
			// A sine of amplitude 0.5 has an RMS of 0.354 of full scale.
			if r := rms(pcm.Samples[1000:15000]) / 32767; math.Abs(r-0.354) > 0.02 {
				t.Fatalf("rms %.3f, want 0.354", r)
			}
		})
	}
}

func TestDecodeAudioErrors(t *testing.T) {
	good := makeWAV(wavPCM, 16, 1, 16000, time.Second, 0.5)
	junk := make([]byte, 20000)
	for i := range junk {
		junk[i] = byte(i*7919 + i>>3)
	}
	long := makeWAV(wavPCM, 16, 1, 8000, 3*time.Second, 0.5)
	cases := []struct {
		name   string
		data   []byte
		limits Limits
		want   error
	}{
		{"empty", nil, DefaultLimits(), ErrEmpty},
		{"silent", makeWAV(wavPCM, 16, 1, 16000, time.Second, 0), DefaultLimits(), ErrSilent},
		{"truncated", good[:len(good)/2], DefaultLimits(), ErrCorrupt},
		{"header only", good[:30], DefaultLimits(), ErrCorrupt},
		{"too long", long, Limits{MaxAudio: 2 * time.Second}, ErrTooLarge},
		{"too many bytes", good, Limits{AudioBytes: 100}, ErrTooLarge},
		{"unsupported encoding", makeWAV(2, 16, 1, 16000, time.Second, 0.5), DefaultLimits(), ErrUnsupported},
	}
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		cases = append(cases, struct {
			name   string
			data   []byte
			limits Limits
			want   error
		}{"garbage via ffmpeg", junk, DefaultLimits(), ErrCorrupt})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeAudio(context.Background(), tc.data, tc.limits)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecodeAudioOpusSpeech(t *testing.T) {
	if testing.Short() {
		t.Skip("runs espeak-ng and ffmpeg")
	}
	for _, bin := range []string{"espeak-ng", "ffmpeg"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed", bin)
		}
	}
	dir := t.TempDir()
	wav := filepath.Join(dir, "a.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-w", wav, "twelve hundred fifty dollars").CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	for _, ext := range []string{"ogg", "mp3", "webm", "m4a"} {
		t.Run(ext, func(t *testing.T) {
			out := filepath.Join(dir, "a."+ext)
			args := []string{"-loglevel", "error", "-y", "-i", wav, "-ar", "48000"}
			if ext == "ogg" || ext == "webm" {
				args = append(args, "-c:a", "libopus")
			}
			if b, err := exec.Command("ffmpeg", append(args, out)...).CombinedOutput(); err != nil {
				t.Skipf("ffmpeg cannot write %s here: %v %s", ext, err, b)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			pcm, err := DecodeAudio(context.Background(), data, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if d := pcm.Duration(); d < time.Second || d > 4*time.Second {
				t.Fatalf("duration %s", d)
			}
		})
	}
}

func TestEncodeWAVRoundTrip(t *testing.T) {
	in := PCM{Rate: 16000, Samples: []int16{0, 1, -1, 32767, -32768, 1234}}
	w, err := DecodeWAV(EncodeWAV(in), 0)
	if err != nil {
		t.Fatal(err)
	}
	out := Resample(w.Mono(), w.Rate, 16000)
	for i := range in.Samples {
		if d := int(in.Samples[i]) - int(out[i]); d < -1 || d > 1 {
			t.Fatalf("sample %d: %d != %d", i, out[i], in.Samples[i])
		}
	}
}

func FuzzDecodeWAV(f *testing.F) {
	f.Add(makeWAV(wavPCM, 16, 1, 16000, 10*time.Millisecond, 0.5))
	f.Add(makeWAV(wavPCM, 24, 2, 48000, 10*time.Millisecond, 0.5))
	f.Add(makeWAV(wavFloat, 32, 1, 8000, 10*time.Millisecond, 0.5))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt "))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := DecodeWAV(data, time.Minute)
		if err != nil {
			return
		}
		if w.Channels < 1 || w.Rate < 1000 || len(w.Samples)%w.Channels != 0 {
			t.Fatalf("bad decode: %d channels at %d Hz, %d samples", w.Channels, w.Rate, len(w.Samples))
		}
		_ = Resample(w.Mono(), w.Rate, SpeechRate)
	})
}

func BenchmarkDecodeWAV48k(b *testing.B) {
	data := makeWAV(wavPCM, 16, 2, 48000, 5*time.Second, 0.5)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeAudio(context.Background(), data, DefaultLimits()); err != nil {
			b.Fatal(err)
		}
	}
}
