package media

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// renderVideo makes a test video with ffmpeg: a moving test pattern, with a 440 Hz tone when
// withAudio is set.
func renderVideo(t testing.TB, ext string, size string, seconds int, withAudio bool) []byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	out := filepath.Join(t.TempDir(), "v."+ext)
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
		"testsrc=size=" + size + ":rate=15:duration=" + itoa(seconds)}
	if withAudio {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration="+itoa(seconds))
	}
	switch ext {
	case "webm":
		args = append(args, "-c:v", "libvpx", "-b:v", "200k", "-deadline", "realtime")
		if withAudio {
			args = append(args, "-c:a", "libopus")
		}
	default:
		args = append(args, "-c:v", "mpeg4", "-q:v", "8")
		if withAudio {
			args = append(args, "-c:a", "aac")
		}
	}
	args = append(args, "-shortest", out)
	if msg, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("rendering %s: %v: %s", ext, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func itoa(n int) string { return string(rune('0'+n/10%10)) + string(rune('0'+n%10)) }

func TestExpandVideo(t *testing.T) {
	if testing.Short() {
		t.Skip("renders videos with ffmpeg")
	}
	tests := []struct {
		name       string
		ext, size  string
		audio      bool
		fps        float64
		wantFrames int
		wantWidth  int
	}{
		{"mp4 with audio", "mp4", "320x240", true, 2, 6, 320},
		{"webm with audio", "webm", "320x240", true, 4, 12, 320},
		{"mov without audio", "mov", "320x240", false, 1, 3, 320},
		{"wide mp4 scaled down", "mp4", "1280x720", false, 2, 6, 640},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := renderVideo(t, tc.ext, tc.size, 3, tc.audio)
			items, err := ExpandVideo(context.Background(), Item{MessageID: "m", Part: 2, Kind: Video, Data: data}, DefaultLimits(), tc.fps)
			if err != nil {
				t.Fatal(err)
			}
			var frames, audio int
			for i, it := range items {
				if it.MessageID != "m" || it.Part != 2 || it.Modality != ModVideo {
					t.Fatalf("item %d: %+v", i, it)
				}
				switch it.Kind {
				case Image:
					img, err := jpeg.Decode(bytes.NewReader(it.Data))
					if err != nil {
						t.Fatalf("frame %d: %v", frames, err)
					}
					if w := img.Bounds().Dx(); w != tc.wantWidth {
						t.Errorf("frame %d is %d wide, want %d", frames, w, tc.wantWidth)
					}
					want := time.Duration(float64(frames) / tc.fps * float64(time.Second))
					if d := it.Offset - want; d < -time.Millisecond || d > time.Millisecond {
						t.Errorf("frame %d offset %s, want %s", frames, it.Offset, want)
					}
					frames++
				case Audio:
					audio++
					w, err := DecodeWAV(it.Data, time.Minute)
					if err != nil {
						t.Fatal(err)
					}
					pcm := w.Mono()
					if w.Rate != SpeechRate || w.Channels != 1 || len(pcm) < 2*SpeechRate {
						t.Fatalf("audio %d Hz, %d channels, %d samples", w.Rate, w.Channels, len(pcm))
					}
				default:
					t.Fatalf("item %d has kind %s", i, it.Kind)
				}
			}
			if frames < tc.wantFrames-1 || frames > tc.wantFrames+1 {
				t.Errorf("%d frames, want about %d", frames, tc.wantFrames)
			}
			if wantAudio := map[bool]int{true: 1, false: 0}[tc.audio]; audio != wantAudio {
				t.Errorf("%d audio items, want %d", audio, wantAudio)
			}
		})
	}
}

func TestExpandVideoErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("renders videos with ffmpeg")
	}
	good := renderVideo(t, "mp4", "160x120", 3, true)
	ctx := context.Background()
	tests := []struct {
		name   string
		data   []byte
		limits Limits
		want   error
	}{
		{"empty", nil, DefaultLimits(), ErrEmpty},
		{"garbage", []byte("this is not a video at all, just words"), DefaultLimits(), ErrCorrupt},
		{"truncated", good[:len(good)/3], DefaultLimits(), ErrCorrupt},
		{"too many bytes", good, Limits{VideoBytes: 1000, MaxVideo: time.Minute}, ErrTooLarge},
		{"too long", good, Limits{VideoBytes: 1 << 30, MaxVideo: time.Second}, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ExpandVideo(ctx, Item{Kind: Video, Data: tc.data}, tc.limits, 2)
			if !errors.Is(err, tc.want) && !(tc.want == ErrCorrupt && errors.Is(err, ErrUnsupported)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSplitJPEGs(t *testing.T) {
	a := []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 0xFF, 0x00, 0xFF, 0xD9}
	b := []byte{0xFF, 0xD8, 0xFF, 0xDB, 3, 0xFF, 0xD9}
	got := splitJPEGs(append(append([]byte{}, a...), b...))
	if len(got) != 2 || !bytes.Equal(got[0], a) || !bytes.Equal(got[1], b) {
		t.Fatalf("split = %v", got)
	}
	if len(splitJPEGs([]byte("no jpeg"))) != 0 {
		t.Fatal("found a JPEG in text")
	}
}

func FuzzExpandVideo(f *testing.F) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		f.Skip("ffmpeg not installed")
	}
	f.Add([]byte("\x00\x00\x00\x18ftypmp42"))
	f.Add([]byte("\x1a\x45\xdf\xa3"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := ExpandVideo(context.Background(), Item{Kind: Video, Data: data}, DefaultLimits(), 2)
		if err == nil && len(items) == 0 {
			t.Fatal("no error and no items")
		}
	})
}
